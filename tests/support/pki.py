"""An in-memory test PKI shaped like Amazon's: root CA -> intermediate CA -> signing leaf.

The skill's verifier trusts ``trusted_root()`` in tests, exactly as it trusts the certifi
bundle in production; nothing here is a mock, every signature is real RSA.

- ``issue_chain(now=...)`` issues a leaf for ``echo-api.amazon.com`` (options: expired,
  other or no SANs, a chain from an untrusted root, an intermediate that expires first).
- ``LeafChain.sign(body)`` is the ``Signature-256`` value Alexa would send for ``body``.
- ``signed_request(chain, ...)`` returns ``(headers, body)`` for a fresh request envelope.
- ``StaticCertificateSource`` serves chains from a dict and counts its fetches.

RSA key generation is slow, so the few keys are generated once per process and reused.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ECHO_API_DNS = "echo-api.amazon.com"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-000000000001"

# CA certificates are valid for the whole era any test clock uses.
_CA_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_CA_NOT_AFTER = datetime(2060, 1, 1, tzinfo=UTC)


@cache
def _key(name: str) -> rsa.RSAPrivateKey:
    """One RSA-2048 key per role, generated on first use and kept for the session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Connection Game Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def ca_key_usage() -> x509.KeyUsage:
    """Key usage of a certificate authority (sign certificates and CRLs)."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _self_signed_root(role: str, common_name: str) -> x509.Certificate:
    key = _key(role)
    name = _name(common_name)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_CA_NOT_BEFORE)
        .not_valid_after(_CA_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


@cache
def trusted_root() -> x509.Certificate:
    """The root CA the verifier under test trusts."""
    return _self_signed_root("root", "Connection Game Test Root CA")


@cache
def untrusted_root() -> x509.Certificate:
    """A well-formed root CA that no verifier in the tests trusts."""
    return _self_signed_root("rogue-root", "Rogue Root CA")


def _issue_intermediate(
    root: x509.Certificate, root_role: str, not_after: datetime
) -> x509.Certificate:
    key = _key("intermediate")
    return (
        x509.CertificateBuilder()
        .subject_name(_name(f"Test Intermediate CA ({root_role})"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_CA_NOT_BEFORE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_key(root_role).public_key()),
            critical=False,
        )
        .sign(_key(root_role), hashes.SHA256())
    )


@dataclass(frozen=True, slots=True)
class LeafChain:
    """A signing certificate, the intermediate that issued it, and the signing key."""

    leaf: x509.Certificate
    intermediate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def chain_pem(self) -> bytes:
        """What Amazon serves at the SignatureCertChainUrl: leaf first, then intermediates."""
        return b"".join(
            cert.public_bytes(serialization.Encoding.PEM) for cert in (self.leaf, self.intermediate)
        )

    def sign(self, body: bytes) -> str:
        """The ``Signature-256`` header value: base64 RSA-SHA256 PKCS#1 v1.5 over ``body``."""
        raw = self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def sign_legacy(self, body: bytes) -> str:
        """The deprecated ``Signature`` header value (RSA-SHA1), for refusal tests."""
        raw = self.key.sign(body, padding.PKCS1v15(), hashes.SHA1())  # legacy on purpose
        return base64.b64encode(raw).decode("ascii")

    def headers(
        self, body: bytes, *, url: str = CERT_URL, sha256: bool = True, legacy: bool = False
    ) -> dict[str, str]:
        """Request headers as Alexa sends them (today it sends both signatures)."""
        headers = {"Content-Type": "application/json", "SignatureCertChainUrl": url}
        if sha256:
            headers["Signature-256"] = self.sign(body)
        if legacy:
            headers["Signature"] = self.sign_legacy(body)
        return headers


def issue_chain(
    *,
    now: float,
    valid_for: timedelta = timedelta(days=30),
    expired: bool = False,
    sans: tuple[str, ...] | None = (ECHO_API_DNS,),
    untrusted: bool = False,
    intermediate_not_after: datetime | None = None,
) -> LeafChain:
    """Issue a signing leaf valid from a day before ``now`` for ``valid_for`` after it.

    ``expired`` makes the leaf's validity end an hour before ``now``; ``sans=None`` leaves the
    SubjectAlternativeName extension out; ``untrusted`` chains to ``untrusted_root()``;
    ``intermediate_not_after`` ends the intermediate's validity (default: the CA era).
    """
    moment = datetime.fromtimestamp(now, tz=UTC)
    root_role = "rogue-root" if untrusted else "root"
    root = untrusted_root() if untrusted else trusted_root()
    intermediate = _issue_intermediate(root, root_role, intermediate_not_after or _CA_NOT_AFTER)
    not_before = moment - timedelta(days=1)
    not_after = moment - timedelta(hours=1) if expired else moment + valid_for
    if expired:
        not_before = not_after - timedelta(days=30)
    leaf_key = _key("leaf")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(ECHO_API_DNS))
        .issuer_name(intermediate.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_key("intermediate").public_key()),
            critical=False,
        )
    )
    if sans is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in sans]), critical=False
        )
    leaf = builder.sign(_key("intermediate"), hashes.SHA256())
    return LeafChain(leaf=leaf, intermediate=intermediate, key=leaf_key)


def iso_timestamp(epoch: float) -> str:
    """Alexa's timestamp format, e.g. ``2026-11-24T18:00:00Z``."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(
    application_id: str | None,
    *,
    now: float,
    request_type: str = "LaunchRequest",
    timestamp: str | None = None,
) -> dict[str, Any]:
    """A minimal but realistic request envelope stamped ``now`` (or ``timestamp``)."""
    application = {"applicationId": application_id} if application_id is not None else {}
    user = {"userId": "amzn1.ask.account.TEST"}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": application,
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "type": request_type,
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": timestamp if timestamp is not None else iso_timestamp(now),
            "locale": "en-US",
        },
    }


def encode(envelope_: Mapping[str, Any]) -> bytes:
    """Serialise an envelope the way it travels: compact UTF-8 JSON."""
    return json.dumps(envelope_, separators=(",", ":")).encode("utf-8")


def signed_request(
    chain: LeafChain,
    *,
    application_id: str | None = SKILL_ID,
    now: float,
    request_type: str = "LaunchRequest",
    url: str = CERT_URL,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a fresh, correctly signed request."""
    body = encode(envelope(application_id, now=now, request_type=request_type))
    return chain.headers(body, url=url), body


class StaticCertificateSource:
    """A ``CertificateSource`` serving PEM chains from a dict; records every fetch.

    An unknown URL raises ``OSError``, as a network failure would.
    """

    def __init__(self, pems: Mapping[str, bytes] | None = None) -> None:
        self.pems: dict[str, bytes] = dict(pems or {})
        self.fetches: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetches.append(url)
        try:
            return self.pems[url]
        except KeyError:
            raise OSError(f"no certificate at {url}") from None
