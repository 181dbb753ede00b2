"""Alexa request verification, with real certificates, real RSA and a real local HTTP server."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import EnvironHeaders

from skill.alexa.verify import (
    HttpCertificateSource,
    RequestVerifier,
    VerificationError,
    VerifierConfig,
    canonical_cert_url,
    check_application_id,
    request_timestamp,
)
from tests.support import pki
from tests.support.pki import CERT_URL, SKILL_ID, LeafChain, StaticCertificateSource

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC).timestamp()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def chain() -> LeafChain:
    return pki.issue_chain(now=NOW)


@pytest.fixture
def source(chain: LeafChain) -> StaticCertificateSource:
    return StaticCertificateSource({CERT_URL: chain.chain_pem})


@pytest.fixture
def clock() -> Clock:
    return Clock()


MakeVerifier = Callable[..., RequestVerifier]


@pytest.fixture
def make_verifier(source: StaticCertificateSource, clock: Clock) -> MakeVerifier:
    def make(
        *,
        source: Any = source,
        skill_id: str | None = SKILL_ID,
        clock: Clock = clock,
        **config: Any,
    ) -> RequestVerifier:
        return RequestVerifier(
            VerifierConfig(skill_id=skill_id, **config),
            source=source,
            trust_roots=[pki.trusted_root()],
            clock=clock,
        )

    return make


@pytest.fixture
def verifier(make_verifier: MakeVerifier) -> RequestVerifier:
    return make_verifier()


def signed(
    chain: LeafChain, envelope: dict[str, Any], **header_options: Any
) -> tuple[dict[str, str], bytes]:
    body = pki.encode(envelope)
    return chain.headers(body, **header_options), body


def refused(verifier: RequestVerifier, headers: Any, body: bytes) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(headers, body)
    return caught.value


# --------------------------------------------------------------------------- the happy path


def test_valid_request_returns_the_envelope(verifier, chain, source):
    headers, body = pki.signed_request(chain, now=NOW)
    assert verifier.verify(headers, body) == json.loads(body)
    assert source.fetches == [CERT_URL]


def test_request_carrying_both_signatures_is_accepted(verifier, chain):
    body = pki.encode(pki.envelope(SKILL_ID, now=NOW))
    headers = chain.headers(body, legacy=True)
    assert set(headers) >= {"Signature", "Signature-256"}
    assert verifier.verify(headers, body)["request"]["type"] == "LaunchRequest"


@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_header_names_are_case_insensitive_in_a_plain_dict(verifier, chain, case):
    headers, body = pki.signed_request(chain, now=NOW)
    assert verifier.verify({case(k): v for k, v in headers.items()}, body)


def test_werkzeug_environ_headers_are_accepted(verifier, chain):
    headers, body = pki.signed_request(chain, now=NOW)
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    assert verifier.verify(EnvironHeaders(environ), body)


# --------------------------------------------------------------------------- signature


def test_tampered_body_is_refused(verifier, chain):
    headers, body = pki.signed_request(chain, now=NOW)
    tampered = body.replace(b"LaunchRequest", b"SessionEndedRequest")
    assert tampered != body
    error = refused(verifier, headers, tampered)
    assert (error.status, error.reason) == (400, "signature does not match body")


def test_signature_is_checked_before_the_envelope_is_trusted(verifier, chain):
    headers, _ = pki.signed_request(chain, now=NOW)
    foreign = pki.encode(pki.envelope("amzn1.ask.skill.someone-else", now=NOW - 9999))
    assert refused(verifier, headers, foreign).reason == "signature does not match body"


def test_only_the_legacy_sha1_signature_is_refused(verifier, chain):
    body = pki.encode(pki.envelope(SKILL_ID, now=NOW))
    headers = chain.headers(body, sha256=False, legacy=True)
    error = refused(verifier, headers, body)
    assert error.status == 400
    assert "Signature-256" in error.reason


def test_legacy_signature_in_the_sha256_header_is_refused(verifier, chain):
    body = pki.encode(pki.envelope(SKILL_ID, now=NOW))
    headers = chain.headers(body)
    headers["Signature-256"] = chain.sign_legacy(body)
    assert refused(verifier, headers, body).reason == "signature does not match body"


@pytest.mark.parametrize("value", ["not base64!!", "QUJ", "QUJDRA=x", "", "   ", "A" * 5000])
def test_bad_signature_encoding_is_refused_without_fetching(verifier, chain, source, value):
    headers, body = pki.signed_request(chain, now=NOW)
    headers["Signature-256"] = value
    error = refused(verifier, headers, body)
    assert error.status == 400
    assert "ignature" in error.reason
    assert source.fetches == []


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_headers_are_refused(verifier, chain, source, missing):
    headers, body = pki.signed_request(chain, now=NOW)
    del headers[missing]
    error = refused(verifier, headers, body)
    assert (error.status, error.reason) == (400, f"missing {missing} header")
    assert source.fetches == []


def test_no_headers_at_all_are_refused(verifier):
    assert refused(verifier, {}, b"{}").status == 400


# --------------------------------------------------------------------------- certificate URL

ACCEPTED_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "HTTPS://S3.AmazonAWS.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
]

REJECTED_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../x/cert.pem",
    "https://s3.amazonaws.com/echo.api/%2e%2e/x/cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem",
    "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api",
    "https:///echo.api/echo-api-cert.pem",
    "s3.amazonaws.com/echo.api/echo-api-cert.pem",
]


@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_accepted_certificate_urls_fetch_the_canonical_url(make_verifier, chain, source, url):
    assert canonical_cert_url(url) == CERT_URL
    headers, body = pki.signed_request(chain, now=NOW, url=url)
    assert make_verifier().verify(headers, body)
    assert source.fetches == [CERT_URL]


@pytest.mark.parametrize("url", REJECTED_URLS)
def test_rejected_certificate_urls_never_fetch(verifier, chain, source, url):
    with pytest.raises(VerificationError):
        canonical_cert_url(url)
    headers, body = pki.signed_request(chain, now=NOW, url=url)
    error = refused(verifier, headers, body)
    assert error.status == 400
    assert "certificate URL" in error.reason
    assert source.fetches == []


# --------------------------------------------------------------------------- certificate chain


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"untrusted": True}, "certificate chain not trusted"),
        ({"expired": True}, "signing certificate expired"),
        ({"sans": None}, "signing certificate is not for echo-api.amazon.com"),
        ({"sans": ("example.com",)}, "signing certificate is not for echo-api.amazon.com"),
        (
            {"sans": ("echo-api.amazon.com.example.com",)},
            "signing certificate is not for echo-api.amazon.com",
        ),
    ],
    ids=["untrusted-root", "expired-leaf", "no-san", "other-san", "suffixed-san"],
)
def test_bad_signing_certificates_are_refused(make_verifier, options, reason):
    bad = pki.issue_chain(now=NOW, **options)
    verifier = make_verifier(source=StaticCertificateSource({CERT_URL: bad.chain_pem}))
    headers, body = pki.signed_request(bad, now=NOW)
    error = refused(verifier, headers, body)
    assert (error.status, error.reason) == (400, reason)


def test_leaf_not_yet_valid_is_refused(make_verifier, chain):
    early = Clock(NOW - 2 * 86400)  # the test leaf becomes valid a day before NOW
    verifier = make_verifier(clock=early)
    body = pki.encode(pki.envelope(SKILL_ID, now=early.now))
    assert (
        refused(verifier, chain.headers(body), body).reason == "signing certificate not yet valid"
    )


def test_chain_without_its_intermediate_is_refused(make_verifier, chain):
    leaf_only = (
        chain.chain_pem.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    )
    verifier = make_verifier(source=StaticCertificateSource({CERT_URL: leaf_only}))
    headers, body = pki.signed_request(chain, now=NOW)
    assert refused(verifier, headers, body).reason == "certificate chain not trusted"


def test_default_trust_store_is_certifi_and_refuses_the_test_root(chain):
    verifier = RequestVerifier(
        VerifierConfig(skill_id=SKILL_ID),
        source=StaticCertificateSource({CERT_URL: chain.chain_pem}),
        clock=Clock(),
    )
    headers, body = pki.signed_request(chain, now=NOW)
    assert refused(verifier, headers, body).reason == "certificate chain not trusted"


@pytest.mark.parametrize(
    "payload",
    [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
)
def test_chain_that_is_not_pem_is_refused(make_verifier, chain, payload):
    verifier = make_verifier(source=StaticCertificateSource({CERT_URL: payload}))
    headers, body = pki.signed_request(chain, now=NOW)
    assert refused(verifier, headers, body).reason == "certificate chain is not PEM"


def test_oversized_chain_from_a_source_is_refused(make_verifier, chain):
    padded = chain.chain_pem + b"\n" * (64 * 1024)
    verifier = make_verifier(source=StaticCertificateSource({CERT_URL: padded}))
    headers, body = pki.signed_request(chain, now=NOW)
    assert refused(verifier, headers, body).reason == "certificate chain too large"


class RaisingSource:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def fetch(self, url: str) -> bytes:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        OSError("connection refused"),
        TimeoutError("timed out"),
        RuntimeError("bug"),
        ValueError("bad"),
    ],
    ids=["oserror", "timeout", "runtime", "value"],
)
def test_unreachable_certificate_is_a_verification_error(make_verifier, chain, error):
    source = RaisingSource(error)
    headers, body = pki.signed_request(chain, now=NOW)
    caught = refused(make_verifier(source=source), headers, body)
    assert (caught.status, caught.reason) == (400, "certificate chain unavailable")
    assert caught.__cause__ is error
    assert source.calls == 1


def test_failed_fetch_is_not_cached(make_verifier, chain):
    source = StaticCertificateSource()
    verifier = make_verifier(source=source)
    headers, body = pki.signed_request(chain, now=NOW)
    refused(verifier, headers, body)
    source.pems[CERT_URL] = chain.chain_pem
    assert verifier.verify(headers, body)
    assert source.fetches == [CERT_URL, CERT_URL]


# --------------------------------------------------------------------------- cache


def test_second_verification_uses_the_cached_key(verifier, chain, source):
    for _ in range(3):
        headers, body = pki.signed_request(chain, now=NOW)
        assert verifier.verify(headers, body)
    assert source.fetches == [CERT_URL]


def test_cached_key_is_evicted_when_the_leaf_expires(make_verifier, clock):
    short = pki.issue_chain(now=NOW, valid_for=timedelta(hours=1))
    source = StaticCertificateSource({CERT_URL: short.chain_pem})
    verifier = make_verifier(source=source)
    assert verifier.verify(*pki.signed_request(short, now=clock.now))

    clock.now = NOW + 3599
    assert verifier.verify(*pki.signed_request(short, now=clock.now))
    assert len(source.fetches) == 1

    clock.now = NOW + 3601  # the cached key is past its leaf's not_valid_after
    stale = refused(verifier, *pki.signed_request(short, now=clock.now))
    assert stale.reason == "signing certificate expired"
    assert len(source.fetches) == 2

    renewed = pki.issue_chain(now=clock.now)
    source.pems[CERT_URL] = renewed.chain_pem
    assert verifier.verify(*pki.signed_request(renewed, now=clock.now))
    assert len(source.fetches) == 3


def test_cached_key_is_evicted_when_an_intermediate_expires_first(make_verifier, clock):
    intermediate_end = datetime.fromtimestamp(NOW + 600, tz=UTC)
    early = pki.issue_chain(now=NOW, intermediate_not_after=intermediate_end)
    source = StaticCertificateSource({CERT_URL: early.chain_pem})
    verifier = make_verifier(source=source)
    assert verifier.verify(*pki.signed_request(early, now=clock.now))

    clock.now = NOW + 601
    source.pems[CERT_URL] = pki.issue_chain(now=clock.now).chain_pem
    assert verifier.verify(*pki.signed_request(early, now=clock.now))  # same leaf key
    assert len(source.fetches) == 2


def test_cache_is_bounded_least_recently_used_first(make_verifier, chain):
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{name}.pem" for name in "abc"]
    source = StaticCertificateSource({url: chain.chain_pem for url in urls})
    verifier = make_verifier(source=source, cert_cache_size=2)
    for url in [*urls, urls[2], urls[0]]:
        assert verifier.verify(*pki.signed_request(chain, now=NOW, url=url))
    assert source.fetches == [*urls, urls[0]]  # c was still cached; a had been evicted


def test_concurrent_verifications_share_the_cache(make_verifier, chain):
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(3)]
    source = StaticCertificateSource({url: chain.chain_pem for url in urls})
    verifier = make_verifier(source=source, cert_cache_size=2)
    requests = [pki.signed_request(chain, now=NOW, url=url) for url in urls]
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        barrier.wait()
        for n in range(60):
            try:
                verifier.verify(*requests[(n + offset) % len(requests)])
            except BaseException as exc:  # report every failure, not only the first
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# --------------------------------------------------------------------------- body and envelope


def test_two_megabyte_body_is_413_without_fetching(verifier, chain, source):
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    error = refused(verifier, chain.headers(body), body)
    assert (error.status, error.reason) == (413, "request body too large")
    assert source.fetches == []


def test_body_at_the_size_limit_is_not_413(make_verifier, chain):
    verifier = make_verifier(max_body_bytes=4096)
    envelope = pki.envelope(SKILL_ID, now=NOW)
    body = pki.encode(envelope)
    body = body[:-1] + b" " * (4096 - len(body)) + b"}"
    assert len(body) == 4096
    assert verifier.verify(chain.headers(body), body) == envelope
    with pytest.raises(VerificationError) as caught:
        verifier.check_body_size(4097)
    assert caught.value.status == 413


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"request": ', "body is not valid JSON"),
        (b"\xff\xfe\x00garbage", "body is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON"),
        (b"[]", "body is not a JSON object"),
        (b'"text"', "body is not a JSON object"),
    ],
    ids=["truncated", "not-utf8", "too-deep", "array", "string"],
)
def test_signed_but_malformed_body_is_refused(verifier, chain, body, reason):
    error = refused(verifier, chain.headers(body), body)
    assert (error.status, error.reason) == (400, reason)


@pytest.mark.parametrize(
    ("request_type", "age_s", "accepted"),
    [
        ("LaunchRequest", 0, True),
        ("LaunchRequest", 149, True),
        ("LaunchRequest", -149, True),
        ("LaunchRequest", 151, False),
        ("IntentRequest", -151, False),
        ("LaunchRequest", 3600, False),
        ("AlexaSkillEvent.SkillEnabled", 1800, True),
        ("AlexaSkillEvent.SkillDisabled", -1800, True),
        ("AlexaSkillEvent.SkillEnabled", 3601, False),
        ("AlexaSkillEventLookalike", 1800, False),
    ],
)
def test_timestamp_tolerance(verifier, chain, request_type, age_s, accepted):
    envelope = pki.envelope(SKILL_ID, now=NOW - age_s, request_type=request_type)
    headers, body = signed(chain, envelope)
    if accepted:
        assert verifier.verify(headers, body) == envelope
    else:
        assert refused(verifier, headers, body).reason == "request timestamp out of tolerance"


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-24T18:00:00Z",
        "2026-11-24T18:00:00.123Z",
        "2026-11-24T18:00:00.123456789Z",
        "2026-11-24T19:00:00+01:00",
        "2026-11-24T18:00:00",
    ],
)
def test_timestamp_formats(verifier, chain, stamp):
    assert abs(request_timestamp({"request": {"timestamp": stamp}}) - NOW) < 1
    headers, body = signed(chain, pki.envelope(SKILL_ID, now=NOW, timestamp=stamp))
    assert verifier.verify(headers, body)


@pytest.mark.parametrize(
    ("request_part", "reason"),
    [
        ({"type": "LaunchRequest"}, "missing request timestamp"),
        ({"type": "LaunchRequest", "timestamp": "yesterday"}, "invalid request timestamp"),
        ({"type": "LaunchRequest", "timestamp": 1795543200}, "invalid request timestamp"),
        (
            {"type": "LaunchRequest", "timestamp": "2026-13-45T99:00:00Z"},
            "invalid request timestamp",
        ),
        ("LaunchRequest", "missing request timestamp"),
    ],
)
def test_missing_or_invalid_timestamp_is_refused(verifier, chain, request_part, reason):
    envelope = pki.envelope(SKILL_ID, now=NOW)
    envelope["request"] = request_part
    headers, body = signed(chain, envelope)
    assert refused(verifier, headers, body).reason == reason


def test_foreign_skill_id_is_refused(verifier, chain):
    headers, body = pki.signed_request(
        chain, now=NOW, application_id="amzn1.ask.skill.someone-else"
    )
    error = refused(verifier, headers, body)
    assert (error.status, error.reason) == (400, "unexpected application id")


def test_missing_application_id_is_refused(verifier, chain):
    headers, body = pki.signed_request(chain, now=NOW, application_id=None)
    assert refused(verifier, headers, body).reason == "unexpected application id"


def test_session_application_id_is_the_fallback(verifier, chain):
    envelope = pki.envelope(SKILL_ID, now=NOW)
    del envelope["context"]
    assert verifier.verify(*signed(chain, envelope)) == envelope
    envelope["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    assert refused(verifier, *signed(chain, envelope)).reason == "unexpected application id"


def test_context_application_id_wins_over_session(verifier, chain):
    envelope = pki.envelope(SKILL_ID, now=NOW)
    envelope["session"]["application"] = {"applicationId": "amzn1.ask.skill.someone-else"}
    assert verifier.verify(*signed(chain, envelope)) == envelope


def test_without_a_configured_skill_id_any_application_is_accepted(make_verifier, chain):
    verifier = make_verifier(skill_id=None)
    headers, body = pki.signed_request(chain, now=NOW, application_id="amzn1.ask.skill.anyone")
    assert verifier.verify(headers, body)


def test_check_envelope_alone_checks_timestamp_and_skill_id(verifier):
    verifier.check_envelope(pki.envelope(SKILL_ID, now=NOW), NOW)
    with pytest.raises(VerificationError, match="timestamp"):
        verifier.check_envelope(pki.envelope(SKILL_ID, now=NOW - 600), NOW)
    with pytest.raises(VerificationError, match="application id"):
        verifier.check_envelope(pki.envelope("amzn1.ask.skill.other", now=NOW), NOW)


def test_unsigned_mode_keeps_only_size_json_and_skill_id_checks(verifier, source):
    stale = pki.encode(pki.envelope(SKILL_ID, now=NOW - 86400))
    assert verifier.parse_unsigned(stale)["request"]["type"] == "LaunchRequest"
    with pytest.raises(VerificationError, match="unexpected application id"):
        verifier.parse_unsigned(pki.encode(pki.envelope("amzn1.ask.skill.other", now=NOW)))
    with pytest.raises(VerificationError, match="not valid JSON"):
        verifier.parse_unsigned(b"{")
    with pytest.raises(VerificationError) as too_big:
        verifier.parse_unsigned(b" " * (256 * 1024 + 1))
    assert too_big.value.status == 413
    check_application_id({"session": {"application": {"applicationId": "x"}}}, None)
    assert source.fetches == []


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        VerifierConfig(skill_id=None, max_body_bytes=0)
    with pytest.raises(ValueError):
        VerifierConfig(skill_id=None, cert_fetch_timeout_s=0)


# --------------------------------------------------------------------------- HttpCertificateSource

CAP = 4096
PEM_PATH = "/echo.api/echo-api-cert.pem"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    pem = b""

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, *, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-pem-file")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == PEM_PATH:
            self._send(200, self.pem, length=len(self.pem))
        elif path == "/big-declared":
            self._send(200, b"x" * (CAP + 1), length=CAP + 1)
        elif path == "/big-undeclared":
            self._send(200, b"x" * (CAP * 4))
        elif path == "/exactly-cap":
            self._send(200, b"x" * CAP)
        elif path == "/slow":
            time.sleep(1.0)
            self._send(200, self.pem, length=len(self.pem))
        elif path == "/drip":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(20):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", PEM_PATH)
            self.end_headers()
        elif path == "/error":
            self._send(500, b"oops", length=4)
        else:
            self._send(404, b"not found", length=9)


@pytest.fixture(scope="module")
def http_base(chain: LeafChain) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"pem": chain.chain_pem})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_source() -> HttpCertificateSource:
    return HttpCertificateSource(timeout_s=0.3, max_bytes=CAP, schemes=("http",))


def test_http_source_fetches_a_chain(http_source, http_base, chain):
    assert http_source.fetch(http_base + PEM_PATH) == chain.chain_pem


def test_http_source_accepts_a_body_of_exactly_the_cap(http_source, http_base):
    assert len(http_source.fetch(http_base + "/exactly-cap")) == CAP


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "certificate fetch answered HTTP 404"),
        ("/error", "certificate fetch answered HTTP 500"),
        ("/redirect", "certificate fetch answered HTTP 302"),
        ("/big-declared", "certificate chain too large"),
        ("/big-undeclared", "certificate chain too large"),
        ("/slow", "certificate fetch timed out"),
        ("/drip", "certificate fetch timed out"),
    ],
)
def test_http_source_failures_are_verification_errors(http_source, http_base, path, reason):
    start = time.monotonic()
    with pytest.raises(VerificationError) as caught:
        http_source.fetch(http_base + path)
    assert (caught.value.status, caught.value.reason) == (400, reason)
    assert time.monotonic() - start < 0.9  # the whole fetch is bounded, not each read


def test_http_source_refuses_a_closed_port(http_source):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(VerificationError) as caught:
        http_source.fetch(f"http://127.0.0.1:{port}{PEM_PATH}")
    assert caught.value.reason == "certificate fetch failed"


def test_http_source_is_https_only_by_default(http_base):
    with pytest.raises(VerificationError, match="scheme"):
        HttpCertificateSource().fetch(http_base + PEM_PATH)


class LoopbackSource:
    """Serves the checked s3 URL's path from the local server through the real HTTP source."""

    def __init__(self, base: str, inner: HttpCertificateSource) -> None:
        self.base = base
        self.inner = inner

    def fetch(self, url: str) -> bytes:
        return self.inner.fetch(self.base + urlsplit(url).path)


def test_end_to_end_over_http(make_verifier, http_base, http_source, chain):
    verifier = make_verifier(source=LoopbackSource(http_base, http_source))
    assert verifier.verify(*pki.signed_request(chain, now=NOW))


def test_end_to_end_unreachable_certificate_host(make_verifier, http_source, chain):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = make_verifier(source=LoopbackSource(f"http://127.0.0.1:{port}", http_source))
    error = refused(verifier, *pki.signed_request(chain, now=NOW))
    assert (error.status, error.reason) == (400, "certificate fetch failed")
