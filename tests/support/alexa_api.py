"""A local stand-in for Alexa's API host (``context.System.apiEndpoint``), over real HTTPS.

    with serve_alexa_api() as api:
        envelope["context"]["System"]["apiEndpoint"] = api.endpoint
        ...
        assert api.calls[0].body["trigger"]["offsetInSeconds"] == 86400

The skill's reminder code runs unchanged: the SDK's reminder-management client and its HTTP
client (requests) send real requests here. The SDK refuses plain HTTP endpoints, so the server
speaks TLS with a certificate from a throwaway CA; tests trust that CA the way requests is
told to in any environment, through ``REQUESTS_CA_BUNDLE`` (``api.trust(monkeypatch)``).

It answers ``POST /v1/alerts/reminders`` as Alexa's Reminders API documents it:

- ``Authorization: Bearer granted`` -> 201 with a reminder (alertToken, createdTime, status ON)
- ``Bearer broken`` -> 500 with an error body (a service failure)
- ``Bearer unsupported`` -> 403 with code DEVICE_NOT_SUPPORTED
- ``Bearer slow`` -> answers only after ``slow_seconds`` (a hung dependency)
- any other token, or none -> 401 with an error body (no permission)

Every call is recorded (method, path, headers, parsed JSON body).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.pki import ca_key_usage

REMINDERS_PATH = "/v1/alerts/reminders"
GRANTED = "granted"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None


@dataclass
class AlexaApi:
    endpoint: str
    ca_file: Path
    calls: list[Call] = field(default_factory=list)
    slow_seconds: float = 6.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def trust(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make requests (the SDK's HTTP client) trust this server, and reach it directly."""
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(self.ca_file))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")

    def reminders(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == "POST" and c.path == REMINDERS_PATH]

    def created(self) -> list[Call]:
        return [c for c in self.reminders() if c.bearer == GRANTED]


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 (EC keys: fast to make)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Connection Game test API CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            ca_key_usage(),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def _handler(api: AlexaApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def _answer(self, status: int, body: dict[str, Any] | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Call:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            call = Call(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            with api.lock:
                api.calls.append(call)
            return call

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            call = self._record()
            if call.path != REMINDERS_PATH:
                self._answer(404, {"code": "NOT_FOUND", "message": "No such resource"})
                return
            token = call.bearer
            if token == "slow":
                time.sleep(api.slow_seconds)
            if token == GRANTED:
                now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                alert = str(uuid.uuid4())
                self._answer(
                    201,
                    {
                        "alertToken": alert,
                        "createdTime": now,
                        "updatedTime": now,
                        "status": "ON",
                        "version": "1",
                        "href": f"{REMINDERS_PATH}/{alert}",
                    },
                )
            elif token == "broken":
                self._answer(500, {"code": "INTERNAL_ERROR", "message": "Internal Server Error"})
            elif token == "unsupported":
                self._answer(
                    403, {"code": "DEVICE_NOT_SUPPORTED", "message": "Device not supported"}
                )
            else:
                self._answer(401, {"code": "UNAUTHORIZED", "message": "Unauthorized"})

        def do_GET(self) -> None:  # noqa: N802
            self._record()
            self._answer(404, {"code": "NOT_FOUND", "message": "No such resource"})

    return Handler


@contextlib.contextmanager
def serve_alexa_api() -> Iterator[AlexaApi]:
    with tempfile.TemporaryDirectory() as tmp:
        ca_file, cert_file, key_file = _certificates(Path(tmp))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        api = AlexaApi(endpoint="", ca_file=ca_file)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        api.endpoint = f"https://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield api
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
