"""Verify that an HTTPS request to the self-hosted endpoint was sent by Alexa.

Implements Amazon's "Verifying that the request was sent by Alexa" for web services:

1. the body is at most ``max_body_bytes`` (413 otherwise);
2. ``SignatureCertChainUrl`` is ``https://s3.amazonaws.com[:443]/echo.api/...`` once dot
   segments are resolved;
3. the PEM chain found there (leaf first) is valid now, its leaf names
   ``echo-api.amazon.com`` and it chains to a trusted root (the certifi bundle by default);
4. ``Signature-256`` is a valid RSA-SHA256 PKCS#1 v1.5 signature of the raw body bytes (the
   legacy SHA-1 ``Signature`` header alone is refused);
5. only then is the body parsed: ``request.timestamp`` must be within 150 s of now (3600 s
   for ``AlexaSkillEvent.*``) and the application id must be this skill's.

Verified signing keys are cached per certificate URL until the first certificate of the
chain expires, so the steady state costs one RSA verification per request.

Every refusal is a ``VerificationError``; the web layer answers ``error.status`` with
``error.reason``. Nothing here logs bodies or headers other than the certificate URL.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import posixpath
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as ChainError

__all__ = [
    "CERT_HOST",
    "CERT_PATH_PREFIX",
    "ECHO_API_DNS",
    "CertificateSource",
    "HttpCertificateSource",
    "RequestVerifier",
    "VerificationError",
    "VerifierConfig",
    "application_id",
    "canonical_cert_url",
    "check_application_id",
    "check_timestamp",
    "load_certifi_roots",
    "parse_envelope",
    "request_timestamp",
]

log = logging.getLogger(__name__)

ECHO_API_DNS = "echo-api.amazon.com"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
SKILL_EVENT_PREFIX = "AlexaSkillEvent."

_MAX_SIGNATURE_CHARS = 2048  # base64 of a 8192-bit RSA signature is 1368 characters
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class VerificationError(Exception):
    """The request is refused.

    ``reason`` is short text for the HTTP body and the log (never request content);
    ``status`` is the HTTP status to answer: 400, or 413 for an oversized body.
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def __repr__(self) -> str:
        return f"VerificationError({self.reason!r}, status={self.status})"


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    """What the verifier accepts. ``skill_id=None`` accepts any application id."""

    skill_id: str | None
    max_body_bytes: int = 256 * 1024
    timestamp_tolerance_s: int = 150
    skill_event_tolerance_s: int = 3600
    cert_fetch_timeout_s: float = 3.0
    cert_max_bytes: int = 64 * 1024
    cert_cache_size: int = 8

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "cert_max_bytes", "cert_cache_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        for name in ("timestamp_tolerance_s", "skill_event_tolerance_s", "cert_fetch_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


class CertificateSource(Protocol):
    """Where signing certificate chains come from. ``url`` is already checked and canonical."""

    def fetch(self, url: str) -> bytes:
        """Return the PEM chain at ``url``. Any exception refuses the request."""
        ...


# --------------------------------------------------------------------------- URL rules


