"""The self-hosted endpoint over real HTTP, with real signatures from the test PKI.

The Flask app runs in Werkzeug's server on a loopback port in a thread; one group of tests
starts ``connection-game serve`` as a subprocess. The production ``RequestVerifier`` runs
unchanged: only its trust roots (the test root) and certificate source (a dict of PEM
chains) are injected, plus, for the evening played on the Echo's clock, its clock.
Every response is checked for "not a 500"; every refusal for its status, its JSON reason
and exactly one WARNING line from ``skill.web`` without a traceback.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import BaseWSGIServer, make_server

from skill.alexa.verify import RequestVerifier, VerifierConfig
from skill.config import Settings
from skill.web import NO_VERIFY_BANNER, create_app
from skill.wiring import SkillApp
from tests.support import pki
from tests.support.echo import APP_ID, START, Echo, Reply, check_reply
from tests.support.pki import CERT_URL, SKILL_ID, LeafChain, StaticCertificateSource

TWO_MB = 2 * 1024 * 1024
USER_ID = "amzn1.ask.account.TEST"  # the user id in pki.envelope()


# --------------------------------------------------------------------------- harness


@dataclass
class Endpoint:
    url: str
    source: Any
    http: requests.Session

    def post(
        self, body: bytes | Iterable[bytes], headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        response = self.http.post(self.url, data=body, headers=dict(headers or {}), timeout=15)
        assert response.status_code != 500, response.text
        return response

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.url + path.lstrip("/"), timeout=15)
        assert response.status_code != 500, response.text
        return response


class RaisingSource:
    """A certificate source whose network is down: every fetch times out."""

    def __init__(self) -> None:
        self.fetches: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetches.append(url)
        raise TimeoutError("timed out")


@pytest.fixture(scope="module")
def chain() -> LeafChain:
    return pki.issue_chain(now=time.time())


@pytest.fixture
def endpoint(tmp_path: Path, chain: LeafChain) -> Iterator[Callable[..., Endpoint]]:
    """Start the app on 127.0.0.1:0 with the test PKI; stopped after the test."""
    servers: list[BaseWSGIServer] = []
    sessions: list[requests.Session] = []

    def start(
        *,
        source: Any = None,
        verify: bool = True,
        clock: Callable[[], float] = time.time,
        skill_id: str = SKILL_ID,
        verifier_skill_id: str | None = SKILL_ID,
        app: SkillApp | None = None,
    ) -> Endpoint:
        settings = Settings(skill_id=skill_id, db_path=tmp_path / "progress.sqlite3")
        if source is None:
            source = StaticCertificateSource({CERT_URL: chain.chain_pem})
        verifier = None
        if verify:
            verifier = RequestVerifier(
                VerifierConfig(skill_id=verifier_skill_id),
                source=source,
                trust_roots=[pki.trusted_root()],
                clock=clock,
            )
        web = create_app(settings, verifier=verifier, verify=verify, app=app)
        server = make_server("127.0.0.1", 0, web, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        http = requests.Session()
        sessions.append(http)
        return Endpoint(f"http://127.0.0.1:{server.server_port}/", source, http)

    yield start
    for http in sessions:
        http.close()
    for server in servers:
        server.shutdown()
        server.server_close()


def web_refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "skill.web"
        and record.levelno == logging.WARNING
        and record.getMessage().startswith("refused ")
    ]


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every WARNING-or-worse record except --no-verify's deliberate per-request line."""
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and "UNVERIFIED" not in record.getMessage()
    ]


