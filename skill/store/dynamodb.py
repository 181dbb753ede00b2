"""The AWS store: our own small DynamoDB adapter on one table (see template.yaml).

Items (one partition per household, ``pk = "household#<id>"``)::

    sk "progress"  version N · hk S · expires_at N · g S   written on every turn that changes
    sk "history"   hk S · expires_at N · h S                written when an evening ends

- ``g`` is the game as ``skill.core.codec.encode`` makes it, minus ``history``; ``h`` is the
  history (``encode_history``). Both are compact JSON text with short keys (``_SHORT``).
  JSON text rather than native DynamoDB maps: numbers stay ints with no Decimal round trip,
  the codec's validation applies unchanged, and the bytes are fewer (a map pays for every
  attribute name and element). Every progress item of an 8-prompt evening with two
  40-character names measures 360-560 bytes (tests/functional/test_store_contract.py); with
  names of forty 4-byte emoji, every prompt saved and two skipped, 900: one write unit a turn.
- ``hk`` ties the two items together: a digest of the history plus the 30-day period the
  history item was written in (``"0"`` for an empty history, which needs no item). The
  progress item says which history belongs to it; a load that finds the other one (a read
  racing a write) reads again.
- ``expires_at`` (the table's TTL attribute) expires a household 13 months after its last
  write. The history item is rewritten at least once per 30-day period while the household
  plays, and always lives at least as long as the progress item.

Writes are conditional on ``version`` (a second Echo in the home gets ConcurrentUpdate, and
the service reloads and re-applies). A turn writes the progress item only, with one PutItem
that also requires the stored ``hk`` to be the one this game carries, so an unchanged
history is never rewritten and a changed one is never dropped, whatever this object has
cached. When the history changed (an evening ended, or its period rolled over), both items
go in one TransactWriteItems (governed by the PutItem/DeleteItem permissions, no other IAM
action). A small per-household cache of the last ``(version, hk)`` seen only picks which of
the two writes to try first.

Nothing happens at import; the client is created on first use: on Lambda (credentials,
region and endpoint from the environment) our ``WireClient`` below, which speaks DynamoDB's
JSON protocol with SigV4 itself and raises botocore's exception types; anywhere else a
botocore client. Driver errors become StoreError (``from exc``). Neither names nor household
ids are logged or put in messages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from skill.core.codec import CodecError, decode, encode, encode_history
from skill.core.model import Game, History

from .port import ConcurrentUpdate, CorruptProgress, Stored, StoreError

log = logging.getLogger(__name__)

TTL_SECONDS = 396 * 86_400  # 13 months (13 x 30.44 days, rounded up)
PERIOD_SECONDS = 30 * 86_400  # the history item is rewritten at least once per period
NO_HISTORY = "0"  # hk of an empty history: no history item is needed
PROGRESS, HISTORY = "progress", "history"
CACHE_SIZE = 1024
# One attempt, no SDK retry: a conditional write whose answer was lost may have landed, and a
# blind retry then fails its condition and looks like another device's write (the turn would
# be applied twice). A failed write is the service's to handle (kept in the session, written
# by the next request). Worst case per call: 1.7 s; the service starts no call after 2.5 s
# into a request, so every answer leaves within about 4.5 s, well inside Alexa's 8 s.
CONNECT_TIMEOUT_S = 0.5
READ_TIMEOUT_S = 1.2
MAX_ATTEMPTS = 1

# Short JSON keys for the stored documents (codec key -> stored key). Keys not listed are
# stored as they are; a codec key that would read back as another one is refused.
_SHORT = {
    "v": "v",
    "household": "hh",
    "names": "n",
    "pause": "p",
    "length": "l",
    "next_first": "nf",
    "comfort": "c",
    "taught": "tr",
    "phase": "ph",
    "t": "t",
    "slot": "sl",
    "then": "th",
    "evening": "e",
    "since": "s",
    "started_at": "sa",
    "first": "f",
    "asked": "a",
    "skipped": "sk",
    "saved": "sv",
    "shift": "sh",
    "talk": "tk",
    "favourites": "fv",
    "turn": "tu",
    "kind": "k",
    "was": "w",
    "at": "at",
    "back": "b",
    "evenings": "ev",
    "seen": "se",
    "days": "d",
}
_LONG = {short: key for key, short in _SHORT.items()}
assert len(_LONG) == len(_SHORT), "short keys must be unique"


def _rekey(value: Any, table: dict[str, str], refuse: dict[str, str] | None = None) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if refuse is not None and key not in table and key in refuse:
                raise ValueError(f"codec key {key!r} collides with a short key")
            out[table.get(key, key)] = _rekey(item, table, refuse)
        return out
    if isinstance(value, list):
        return [_rekey(item, table, refuse) for item in value]
    return value


def _dump(doc: dict[str, Any]) -> str:
    short = _rekey(doc, _SHORT, refuse=_LONG)
    text = json.dumps(short, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escape it rather than fail the write
        text = json.dumps(short, separators=(",", ":"), ensure_ascii=True)
    return text


def _load_json(text: str) -> Any:
    return _rekey(json.loads(text), _LONG)


def history_key(history_doc: dict[str, Any], now: float) -> str:
    """``hk``: which history, written in which period ("0": the empty history)."""
    if history_doc == _EMPTY_HISTORY:
        return NO_HISTORY
    canonical = json.dumps(history_doc, sort_keys=True, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode("utf-8"), digest_size=6).hexdigest()
    return f"{digest}.{int(now // PERIOD_SECONDS)}"


def _history_expires_at(key: str) -> int:
    period = int(key.rsplit(".", 1)[1])
    return (period + 1) * PERIOD_SECONDS + TTL_SECONDS  # >= any progress write in the period


_EMPTY_HISTORY = encode_history(History())


def _errors() -> Any:
    """botocore's exception types, imported only while an error is handled: a call that
    succeeds does not need them (a few ms of a cold start)."""
    import botocore.exceptions

    return botocore.exceptions


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "")
    return ""


class DynamoDbStore:
    """Progress in a DynamoDB table: two items per household, conditional writes."""

    def __init__(
        self,
        table_name: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self.endpoint_url = endpoint_url
        self._now = now
        self._client = client
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[int, str]] = OrderedDict()  # (version, hk)

    # --- driver ---------------------------------------------------------------------------

    def _dynamodb(self) -> Any:
        """The DynamoDB client, created on first use (never at import)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        """Where the environment is what Lambda provides, our WireClient (no botocore client:
        most of a cold start otherwise); anywhere else a botocore client (boto3 adds nothing
        to a low-level client and costs another import)."""
        wire = WireClient.from_environment(
            self.endpoint_url,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            max_attempts=MAX_ATTEMPTS,
        )
        if wire is not None:
            return wire
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
        from botocore.session import Session

        config = Config(
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        )
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
        try:
            return Session().create_client(
                "dynamodb", region_name=region, endpoint_url=self.endpoint_url, config=config
            )
        except BotoCoreError as exc:
            raise StoreError(f"cannot create a DynamoDB client: {type(exc).__name__}") from exc

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call; driver errors become StoreError (ClientError kept as cause)."""
        try:
            return getattr(self._dynamodb(), operation)(TableName=self.table_name, **kwargs)
        except _errors().ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise  # the caller decides
            raise StoreError(f"DynamoDB {operation} failed: {_code(exc) or 'error'}") from exc
        except _errors().BotoCoreError as exc:  # its text may quote parameters: the type only
            raise StoreError(f"DynamoDB {operation} failed: {type(exc).__name__}") from exc

    def _transact(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            next(iter(item.values()))["TableName"] = self.table_name
        try:
            self._dynamodb().transact_write_items(TransactItems=items)
        except _errors().ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if _code(exc) == "TransactionCanceledException" and (
                "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons
            ):
                raise ConcurrentUpdate("household changed while writing") from exc
            raise StoreError(f"DynamoDB transact_write_items failed: {_code(exc)}") from exc
        except _errors().BotoCoreError as exc:
            raise StoreError(f"DynamoDB transact_write_items failed: {type(exc).__name__}") from exc

    # --- cache ----------------------------------------------------------------------------

    def _remember(self, household_id: str, version: int, key: str) -> None:
        with self._lock:
            self._known[household_id] = (version, key)
            self._known.move_to_end(household_id)
            while len(self._known) > CACHE_SIZE:
                self._known.popitem(last=False)

    def _recall(self, household_id: str) -> tuple[int, str] | None:
        with self._lock:
            return self._known.get(household_id)

    def _forget(self, household_id: str) -> None:
        with self._lock:
            self._known.pop(household_id, None)

    # --- the port -------------------------------------------------------------------------

    @staticmethod
    def _pk(household_id: str) -> dict[str, str]:
        return {"S": f"household#{household_id}"}

    def _query(self, household_id: str) -> dict[str, dict[str, Any]]:
        answer = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": self._pk(household_id)},
            ConsistentRead=True,
        )
        return {
            str(item.get("sk", {}).get("S")): item
            for item in answer.get("Items", [])
            if isinstance(item, dict)
        }

    def _read(
        self, household_id: str
    ) -> tuple[int, str, dict[str, Any], dict[str, Any] | None] | None:
        """(version, hk, progress, history) of a household whose two items agree, or None."""
        for attempt in range(2):
            items = self._query(household_id)
            progress = items.get(PROGRESS)
            if progress is None:
                return None
            version = _version(progress)
            key = progress.get("hk", {}).get("S")
            if version is None or not isinstance(key, str):
                raise CorruptProgress("stored progress has no version or history key", version or 0)
            if key == NO_HISTORY:
                return version, key, progress, None
            history = items.get(HISTORY)
            if history is not None and history.get("hk") == {"S": key}:
                return version, key, progress, history
            if attempt:
                raise CorruptProgress("stored history does not match the progress", version)
            # The query ran between the two items of a transaction: read again.
        raise AssertionError("unreachable")

    def load(self, household_id: str) -> Stored | None:
        found = self._read(household_id)
        if found is None:
            self._forget(household_id)
            return None
        version, key, progress, history = found
        try:
            doc = _load_json(progress["g"]["S"])
            if not isinstance(doc, dict):
                raise CodecError("stored progress is not an object")
            doc["history"] = _EMPTY_HISTORY if history is None else _load_json(history["h"]["S"])
            game = decode(doc)
        except (KeyError, TypeError, ValueError) as exc:  # CodecError is a ValueError
            raise CorruptProgress(f"stored game is unreadable: {exc}", version) from exc
        self._remember(household_id, version, key)
        return Stored(game, version)

    def save(self, household_id: str, game: Game, expected_version: int | None) -> int:
        now = self._now()
        doc = encode(game)
        history_doc = doc.pop("history")
        key = history_key(history_doc, now)
        new_version = 1 if expected_version is None else expected_version + 1
        progress = {
            "pk": self._pk(household_id),
            "sk": {"S": PROGRESS},
            "version": {"N": str(new_version)},
            "hk": {"S": key},
            "expires_at": {"N": str(int(now) + TTL_SECONDS)},
            "g": {"S": _dump(doc)},
        }
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", {}
        elif expected_version == 0:  # overwriting an item whose version was unreadable
            condition = "attribute_exists(pk) AND NOT attribute_type(version, :num)"
            values = {":num": {"S": "N"}}
        else:
            condition, values = "version = :expected", {":expected": {"N": str(expected_version)}}

        known = self._recall(household_id)
        if expected_version is None:
            history_changed = key != NO_HISTORY
        else:  # a cold cache tries the progress alone: its condition catches a changed history
            history_changed = known is not None and known[0] == expected_version and known[1] != key
        if not history_changed and expected_version != 0:
            fast: dict[str, Any] = {"ConditionExpression": condition}
            if expected_version is not None:
                fast["ConditionExpression"] = f"{condition} AND hk = :hk"
                fast["ExpressionAttributeValues"] = values | {":hk": {"S": key}}
            try:
                self._call(
                    "put_item", Item=progress, ReturnValuesOnConditionCheckFailure="ALL_OLD", **fast
                )
            except _errors().ClientError as exc:
                old = exc.response.get("Item")
                if expected_version is None or old is None or _version(old) != expected_version:
                    self._forget(household_id)
                    raise ConcurrentUpdate(
                        f"household changed since version {expected_version}"
                    ) from exc
                # Same version, another history (or its period rolled over): write both.
            else:
                self._remember(household_id, new_version, key)
                return new_version

        put: dict[str, Any] = {"Item": progress, "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        history_key_attr = {"pk": self._pk(household_id), "sk": {"S": HISTORY}}
        if key == NO_HISTORY:
            other: dict[str, Any] = {"Delete": {"Key": history_key_attr}}
        else:
            other = {
                "Put": {
                    "Item": history_key_attr
                    | {
                        "hk": {"S": key},
                        "expires_at": {"N": str(_history_expires_at(key))},
                        "h": {"S": _dump(history_doc)},
                    }
                }
            }
        try:
            self._transact([{"Put": put}, other])
        except ConcurrentUpdate:
            self._forget(household_id)
            raise
        self._remember(household_id, new_version, key)
        return new_version

    def delete(self, household_id: str) -> None:
        """Both items at once (one transaction: never a history left without its progress)."""
        self._forget(household_id)
        keys = [{"pk": self._pk(household_id), "sk": {"S": sk}} for sk in (PROGRESS, HISTORY)]
        for attempt in range(2):
            try:
                self._transact([{"Delete": {"Key": key}} for key in keys])
                return
            except ConcurrentUpdate as exc:  # a write of this household was in flight
                if attempt:
                    raise StoreError("could not delete the household: busy") from exc
                log.info("delete met a concurrent write; retrying once")


def _version(item: dict[str, Any]) -> int | None:
    raw = item.get("version", {})
    number = raw.get("N") if isinstance(raw, dict) else None
    try:
        return int(number) if isinstance(number, str) else None
    except ValueError:
        return None


# --- the wire client --------------------------------------------------------------------------

_TARGETS = {"query": "Query", "put_item": "PutItem", "transact_write_items": "TransactWriteItems"}
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
_OTHER_PARTITIONS = ("cn-", "us-iso", "eu-iso")  # endpoints outside amazonaws.com
_IDLE_REUSE_S = 50.0  # an idle connection older than this is closed, not reused
# What botocore's "standard" retry mode retries (besides connection errors and checksums).
_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "LimitExceededException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalServerError",
    }
)
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


def _retryable(exc: Exception) -> bool:
    """Would botocore's standard retry mode try this call again?"""
    errors = _errors()
    if isinstance(exc, errors.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return _code(exc) in _RETRYABLE_CODES or status in _RETRYABLE_STATUS
    return isinstance(
        exc,
        (
            errors.ConnectTimeoutError,
            errors.ReadTimeoutError,
            errors.EndpointConnectionError,
            errors.ConnectionClosedError,
            errors.ChecksumError,
        ),
    )


class WireClient:
    """The three DynamoDB calls the store makes, without botocore's machinery: each is one
    JSON POST signed with Signature Version 4 (``hmac``), over a small pool of keep-alive
    ``http.client`` connections.

    Why: on a cold start, importing boto3 and building its client took ~170 ms of the ~320 ms
    a fresh Lambda process needed to answer its first request; on a warm one botocore spends
    a few hundred microseconds per call outside the wire (parameter validation, endpoint
    rules, events). See tests/bench/bench_lambda.py.

    It is used only where it behaves as botocore does: credentials, region and endpoint all
    from the environment, as AWS Lambda provides them, no profile and no AWS config file
    (``from_environment`` returns None otherwise, and the store makes a botocore client).
    Its answers are botocore's low-level ones (the same dicts; binary values stay base64,
    which this store never uses), and its errors are botocore's own types: ``ClientError``
    with the same ``response`` (``Item``, ``CancellationReasons``), ``ConnectTimeoutError``,
    ``ReadTimeoutError``, ``EndpointConnectionError``, ``ConnectionClosedError``,
    ``ChecksumError`` (the ``x-amz-crc32`` of every answer is checked). Timeouts and attempts
    are the store's (``CONNECT_TIMEOUT_S``, ``READ_TIMEOUT_S``, ``MAX_ATTEMPTS``); a retry,
    when attempts allow one, follows botocore's standard mode (same errors, same backoff).
    """

    def __init__(
        self,
        url: str,
        region: str,
        access_key: str,
        secret_key: str,
        token: str | None = None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        ca_bundle: str | None = None,
    ) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
            raise ValueError("endpoint must be an http(s) URL with a host")
        if parts.path not in {"", "/"} or parts.query or parts.fragment:
            raise ValueError("endpoint must not have a path or query")
        self.url = url
        self._tls = parts.scheme == "https"
        self._hostname = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        default_port = parts.port is None or parts.port == (443 if self._tls else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._host = host if default_port else f"{host}:{parts.port}"
        self._region = region
        self._access_key = access_key
        self._secret_key = secret_key
        self._token = token or None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_attempts = max(1, max_attempts)
        self._ca_bundle = ca_bundle
        self._tls_context: Any = None
        self._keys: dict[str, bytes] = {}  # signing key per day
        self._idle: list[tuple[Any, float]] = []  # (connection, idle since)
        self._pool_lock = threading.Lock()

    @classmethod
    def from_environment(
        cls,
        endpoint_url: str | None,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_attempts: int,
        env: Any = None,
    ) -> WireClient | None:
        """A client for the environment Lambda provides, or None where botocore would read
        something this client does not (a profile, a config file, FIPS or dual-stack
        endpoints, another partition's domain)."""
        env = os.environ if env is None else env
        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not (key and secret and region) or not _REGION.fullmatch(region):
            return None
        config_file = env.get("AWS_CONFIG_FILE") or os.path.join(
            env.get("HOME") or os.path.expanduser("~"), ".aws", "config"
        )
        if env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or os.path.exists(config_file):
            return None
        flags = ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT")
        if any(env.get(flag, "").lower() == "true" for flag in flags):
            return None
        url = endpoint_url
        if url is None and env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
            url = env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL") or None
        if url is None:
            if region.startswith(_OTHER_PARTITIONS):
                return None
            url = f"https://dynamodb.{region}.amazonaws.com"
        try:
            return cls(
                url,
                region,
                key,
                secret,
                env.get("AWS_SESSION_TOKEN"),
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                max_attempts=max_attempts,
                ca_bundle=env.get("AWS_CA_BUNDLE") or None,
            )
        except ValueError:
            return None  # an endpoint botocore may understand: let it decide

    # The client methods the store calls (botocore's names and keyword arguments).

    def query(self, **params: Any) -> dict[str, Any]:
        return self._call("query", params)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._call("put_item", params)

    def transact_write_items(self, **params: Any) -> dict[str, Any]:
        return self._call("transact_write_items", params)

    # ---

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        target = _TARGETS[operation]
        body = json.dumps(params, separators=(",", ":")).encode()
        for attempt in range(1, self._max_attempts + 1):
            try:
                status, headers, data = self._exchange(self._sign(target, body), body)
                return self._answer(target, status, headers, data, attempt)
            except Exception as exc:
                if attempt == self._max_attempts or not _retryable(exc):
                    raise
            import random

            time.sleep(random.random() * min(20, 2 ** (attempt - 1)))  # botocore's backoff
        raise AssertionError("unreachable")

    def _sign(self, target: str, body: bytes) -> dict[str, str]:
        """Signature Version 4 headers for a POST of ``body`` to ``/``."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        day = amz_date[:8]
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "host": self._host,
            "x-amz-date": amz_date,
            "x-amz-target": f"DynamoDB_20120810.{target}",
        }
        if self._token is not None:
            headers["x-amz-security-token"] = self._token
        names = sorted(headers)
        signed = ";".join(names)
        lines = "".join(f"{name}:{headers[name]}\n" for name in names)
        canonical = f"POST\n/\n\n{lines}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
        scope = f"{day}/{self._region}/dynamodb/aws4_request"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        text = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{digest}"
        key = self._keys.get(day)
        if key is None:
            key = f"AWS4{self._secret_key}".encode()
            for part in (day, self._region, "dynamodb", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {day: key}
        signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self._access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        headers["user-agent"] = "connection-game"
        return headers

    def _answer(
        self, target: str, status: int, headers: Any, data: bytes, attempt: int
    ) -> dict[str, Any]:
        meta = {
            "RequestId": headers.get("x-amzn-requestid", ""),
            "HTTPStatusCode": status,
            "RetryAttempts": attempt - 1,
        }
        expected = headers.get("x-amz-crc32")
        if expected is not None and str(zlib.crc32(data)) != expected.strip():
            raise _errors().ChecksumError(
                checksum_type="crc32", expected_checksum=expected, actual_checksum=zlib.crc32(data)
            )
        try:
            doc = json.loads(data) if data else {}
        except ValueError as exc:
            if status < 300:
                raise _errors().BotoCoreError() from exc
            doc = {}
        if not isinstance(doc, dict):
            raise _errors().BotoCoreError()
        if status < 300:
            doc["ResponseMetadata"] = meta
            return doc
        code = str(doc.pop("__type", "")).rsplit("#", 1)[-1] or str(status)
        message = doc.pop("message", None) or doc.pop("Message", None) or ""
        error = doc | {"Error": {"Code": code, "Message": message}, "ResponseMetadata": meta}
        raise _errors().ClientError(error, target)

    def _exchange(self, headers: dict[str, str], body: bytes) -> tuple[int, Any, bytes]:
        """One HTTP exchange: (status, headers, body). The wire, and nothing else."""
        import http.client

        connection = self._checkout() or self._connect()
        try:
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError as exc:
            connection.close()
            raise _errors().ReadTimeoutError(endpoint_url=self.url) from exc
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _errors().ConnectionClosedError(endpoint_url=self.url) from exc
        if response.will_close:
            connection.close()
        else:
            with self._pool_lock:
                self._idle.append((connection, time.monotonic()))
        return response.status, response.headers, data

    def _checkout(self) -> Any:
        """An idle connection that is still open (as urllib3 checks: not readable), or None."""
        import select

        while True:
            with self._pool_lock:
                if not self._idle:
                    return None
                connection, since = self._idle.pop()
            sock = connection.sock
            try:
                fresh = time.monotonic() - since < _IDLE_REUSE_S
                if fresh and sock is not None and not select.select([sock], [], [], 0)[0]:
                    return connection
            except (OSError, ValueError):
                pass
            connection.close()

    def _connect(self) -> Any:
        import http.client

        connection: Any
        if self._tls:
            connection = http.client.HTTPSConnection(
                self._hostname, self._port, timeout=self._connect_timeout, context=self._context()
            )
        else:
            connection = http.client.HTTPConnection(
                self._hostname, self._port, timeout=self._connect_timeout
            )
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise _errors().ConnectTimeoutError(endpoint_url=self.url) from exc
        except OSError as exc:  # refused, unreachable, DNS, TLS
            connection.close()
            raise _errors().EndpointConnectionError(endpoint_url=self.url) from exc
        connection.sock.settimeout(self._read_timeout)
        return connection

    def _context(self) -> Any:
        """TLS with certificate and host name checks: AWS_CA_BUNDLE if set, else the
        system's trust store, else certifi's (botocore's own choice when installed)."""
        if self._tls_context is None:
            import ssl

            cafile = self._ca_bundle
            if cafile is None:
                paths = ssl.get_default_verify_paths()
                if not (paths.cafile or (paths.capath and os.listdir(paths.capath))):
                    try:
                        import certifi

                        cafile = certifi.where()
                    except ImportError:
                        pass
            self._tls_context = ssl.create_default_context(cafile=cafile)
        return self._tls_context
