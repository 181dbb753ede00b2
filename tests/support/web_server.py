"""The web service on a loopback port, verifying real signatures from the test PKI.

    with serve(skill_app, clock=...) as web:
        response = web.post_envelope(envelope)     # signed, POSTed, verified by the app
        response = web.post_raw(body, signed=True)

The production ``create_app`` and ``RequestVerifier`` run unchanged; only the verifier's
trust root (the test root), its certificate source (the test chain) and, optionally, its
clock are injected, as tests/functional/test_web.py does.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from werkzeug.serving import make_server

from skill.alexa.verify import RequestVerifier, VerifierConfig
from skill.config import Settings
from skill.web import create_app
from skill.wiring import SkillApp
from tests.support import pki
from tests.support.echo import APP_ID
from tests.support.pki import CERT_URL, LeafChain, StaticCertificateSource


@dataclass
class Web:
    url: str
    chain: LeafChain
    http: requests.Session

    def post_raw(self, body: bytes, *, signed: bool = True, timeout: float = 15) -> Any:
        headers = self.chain.headers(body) if signed else {"Content-Type": "application/json"}
        return self.http.post(self.url, data=body, headers=headers, timeout=timeout)

    def post_envelope(self, envelope: dict[str, Any], timeout: float = 15) -> Any:
        return self.post_raw(pki.encode(envelope), timeout=timeout)

    def handler(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """For an Echo: every envelope over HTTP; anything but a 200 fails the test."""

        def send(envelope: dict[str, Any]) -> dict[str, Any]:
            response = self.post_envelope(envelope)
            assert response.status_code == 200, response.text
            return dict(response.json())

        return send


@contextlib.contextmanager
def serve(
    skill_app: SkillApp,
    *,
    clock: Callable[[], float] = time.time,
    skill_id: str = APP_ID,
    chain_at: float | None = None,
) -> Iterator[Web]:
    chain = pki.issue_chain(now=chain_at if chain_at is not None else clock())
    verifier = RequestVerifier(
        VerifierConfig(skill_id=skill_id),
        source=StaticCertificateSource({CERT_URL: chain.chain_pem}),
        trust_roots=[pki.trusted_root()],
        clock=clock,
    )
    web = create_app(Settings(skill_id=skill_id), verifier=verifier, app=skill_app)
    server = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    http = requests.Session()
    try:
        yield Web(f"http://127.0.0.1:{server.server_port}/", chain, http)
    finally:
        http.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
