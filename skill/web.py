"""The self-hosted HTTPS endpoint: a thin Flask view over the same skill as the Lambda.

    POST /         one Alexa request: size cap, verification, then ``SkillApp.handle``
    GET  /healthz  liveness: ``{"status": "ok"}`` (no store call, so it stays cheap)

Development: ``connection-game serve`` (Werkzeug's server). Production: gunicorn behind a
TLS-terminating proxy, ``gunicorn 'skill.web:create_app()'``; settings come from the
environment (``SKILL_ID`` required, ``TABLE_NAME`` or ``CONNECTION_GAME_DB``, ``LOG_LEVEL``).

Every request is checked by ``skill.alexa.verify.RequestVerifier`` (signature over the raw
body, certificate URL, chain, dates and SAN, timestamp, application id) before the body is
handed to the skill. A refused request is answered with HTTP 400 (413 for a body over
256 KB) and ``{"error": "<short reason>"}``, and logged once at WARNING without a traceback;
bad input never produces a 500. Request bodies, names and user ids are never logged.

Why not flask-ask-sdk: importing its ``SkillAdapter`` pulls in ask-sdk-webservice-support ->
certvalidator -> oscrypto 1.3.0, which fails to import on OpenSSL >= 3.0.10 ("Error
detecting the version of libcrypto"); its verifier also lets a certificate-download error
become a 500, and ``SkillAdapter(skill_id=...)`` verifies nothing. This view is a few
lines on ask-sdk-core's serializer (via ``SkillApp``) and our own verifier on
``cryptography``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import IO, Any, cast

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from skill.alexa.verify import (
    HttpCertificateSource,
    RequestVerifier,
    VerificationError,
    VerifierConfig,
    check_application_id,
    parse_envelope,
)
from skill.config import Settings
from skill.wiring import ForeignSkill, InvalidEnvelope, SkillApp, configure_logging

__all__ = ["NO_VERIFY_BANNER", "create_app", "serve"]

log = logging.getLogger(__name__)

_READ_CHUNK = 64 * 1024
NO_VERIFY_BANNER = (
    "\n"
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    "!!  WARNING: --no-verify: Alexa request signatures are NOT checked.          !!\n"
    "!!  Anyone who can reach this port can play as any household. Development    !!\n"
    "!!  only (virtual devices, tunnels); never expose this to the internet.      !!\n"
    "!!  The application id (SKILL_ID) is still checked.                          !!\n"
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
)


class _Refused(Exception):
    """A refusal that did not come from the verifier (ForeignSkill, InvalidEnvelope)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _default_verifier(settings: Settings) -> RequestVerifier:
    config = VerifierConfig(skill_id=settings.skill_id)
    source = HttpCertificateSource(
        timeout_s=config.cert_fetch_timeout_s, max_bytes=config.cert_max_bytes
    )
    return RequestVerifier(config, source=source)  # trust roots: the certifi bundle


def _read_body(stream: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit`` bytes; one byte more is a 413 (covers chunked uploads too)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise VerificationError("request body too large", status=413)
        chunks.append(chunk)


def _refusal(status: int, reason: str) -> tuple[Response, int]:
    # One line, no traceback, no request content: the reason is fixed text.
    log.warning("refused status=%d reason=%s", status, reason)
    return jsonify(error=reason), status


def create_app(
    settings: Settings | None = None,
    *,
    verifier: RequestVerifier | None = None,
    verify: bool = True,
    app: SkillApp | None = None,
) -> Flask:
    """Build the web app. ``settings`` default to ``Settings.from_env()``.

    ``verifier`` defaults to the production one (certifi roots, certificates fetched over
    HTTPS); tests inject one with their own trust roots and certificate source.
    ``verify=False`` skips the signature and timestamp checks, never the application id.
    ``app`` is the skill to serve (default: ``SkillApp(settings)``, the Lambda's store choice).
    """
    settings = settings if settings is not None else Settings.from_env()
    configure_logging(settings)
    if settings.skill_id is None:
        raise ValueError(
            "SKILL_ID is not set: the web endpoint refuses to run without the skill's "
            "application id (amzn1.ask.skill.…), with or without --no-verify"
        )
    skill_app = app if app is not None else SkillApp(settings)
    if verify:
        checker = verifier if verifier is not None else _default_verifier(settings)
        config = checker.config
    else:
        checker = None
        config = (
            verifier.config if verifier is not None else VerifierConfig(skill_id=settings.skill_id)
        )
        print(NO_VERIFY_BANNER, file=sys.stderr, flush=True)
        log.warning("request verification is OFF (--no-verify); development only")

    def envelope_from(body: bytes) -> dict[str, Any]:
        if checker is not None:
            # Werkzeug's Headers look up case-insensitively; the verifier only calls .get().
            return checker.verify(cast(Mapping[str, str], request.headers), body)
        log.warning("UNVERIFIED request (--no-verify): signature and timestamp not checked")
        # RequestVerifier.parse_unsigned's checks (the size is already capped), without
        # building a verifier, which would load trust roots it never uses.
        envelope = parse_envelope(body)
        check_application_id(envelope, config.skill_id)
        return envelope

    web = Flask(__name__)

    @web.post("/")
    def alexa() -> Any:
        try:
            declared = request.content_length
            if declared is not None and declared > config.max_body_bytes:
                raise VerificationError("request body too large", status=413)
            body = _read_body(request.stream, config.max_body_bytes)
            envelope = envelope_from(body)
            try:
                response = skill_app.handle(envelope)
            except ForeignSkill:
                raise _Refused("unexpected application id") from None
            except InvalidEnvelope:
                raise _Refused("not an Alexa request envelope") from None
        except (VerificationError, _Refused) as exc:
            return _refusal(exc.status, exc.reason)
        return jsonify(response)

    @web.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @web.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        # Routing and protocol errors (404, 405, malformed requests): JSON, never HTML.
        # Logged at INFO: scanners hitting random paths are not worth a warning each.
        status = exc.code or 400
        log.info("http error status=%d path=%s", status, request.path)
        return jsonify(error=(exc.name or "error").lower()), status

    return web


def serve(host: str = "127.0.0.1", port: int = 8080, verify: bool = True) -> int:
    """Run the endpoint with Werkzeug's development server until interrupted.

    ``port=0`` picks a free port; the URL printed is the one actually bound.
    """
    from werkzeug.serving import make_server

    settings = Settings.from_env()
    try:
        web = create_app(settings, verify=verify)
    except ValueError as exc:
        print(f"connection-game serve: {exc}", file=sys.stderr)
        return 2
    server = make_server(host, port, web, threaded=True)
    shown_host = f"[{host}]" if ":" in host else host
    print(f"Serving Connection Game on http://{shown_host}:{server.server_port}/", flush=True)
    print(f"Progress: {settings.store_label()}", flush=True)
    print(
        "Verification: "
        + ("ON (Alexa signatures checked)" if verify else "OFF (--no-verify, development only)"),
        flush=True,
    )
    print("Development server; in production run gunicorn behind TLS (see README).", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
    finally:
        server.server_close()
    return 0