def assert_clean_logs(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback anywhere, no user id in any line."""
    for record in caplog.records:
        message = record.getMessage()
        assert record.exc_info is None and record.exc_text is None, message
        assert "Traceback" not in message
        assert USER_ID not in message and "amzn1.ask.account" not in message, message


def refused(
    send: Callable[[], requests.Response],
    caplog: pytest.LogCaptureFixture,
    status: int,
    reason: str,
) -> requests.Response:
    """Send, then check status, JSON reason and the one WARNING line for this refusal
    (the verifier logs its details at INFO; nothing else warns)."""
    caplog.clear()
    response = send()
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert reason in error, error
    lines = web_refusals(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].getMessage() == f"refused status={status} reason={error}"
    others = [r for r in warnings_logged(caplog) if r is not lines[0]]
    assert others == [], [
        f"{r.name}: {r.getMessage()}" for r in others
    ]
    assert_clean_logs(caplog)
    return response


@pytest.fixture(autouse=True)
def _capture_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def signed(chain: LeafChain, envelope: dict[str, Any], **options: Any) -> tuple[dict, bytes]:
    body = pki.encode(envelope)
    return chain.headers(body, **options), body


# --------------------------------------------------------------------------- accepted


def test_signed_launch_is_welcomed_and_asked_for_names(endpoint, chain, caplog) -> None:
    served = endpoint()
    headers, body = pki.signed_request(chain, now=time.time())
    response = served.post(body, headers)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    reply = Reply(response.json())
    check_reply(reply)
    assert reply.open
    assert "Welcome to Connection Game" in reply.text
    assert "first name" in reply.text and reply.text.endswith("?")
    assert served.source.fetches == [CERT_URL]
    assert web_refusals(caplog) == []
    assert_clean_logs(caplog)


def test_wrong_content_type_is_accepted_when_the_body_is_json(endpoint, chain) -> None:
    served = endpoint()
    headers, body = pki.signed_request(chain, now=time.time())
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = served.post(body, headers)
    assert response.status_code == 200, response.text
    assert "Welcome to Connection Game" in Reply(response.json()).text


@pytest.mark.parametrize(
    "url",
    [
        "https://S3.AmazonAWS.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_equivalent_certificate_urls_are_accepted(endpoint, chain, url) -> None:
    served = endpoint()
    headers, body = pki.signed_request(chain, now=time.time(), url=url)
    response = served.post(body, headers)
    assert response.status_code == 200, response.text
    assert served.source.fetches == [CERT_URL]


def test_a_whole_evening_over_http_with_signed_requests(endpoint, caplog) -> None:
    """Every request of an evening is signed, POSTed and verified; the key is fetched once.

    The verifier's clock follows the Echo's, which moves a minute or more per answer.
    """
    evening_chain = pki.issue_chain(now=START.timestamp())
    holder: list[Echo] = []
    served = endpoint(
        source=StaticCertificateSource({CERT_URL: evening_chain.chain_pem}),
        clock=lambda: holder[0].now.timestamp(),
        skill_id=APP_ID,
        verifier_skill_id=APP_ID,
    )
    statuses: list[int] = []

    def over_http(envelope: dict[str, Any]) -> dict[str, Any]:
        headers, body = signed(evening_chain, envelope)
        response = served.post(body, headers)
        statuses.append(response.status_code)
        assert response.status_code == 200, response.text
        return dict(response.json())

    echo = Echo(over_http)
    holder.append(echo)
    assert "Welcome to Connection Game" in echo.launch().text
    echo.intent("NameIntent", name="Marisol")
    reply = echo.intent("NameIntent", name="Thaddeus")
    assert "Marisol and Thaddeus" in reply.text
    echo.intent("AMAZON.YesIntent")
    first = echo.intent("AMAZON.YesIntent")
    assert first.text.startswith("Marisol")
    assert first.pause_seconds == 60
    replies = []
    while True:
        echo.advance(70)
        reply = echo.intent("NextIntent")
        replies.append(reply)
        if not reply.open:
            break
    assert "1 evening together" in replies[-2].text  # the summary, then the reminder offer
    assert len([r for r in replies if r.pause_seconds >= 60]) == 9
    assert echo.now.timestamp() - START.timestamp() > 600, "the clock moved past 150 s"
    assert len(statuses) == len(echo.sent) > 15 and set(statuses) == {200}
    assert served.source.fetches == [CERT_URL], "the verified key is cached"
    assert web_refusals(caplog) == []
    assert_clean_logs(caplog)
    for record in caplog.records:  # names never reach the logs
        assert not re.search(r"marisol|thaddeus", record.getMessage(), re.IGNORECASE)


# --------------------------------------------------------------------------- refused requests


def _tampered(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    headers, body = pki.signed_request(chain, now=now)
    return headers, body.replace(b'"LaunchRequest"', b'"SessionEndedRequest"')


def _stamped(offset_s: float) -> Callable[[LeafChain, float], tuple[dict, bytes]]:
    def build(chain: LeafChain, now: float) -> tuple[dict, bytes]:
        stamp = pki.iso_timestamp(now + offset_s)
        return signed(chain, pki.envelope(SKILL_ID, now=now, timestamp=stamp))

    return build


def _cert_url(url: str) -> Callable[[LeafChain, float], tuple[dict, bytes]]:
    def build(chain: LeafChain, now: float) -> tuple[dict, bytes]:
        return pki.signed_request(chain, now=now, url=url)

    return build


def _legacy_only(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    return signed(chain, pki.envelope(SKILL_ID, now=now), sha256=False, legacy=True)


def _foreign(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    return pki.signed_request(chain, now=now, application_id="amzn1.ask.skill.someone-else")


def _malformed_json(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    body = b'{"version": "1.0", "request": {'
    return chain.headers(body), body


def _not_an_envelope(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    envelope = pki.envelope(SKILL_ID, now=now)
    del envelope["context"]  # the application id is still found in the session
    return signed(chain, envelope)


def _unsigned(chain: LeafChain, now: float) -> tuple[dict, bytes]:
    return {"Content-Type": "application/json"}, pki.encode(pki.envelope(SKILL_ID, now=now))


REFUSED_REQUESTS = {
    "tampered body": (_tampered, "signature does not match body"),
    "stale timestamp": (_stamped(-300), "request timestamp out of tolerance"),
    "future timestamp": (_stamped(+300), "request timestamp out of tolerance"),
    "http url": (_cert_url("http://s3.amazonaws.com/echo.api/echo-api-cert.pem"), "not https"),
    "other host": (
        _cert_url("https://notamazon.com/echo.api/echo-api-cert.pem"),
        "host is not s3.amazonaws.com",
    ),
    "path case": (
        _cert_url("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem"),
        "path is not under /echo.api/",
    ),
    "dot segments": (
        _cert_url("https://s3.amazonaws.com/echo.api/../x/echo-api-cert.pem"),
        "path is not under /echo.api/",
    ),
    "port 563": (
        _cert_url("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem"),
        "port is not 443",
    ),
    "legacy sha-1 only": (_legacy_only, "SHA-1 Signature refused"),
    "foreign skill id": (_foreign, "unexpected application id"),
    "malformed json": (_malformed_json, "body is not valid JSON"),
    "not an envelope": (_not_an_envelope, "not an Alexa request envelope"),
    "unsigned": (_unsigned, "missing SignatureCertChainUrl header"),
}


URL_CASES = {"http url", "other host", "path case", "dot segments", "port 563"}


@pytest.mark.parametrize("case", list(REFUSED_REQUESTS))
def test_bad_requests_are_400(endpoint, chain, caplog, case) -> None:
    build, reason = REFUSED_REQUESTS[case]
    served = endpoint()
    headers, body = build(chain, time.time())
    refused(lambda: served.post(body, headers), caplog, 400, reason)
    if case in URL_CASES:
        assert served.source.fetches == [], "a refused URL is never fetched"


def _chain_with(**options: Any) -> Callable[[], LeafChain]:
    return lambda: pki.issue_chain(now=time.time(), **options)


BAD_CHAINS = {
    "untrusted CA": (_chain_with(untrusted=True), "certificate chain not trusted"),
    "expired leaf": (_chain_with(expired=True), "signing certificate expired"),
    "SAN missing": (_chain_with(sans=None), "not for echo-api.amazon.com"),
    "other SAN": (_chain_with(sans=("example.com",)), "not for echo-api.amazon.com"),
}


@pytest.mark.parametrize("case", list(BAD_CHAINS))
def test_bad_signing_certificates_are_400(endpoint, caplog, case) -> None:
    make_chain, reason = BAD_CHAINS[case]
    bad = make_chain()
    served = endpoint(source=StaticCertificateSource({CERT_URL: bad.chain_pem}))
    headers, body = pki.signed_request(bad, now=time.time())  # signed with the leaf's own key
    refused(lambda: served.post(body, headers), caplog, 400, reason)
    assert served.source.fetches == [CERT_URL]


def test_unreachable_certificate_url_is_400(endpoint, chain, caplog) -> None:
    served = endpoint(source=RaisingSource())
    headers, body = pki.signed_request(chain, now=time.time())
    refused(
        lambda: served.post(body, headers),
        caplog,
        400,
        "certificate chain unavailable",
    )
    assert served.source.fetches == [CERT_URL]


def test_foreign_skill_caught_by_the_skill_itself_is_400(endpoint, chain, caplog) -> None:
    """A verifier accepting any application id still cannot reach another skill's request
    into the game: SkillApp raises ForeignSkill and the view answers 400."""
    served = endpoint(verifier_skill_id=None)
    headers, body = _foreign(chain, time.time())
    refused(lambda: served.post(body, headers), caplog, 400, "unexpected application id")


def test_two_megabyte_body_is_413(endpoint, chain, caplog) -> None:
    served = endpoint()
    body = b"{" + b" " * TWO_MB + b"}"
    headers = chain.headers(body)
    refused(lambda: served.post(body, headers), caplog, 413, "request body too large")
    assert served.source.fetches == [], "refused before verification"


def raw_post(url: str, head: bytes, body: bytes) -> requests.Response:
    """POST over a bare socket that sends ``body`` and then stalls without closing.

    A server that waits for the rest of the body never answers: the socket times out.
    """
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n" + body)
        raw = b""
        while True:
            head_end = raw.find(b"\r\n\r\n")
            if head_end >= 0:
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", raw[:head_end])
                if length and len(raw) - head_end - 4 >= int(length.group(1)):
                    break
            chunk = conn.recv(4096)  # socket.timeout here fails the test
            if not chunk:
                break
            raw += chunk
    status_line, _, rest = raw.partition(b"\r\n")
    header_block, _, payload = rest.partition(b"\r\n\r\n")
    response = requests.Response()
    response.status_code = int(status_line.split(b" ", 2)[1])
    for line in header_block.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        response.headers[name.strip()] = value.strip()
    response._content = payload
    return response


def test_declared_oversize_is_413_before_the_body_is_read(endpoint, caplog) -> None:
    """Only the headers and a byte arrive: the answer comes from Content-Length alone."""
    served = endpoint()
    head = f"Content-Type: application/json\r\nContent-Length: {TWO_MB}\r\n".encode()
    refused(lambda: raw_post(served.url, head, b"{"), caplog, 413, "request body too large")


@pytest.mark.parametrize("verify", [True, False])
def test_chunked_oversize_is_413_after_a_bounded_read(endpoint, caplog, verify) -> None:
    """No Content-Length: the view reads 256 KB + 1 byte and answers without the rest."""
    served = endpoint(verify=verify)
    body = b""
    for _ in range(5):  # 5 x 64 KB, then the sender stalls mid-body
        body += b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    head = b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    refused(lambda: raw_post(served.url, head, body), caplog, 413, "request body too large")


def test_two_megabytes_chunked_without_length_is_413(endpoint, chain, caplog) -> None:
    """No Content-Length to go by: the bounded read stops one byte past 256 KB."""
    served = endpoint()

    def chunks() -> Iterator[bytes]:
        yield b"{"
        for _ in range(TWO_MB // (64 * 1024)):
            yield b" " * (64 * 1024)
        yield b"}"

    response = refused(
        lambda: served.post(chunks(), {"Content-Type": "application/json"}),
        caplog,
        413,
        "request body too large",
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"


def test_body_at_the_limit_is_not_413(endpoint, chain, caplog) -> None:
    served = endpoint()
    _, body = pki.signed_request(chain, now=time.time())
    body = body[:-1] + b" " * (256 * 1024 - len(body)) + b"}"
    assert len(body) == 256 * 1024
    response = served.post(body, chain.headers(body))
    assert response.status_code == 200, response.text


def test_get_root_is_405_json(endpoint) -> None:
    served = endpoint()
    response = served.get("/")
    assert response.status_code == 405
    assert response.json() == {"error": "method not allowed"}


def test_unknown_path_is_404_json(endpoint) -> None:
    response = endpoint().get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_healthz(endpoint) -> None:
    served = endpoint()
    response = served.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert served.source.fetches == []


# --------------------------------------------------------------------------- --no-verify


def test_no_verify_accepts_unsigned_but_refuses_a_foreign_skill(endpoint, caplog, capsys) -> None:
    served = endpoint(verify=False)
    assert NO_VERIFY_BANNER in capsys.readouterr().err
    envelope = pki.envelope(SKILL_ID, now=time.time() - 3 * 3600)  # stale: not checked
    caplog.clear()
    response = served.post(pki.encode(envelope), {"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert "Welcome to Connection Game" in Reply(response.json()).text
    unverified = [r for r in caplog.records if "UNVERIFIED" in r.getMessage()]
    assert len(unverified) == 1 and unverified[0].levelno == logging.WARNING

    foreign = pki.encode(pki.envelope("amzn1.ask.skill.someone-else", now=time.time()))
    refused(lambda: served.post(foreign, {}), caplog, 400, "unexpected application id")
    refused(lambda: served.post(b"{not json", {}), caplog, 400, "body is not valid JSON")
    refused(lambda: served.post(b" " * TWO_MB, {}), caplog, 413, "request body too large")


def test_skill_id_is_required_even_without_verification(tmp_path) -> None:
    for verify in (True, False):
        with pytest.raises(ValueError, match="SKILL_ID"):
            create_app(Settings(db_path=tmp_path / "db.sqlite3"), verify=verify)


# ------------------------------------------------------------------- `connection-game serve`


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    stdout: list[str]
    stderr_lines: queue.Queue[str]

    def stderr(self) -> str:
        lines = []
        while not self.stderr_lines.empty():
            lines.append(self.stderr_lines.get_nowait())
        return "".join(lines)


def _pump(stream: Any, sink: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        sink.put(line)


def start_cli(tmp_path: Path, *args: str, skill_id: str | None = SKILL_ID) -> Served:
    executable = shutil.which("connection-game", path=str(Path(sys.executable).parent))
    assert executable is not None, "the console script is installed in the virtualenv"
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "SKILL_ID"}}
    env.update(CONNECTION_GAME_DB=str(tmp_path / "served.sqlite3"), LOG_LEVEL="INFO")
    if skill_id is not None:
        env["SKILL_ID"] = skill_id
    process = subprocess.Popen(
        [executable, "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, out), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, err), daemon=True).start()
    stdout: list[str] = []
    deadline = time.monotonic() + 30
    url = None
    while url is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None and out.empty():
            process.kill()
            raise AssertionError(f"serve did not start: {stdout} {list(err.queue)}")
        try:
            line = out.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            continue
        stdout.append(line)
        match = re.search(r"on (http://127\.0\.0\.1:\d+/)", line)
        if match:
            url = match.group(1)
    while time.monotonic() < deadline:  # wait for /healthz
        try:
            if requests.get(url + "healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    # The remaining banner lines are printed before serving starts.
    while not out.empty():
        stdout.append(out.get_nowait())
    return Served(process, url, stdout, err)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        served = start_cli(tmp_path, *args)
        started.append(served)
        return served

    yield start
    for served in started:
        served.process.terminate()
        try:
            served.process.wait(10)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait()


def _post(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> requests.Response:
    response = requests.post(url, data=body, headers=dict(headers or {}), timeout=15)
    assert response.status_code != 500, response.text
    return response


def test_cli_serve_verifies_by_default(cli, tmp_path, chain) -> None:
    served = cli()
    banner = "".join(served.stdout)
    assert f"embedded store {tmp_path / 'served.sqlite3'}" in banner
    assert "Verification: ON" in banner
    health = requests.get(served.url + "healthz", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    now = time.time()
    # No network in tests: only refusals that never fetch a certificate.
    unsigned = _post(served.url, pki.encode(pki.envelope(SKILL_ID, now=now)))
    assert unsigned.status_code == 400
    assert unsigned.json() == {"error": "missing SignatureCertChainUrl header"}
    headers, body = pki.signed_request(
        chain, now=now, url="https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem"
    )
    assert _post(served.url, body, headers).json() == {"error": "certificate URL port is not 443"}
    big = _post(served.url, b" " * TWO_MB)
    assert big.status_code == 413
    assert requests.get(served.url, timeout=5).status_code == 405
    time.sleep(0.2)
    log = served.stderr()
    assert log.count("WARNING skill.web refused ") == 3, log
    assert "Traceback" not in log and "amzn1.ask.account" not in log


def test_cli_serve_no_verify_plays_unsigned_but_checks_the_skill_id(cli) -> None:
    served = cli("--no-verify")
    assert "Verification: OFF" in "".join(served.stdout)
    launch = _post(served.url, pki.encode(pki.envelope(SKILL_ID, now=time.time())))
    assert launch.status_code == 200, launch.text
    reply = Reply(launch.json())
    check_reply(reply)
    assert "Welcome to Connection Game" in reply.text
    foreign = _post(served.url, pki.encode(pki.envelope("amzn1.ask.skill.x", now=time.time())))
    assert foreign.status_code == 400
    assert foreign.json() == {"error": "unexpected application id"}
    time.sleep(0.2)
    log = served.stderr()
    assert "WARNING: --no-verify" in log, "the loud banner at start"
    assert log.count("UNVERIFIED request") == 2, log
    assert log.count("refused status=400 reason=unexpected application id") == 1
    assert "Traceback" not in log


def test_cli_serve_without_skill_id_exits_with_a_message(tmp_path) -> None:
    executable = shutil.which("connection-game", path=str(Path(sys.executable).parent))
    assert executable is not None
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "SKILL_ID"}}
    env["CONNECTION_GAME_DB"] = str(tmp_path / "db.sqlite3")
    done = subprocess.run(
        [executable, "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "SKILL_ID is not set" in done.stderr
    assert "Serving" not in done.stdout
