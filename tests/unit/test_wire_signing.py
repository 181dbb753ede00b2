"""WireClient signs exactly as botocore's own SigV4 signer does.

DynamoDB Local accepts any signature, so the functional tests cannot see a signing mistake;
AWS would answer it with InvalidSignatureException on every call. Here each request the
WireClient would put on the wire (its own body and headers, captured where it hands them to
http.client) is signed again by ``botocore.auth.SigV4Auth`` at the same frozen instant, and
the two Authorization headers must be equal byte for byte.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.store import dynamodb
from skill.store.dynamodb import WireClient

ENDPOINTS = [
    "http://127.0.0.1:8123",
    "https://dynamodb.eu-west-1.amazonaws.com",
    "https://dynamodb.eu-west-1.amazonaws.com:443",  # default port: not in Host
    "https://DynamoDB.US-East-1.amazonaws.com/",  # upper case host, trailing slash
    "http://localhost:80",
    "http://localhost:8000",
    "https://vpce-0abc.dynamodb.ap-southeast-2.vpce.amazonaws.com:8443",
    "http://[::1]:8000",
]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1", "us-gov-west-1", "cn-north-1"]
OPERATIONS = ["query", "put_item", "transact_write_items"]
NAMES = [
    "Zoë-Élodie Marguerite Saint-Exupéry Dubé",
    "😀🎉👨‍👩‍👧‍👦 Sam",
    'O\'Brien "the" \\ Kid',
    "名前 ナマエ",
    "  spaced   out  ",
    "",
]
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

access_keys = st.text(_KEY_CHARS, min_size=16, max_size=16).map(lambda s: f"ASIA{s}")
secrets = st.text(_SECRET_CHARS, min_size=40, max_size=40)
tokens = st.none() | st.text(_SECRET_CHARS + "=", min_size=20, max_size=400)
names = st.sampled_from(NAMES) | st.text(max_size=40)
instants = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 31)
).map(lambda t: t.replace(microsecond=0))


@contextlib.contextmanager
def frozen(at: datetime.datetime) -> Iterator[None]:
    """Both clocks at ``at`` (naive UTC): WireClient's ``time.gmtime()`` and botocore's
    ``get_current_datetime()``. Nothing else of either module changes."""
    real = time

    class FrozenTime:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def gmtime(secs: float | None = None) -> Any:
            return at.utctimetuple() if secs is None else real.gmtime(secs)

    with (
        mock.patch.object(dynamodb, "time", FrozenTime()),
        mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: at),
    ):
        yield


class Sent:
    """What WireClient handed to http.client, in place of the wire (a 200 with ``{}``)."""

    def __init__(self, client: WireClient) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        client._exchange = self._exchange  # type: ignore[method-assign]

    def _exchange(self, headers: dict[str, str], body: bytes) -> tuple[int, Any, bytes]:
        self.requests.append((dict(headers), body))
        return 200, {}, b"{}"


def params(operation: str, a: str, b: str) -> dict[str, Any]:
    """Arguments shaped like the store's own, with the names inside the stored JSON text."""
    game = json.dumps({"n": [a, b], "e": {"a": ["p1"]}}, ensure_ascii=False)
    item = {
        "pk": {"S": f"household#{a[:8]}"},
        "sk": {"S": "progress"},
        "version": {"N": "7"},
        "hk": {"S": "0"},
        "expires_at": {"N": "1834214400"},
        "g": {"S": game},
    }
    if operation == "query":
        return {
            "TableName": "connection-game-Progress-1A2B",
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"household#{b}"}},
            "ConsistentRead": True,
        }
    if operation == "put_item":
        return {
            "TableName": "connection-game-Progress-1A2B",
            "Item": item,
            "ConditionExpression": "version = :expected AND hk = :hk",
            "ExpressionAttributeValues": {":expected": {"N": "6"}, ":hk": {"S": "0"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    history = item | {"sk": {"S": "history"}, "h": {"S": json.dumps({"who": b})}}
    return {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": item, "ConditionExpression": "version = :v"}},
            {"Put": {"TableName": "t", "Item": history}},
        ]
    }


def botocore_signed(
    url: str,
    region: str,
    key: str,
    secret: str,
    token: str | None,
    wire_headers: dict[str, str],
    body: bytes,
) -> dict[str, str]:
    """The same request signed by botocore: headers in lower case."""
    sent = {
        name: value
        for name, value in wire_headers.items()
        if name in {"content-type", "x-amz-target", "user-agent"}
    }  # not Host: botocore derives it from the URL, as it does for a real request
    request = AWSRequest(method="POST", url=url.rstrip("/") + "/", data=body, headers=sent)
    botocore.auth.SigV4Auth(Credentials(key, secret, token), "dynamodb", region).add_auth(request)
    signed = {name.lower(): value for name, value in request.headers.items()}
    signed.setdefault("host", botocore.auth._host_from_url(request.url))
    return signed


def wire_request(
    url: str,
    region: str,
    key: str,
    secret: str,
    token: str | None,
    operation: str,
    arguments: dict[str, Any],
    at: datetime.datetime,
) -> tuple[dict[str, str], bytes]:
    client = WireClient(
        url, region, key, secret, token, connect_timeout=0.5, read_timeout=1.2, max_attempts=1
    )
    sent = Sent(client)
    with frozen(at):
        getattr(client, operation)(**arguments)
    [(headers, body)] = sent.requests
    return headers, body


@settings(max_examples=150, deadline=None)
@given(
    url=st.sampled_from(ENDPOINTS),
    region=st.sampled_from(REGIONS),
    key=access_keys,
    secret=secrets,
    token=tokens,
    operation=st.sampled_from(OPERATIONS),
    a=names,
    b=names,
    at=instants,
)
def test_the_wire_client_signs_as_botocore_does(
    url: str,
    region: str,
    key: str,
    secret: str,
    token: str | None,
    operation: str,
    a: str,
    b: str,
    at: datetime.datetime,
) -> None:
    headers, body = wire_request(
        url, region, key, secret, token, operation, params(operation, a, b), at
    )
    with frozen(at):
        reference = botocore_signed(url, region, key, secret, token, headers, body)

    assert json.loads(body) == params(operation, a, b)  # the names went out intact
    assert headers["authorization"] == reference["authorization"]
    assert headers["x-amz-date"] == reference["x-amz-date"] == at.strftime("%Y%m%dT%H%M%SZ")
    assert headers.get("x-amz-security-token") == reference.get("x-amz-security-token") == token
    assert headers.get("x-amz-content-sha256") == reference.get("x-amz-content-sha256")
    assert headers["host"] == reference["host"]
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["x-amz-target"] == f"DynamoDB_20120810.{dynamodb._TARGETS[operation]}"
    # Every header WireClient sends is either signed or one botocore does not sign either.
    signed = reference["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert set(headers) - set(signed) <= {"authorization", "user-agent"}


@settings(max_examples=100, deadline=None)
@given(
    url=st.sampled_from(ENDPOINTS),
    region=st.sampled_from(REGIONS),
    secret=secrets,
    token=tokens,
    body=st.binary(max_size=2048) | st.text().map(lambda s: s.encode("utf-8")),
    operation=st.sampled_from(OPERATIONS),
    at=instants,
)
def test_any_body_bytes_are_signed_as_botocore_signs_them(
    url: str,
    region: str,
    secret: str,
    token: str | None,
    body: bytes,
    operation: str,
    at: datetime.datetime,
) -> None:
    client = WireClient(
        url, region, "AKIDEXAMPLE", secret, token, connect_timeout=1, read_timeout=1, max_attempts=1
    )
    with frozen(at):
        headers = client._sign(dynamodb._TARGETS[operation], body)
        reference = botocore_signed(url, region, "AKIDEXAMPLE", secret, token, headers, body)
    assert headers["authorization"] == reference["authorization"]


@settings(max_examples=40, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    secret=secrets,
    token=tokens,
    first=instants,
    later=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=3)),
)
def test_one_client_signs_right_across_days(
    region: str, secret: str, token: str | None, first: datetime.datetime, later: Any
) -> None:
    """The signing key is cached per day: a long-lived (warm Lambda) client must derive a
    new one when the UTC date changes, and not reuse yesterday's."""
    url = "https://dynamodb.eu-west-1.amazonaws.com"
    client = WireClient(
        url, region, "AKIDEXAMPLE", secret, token, connect_timeout=1, read_timeout=1, max_attempts=1
    )
    body = b'{"TableName":"t"}'
    midnight = first.replace(hour=23, minute=59, second=59)
    for at in (first, first + later, first, midnight, midnight + datetime.timedelta(seconds=1)):
        with frozen(at):
            headers = client._sign("Query", body)
            reference = botocore_signed(url, region, "AKIDEXAMPLE", secret, token, headers, body)
        assert headers["authorization"] == reference["authorization"], at


AT = datetime.datetime(2027, 3, 4, 5, 6, 7)
URL = "https://dynamodb.eu-west-1.amazonaws.com"


def test_a_changed_body_key_or_instant_changes_the_signature() -> None:
    """The comparison can fail: botocore's signature of one request is not the WireClient's
    signature of a slightly different one."""
    body = json.dumps(params("put_item", "Zoë 😀", 'O"Brien')).encode()
    args = (URL, "eu-west-1", "AKIDEXAMPLE", "secret/KEY+example", "token")
    client = WireClient(*args, connect_timeout=1, read_timeout=1, max_attempts=1)
    with frozen(AT):
        ours = client._sign("PutItem", body)
        reference = botocore_signed(*args, ours, body)
        assert ours["authorization"] == reference["authorization"]

        other_body = body.replace(b"Zo", b"Za")
        assert client._sign("PutItem", other_body)["authorization"] != reference["authorization"]
        assert client._sign("Query", body)["authorization"] != reference["authorization"]
        for changed in (
            (URL, "eu-west-1", "AKIDEXAMPLE", "secret/KEY+exampLe", "token"),
            (URL, "eu-west-1", "AKIDEXAMPLF", "secret/KEY+example", "token"),
            (URL, "eu-west-1", "AKIDEXAMPLE", "secret/KEY+example", "tokeN"),
            (URL, "eu-west-1", "AKIDEXAMPLE", "secret/KEY+example", None),
            (URL, "eu-west-2", "AKIDEXAMPLE", "secret/KEY+example", "token"),
            (URL + ":8443", "eu-west-1", "AKIDEXAMPLE", "secret/KEY+example", "token"),
        ):
            other = WireClient(*changed, connect_timeout=1, read_timeout=1, max_attempts=1)
            assert other._sign("PutItem", body)["authorization"] != reference["authorization"]
    with frozen(AT + datetime.timedelta(seconds=1)):
        assert client._sign("PutItem", body)["authorization"] != reference["authorization"]


def test_a_known_signature() -> None:
    """A fixed vector, so a change to both signers' common inputs is seen too."""
    body = b'{"TableName":"t"}'
    client = WireClient(
        "https://dynamodb.us-east-1.amazonaws.com",
        "us-east-1",
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        connect_timeout=1,
        read_timeout=1,
        max_attempts=1,
    )
    with frozen(datetime.datetime(2015, 8, 30, 12, 36, 0)):
        headers = client._sign("Query", body)
        reference = botocore_signed(
            client.url, "us-east-1", "AKIDEXAMPLE", client._secret_key, None, headers, body
        )
    assert headers["authorization"] == reference["authorization"]
    assert headers["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
    )