def canonical_cert_url(url: str) -> str:
    """Check a ``SignatureCertChainUrl`` value and return the URL to fetch.

    Scheme and host compare case-insensitively, the port must be absent or 443, and the path,
    with ``.``/``..`` segments resolved, must start with ``/echo.api/`` (case-sensitive).
    The result is ``https://s3.amazonaws.com/<normalised path>[?query]``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise VerificationError("malformed certificate URL") from None
    if parts.scheme.lower() != "https":
        raise VerificationError("certificate URL is not https")
    if parts.username is not None or parts.password is not None:
        raise VerificationError("certificate URL has credentials")
    if (parts.hostname or "") != CERT_HOST:  # .hostname is lower-cased
        raise VerificationError("certificate URL host is not s3.amazonaws.com")
    if port not in (None, 443):
        raise VerificationError("certificate URL port is not 443")
    path = _normalise_path(parts.path)
    # Check the decoded form too, so "%2e%2e" cannot climb out of /echo.api/ at the server.
    if not path.startswith(CERT_PATH_PREFIX) or not _normalise_path(unquote(parts.path)).startswith(
        CERT_PATH_PREFIX
    ):
        raise VerificationError("certificate URL path is not under /echo.api/")
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{CERT_HOST}{path}{query}"


def _normalise_path(path: str) -> str:
    """RFC 3986 dot-segment removal for an absolute path (``..`` above the root stays at it)."""
    if not path.startswith("/"):
        path = "/" + path
    normal = posixpath.normpath(path)
    if normal.startswith("//"):  # POSIX keeps a leading "//"; URLs do not.
        normal = "/" + normal.lstrip("/")
    return normal


# --------------------------------------------------------------------------- envelope rules


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Decode the request body as a JSON object."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise VerificationError("body is not valid JSON") from None
    if not isinstance(envelope, dict):
        raise VerificationError("body is not a JSON object")
    return envelope


def _path(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def application_id(envelope: Mapping[str, Any]) -> str | None:
    """``context.System.application.applicationId``, else ``session.application.applicationId``."""
    for keys in (
        ("context", "System", "application", "applicationId"),
        ("session", "application", "applicationId"),
    ):
        value = _path(envelope, *keys)
        if isinstance(value, str):
            return value
    return None


def check_application_id(envelope: Mapping[str, Any], skill_id: str | None) -> None:
    """Refuse an envelope addressed to another skill. ``skill_id=None`` accepts any.

    This is the one check that stays on when signature verification is switched off.
    """
    if skill_id is not None and application_id(envelope) != skill_id:
        raise VerificationError("unexpected application id")


def request_timestamp(envelope: Mapping[str, Any]) -> float:
    """``request.timestamp`` (ISO-8601; ``Z``, offsets and fractions allowed) as epoch seconds.

    A timestamp without an offset is taken as UTC.
    """
    value = _path(envelope, "request", "timestamp")
    if value is None:
        raise VerificationError("missing request timestamp")
    if not isinstance(value, str) or len(value) > 40:
        raise VerificationError("invalid request timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise VerificationError("invalid request timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def check_timestamp(
    envelope: Mapping[str, Any],
    now: float,
    *,
    tolerance_s: float = 150,
    skill_event_tolerance_s: float = 3600,
) -> None:
    """Refuse a request stamped more than the tolerance away from ``now``, either way."""
    request_type = _path(envelope, "request", "type")
    is_skill_event = isinstance(request_type, str) and request_type.startswith(SKILL_EVENT_PREFIX)
    tolerance = skill_event_tolerance_s if is_skill_event else tolerance_s
    if abs(now - request_timestamp(envelope)) > tolerance:
        raise VerificationError("request timestamp out of tolerance")


# --------------------------------------------------------------------------- certificates


def load_certifi_roots() -> list[x509.Certificate]:
    """The certifi CA bundle, one certificate at a time so one odd root cannot break the rest."""
    roots: list[x509.Certificate] = []
    data = Path(certifi.where()).read_bytes()
    with warnings.catch_warnings():
        # Some long-lived roots have non-positive serial numbers; they are still roots.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM_BLOCK.findall(data):
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                log.debug("skipping an unparsable certificate in the certifi bundle")
    return roots


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed fetch: the certificate lives at the URL that was checked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class HttpCertificateSource:
    """Fetch certificate chains over HTTPS with urllib (the production source).

    ``timeout_s`` bounds connecting, each read and the whole body download; bodies larger
    than ``max_bytes`` are refused; redirects are not followed; only ``schemes`` are fetched
    (tests pass ``("http",)`` to reach a local server). Every failure is a
    ``VerificationError``.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 3.0,
        max_bytes: int = 64 * 1024,
        schemes: Sequence[str] = ("https",),
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._max_bytes = max_bytes
        self._schemes = frozenset(scheme.lower() for scheme in schemes)
        context = ssl_context or ssl.create_default_context(cafile=certifi.where())
        self._opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=context)
        )

    def fetch(self, url: str) -> bytes:
        if urlsplit(url).scheme.lower() not in self._schemes:
            raise VerificationError("certificate URL scheme not allowed")
        request = urllib.request.Request(
            url, headers={"Accept": "application/x-pem-file, */*", "User-Agent": "connection-game"}
        )
        deadline = time.monotonic() + self._timeout_s
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                return self._read(response, deadline)
        except VerificationError:
            raise
        except urllib.error.HTTPError as exc:
            exc.close()
            raise VerificationError(f"certificate fetch answered HTTP {exc.code}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise VerificationError("certificate fetch timed out") from exc
            raise VerificationError("certificate fetch failed") from exc
        except TimeoutError as exc:
            raise VerificationError("certificate fetch timed out") from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise VerificationError("certificate fetch failed") from exc

    def _read(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        if response.status != 200:
            raise VerificationError(f"certificate fetch answered HTTP {response.status}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise VerificationError("certificate chain too large")
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise VerificationError("certificate fetch timed out")
            chunk = response.read1(min(16 * 1024, self._max_bytes + 1 - size))
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_bytes:
                raise VerificationError("certificate chain too large")
            chunks.append(chunk)


@dataclass(frozen=True, slots=True)
class _CachedKey:
    key: rsa.RSAPublicKey
    expires_at: float  # epoch seconds: the earliest not_valid_after in the verified chain


class _KeyCache:
    """A small thread-safe LRU of verified signing keys, each dropped when its chain expires."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, _CachedKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, now: float) -> rsa.RSAPublicKey | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if now >= entry.expires_at:
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
            return entry.key

    def put(self, url: str, entry: _CachedKey) -> None:
        with self._lock:
            self._entries[url] = entry
            self._entries.move_to_end(url)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that works for plain dicts and Werkzeug headers alike."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        for key, candidate in headers.items():
            if key.lower() == wanted:
                return candidate
    return value


def _decode_signature(value: str) -> bytes:
    value = value.strip()
    if len(value) > _MAX_SIGNATURE_CHARS:
        raise VerificationError("signature header too long")
    try:
        signature = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError("signature is not valid base64") from None
    if not signature:
        raise VerificationError("signature is empty")
    return signature


def _names_echo_api(leaf: x509.Certificate) -> bool:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return any(name.lower() == ECHO_API_DNS for name in san.get_values_for_type(x509.DNSName))


class RequestVerifier:
    """Decides whether one HTTP request really comes from Alexa, for this skill.

    Thread-safe; build one per process and share it. Construction reads the trust roots but
    touches no network; the first request for each certificate URL fetches its chain.
    """

    def __init__(
        self,
        config: VerifierConfig,
        *,
        source: CertificateSource | None = None,
        trust_roots: list[x509.Certificate] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._source: CertificateSource = source or HttpCertificateSource(
            timeout_s=config.cert_fetch_timeout_s, max_bytes=config.cert_max_bytes
        )
        roots = list(trust_roots) if trust_roots is not None else load_certifi_roots()
        if not roots:
            raise ValueError("no trust roots")
        self._store = Store(roots)
        self._clock = clock
        self._keys = _KeyCache(config.cert_cache_size)

    @property
    def config(self) -> VerifierConfig:
        return self._config

    def check_body_size(self, size: int) -> None:
        """Refuse with 413 before reading, e.g. on the declared Content-Length."""
        if size > self._config.max_body_bytes:
            raise VerificationError("request body too large", status=413)

    def verify(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        """Return the request envelope if every check passes; raise ``VerificationError``."""
        self.check_body_size(len(body))
        now = self._clock()
        cert_url = _header(headers, "SignatureCertChainUrl")
        if not cert_url:
            raise VerificationError("missing SignatureCertChainUrl header")
        signature_value = _header(headers, "Signature-256")
        if not signature_value:
            if _header(headers, "Signature"):
                raise VerificationError("SHA-1 Signature refused; Signature-256 required")
            raise VerificationError("missing Signature-256 header")
        url = canonical_cert_url(cert_url)
        signature = _decode_signature(signature_value)
        key = self._signing_key(url, now)
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("signature does not match body") from None
        envelope = parse_envelope(body)
        self.check_envelope(envelope, now)
        return envelope

    def check_envelope(self, envelope: Mapping[str, Any], now: float) -> None:
        """The checks on a trusted envelope: timestamp tolerance, then application id."""
        check_timestamp(
            envelope,
            now,
            tolerance_s=self._config.timestamp_tolerance_s,
            skill_event_tolerance_s=self._config.skill_event_tolerance_s,
        )
        check_application_id(envelope, self._config.skill_id)

    def parse_unsigned(self, body: bytes) -> dict[str, Any]:
        """For ``--no-verify`` only: size, JSON and application id; no signature, no clock."""
        self.check_body_size(len(body))
        envelope = parse_envelope(body)
        check_application_id(envelope, self._config.skill_id)
        return envelope

    # ----------------------------------------------------------------------- internals

    def _signing_key(self, url: str, now: float) -> rsa.RSAPublicKey:
        key = self._keys.get(url, now)
        if key is None:
            # Concurrent first requests may each fetch; the last verified result is kept.
            entry = self._verify_chain(self._fetch(url), now)
            self._keys.put(url, entry)
            log.info(
                "signing certificate verified url=%s expires=%s",
                url,
                datetime.fromtimestamp(entry.expires_at, tz=UTC).isoformat(),
            )
            key = entry.key
        return key

    def _fetch(self, url: str) -> bytes:
        try:
            data = self._source.fetch(url)
        except VerificationError:
            raise
        except Exception as exc:  # the source is a port: whatever it raises refuses the request
            log.info("certificate fetch failed url=%s error=%s", url, type(exc).__name__)
            raise VerificationError("certificate chain unavailable") from exc
        if not isinstance(data, bytes | bytearray):
            raise VerificationError("certificate chain unavailable")
        if len(data) > self._config.cert_max_bytes:
            raise VerificationError("certificate chain too large")
        return bytes(data)

    def _verify_chain(self, pem: bytes, now: float) -> _CachedKey:
        try:
            certificates = x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise VerificationError("certificate chain is not PEM") from None
        leaf, intermediates = certificates[0], certificates[1:]
        moment = datetime.fromtimestamp(now, tz=UTC)
        try:
            if moment < leaf.not_valid_before_utc:
                raise VerificationError("signing certificate not yet valid")
            if moment > leaf.not_valid_after_utc:
                raise VerificationError("signing certificate expired")
            if not _names_echo_api(leaf):
                raise VerificationError("signing certificate is not for echo-api.amazon.com")
            # A server verifier checks the SAN, validity at `moment`, the path to a root and
            # the Web PKI profile; a client verifier would demand the clientAuth EKU, which
            # public CAs are dropping from their leaves.
            verifier = (
                PolicyBuilder()
                .store(self._store)
                .time(moment)
                .build_server_verifier(x509.DNSName(ECHO_API_DNS))
            )
            chain = verifier.verify(leaf, intermediates)
            key = leaf.public_key()
        except (ChainError, ValueError) as exc:
            log.info("certificate chain refused: %s", exc)
            raise VerificationError("certificate chain not trusted") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationError("signing key is not RSA")
        expires_at = min(certificate.not_valid_after_utc for certificate in chain).timestamp()
        return _CachedKey(key=key, expires_at=expires_at)
