"""A DynamoDB Local of its own for fault tests, keeping its data on disk.

The session's DynamoDB Local (tests/support/fixtures_dynamodb.py) must stay healthy for
every other test, so tests that stop, pause or kill a server start this one instead. It
keeps its tables in ``db_dir`` (``-dbPath``), so it can be stopped for real and started
again on the same port with the data still there, as a DynamoDB endpoint that goes away
and comes back would.

    server = start_on_disk(db_dir)           # a free loopback port
    server.pause(); server.resume()           # SIGSTOP / SIGCONT
    server.stop()
    server = start_on_disk(db_dir, port=server.port)   # back, same data
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import dynamodb_local as ddb_local


def start_on_disk(
    db_dir: Path, port: int | None = None, timeout: float = ddb_local.START_TIMEOUT_S
) -> ddb_local.DynamoDBLocal:
    installation = ddb_local.ensure_installed()
    db_dir.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port is not None else 3
    last: Exception | None = None
    for _ in range(attempts):
        chosen = port if port is not None else ddb_local.free_port()
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - DynamoDBLocal closes it
            prefix="dynamodb-disk-", suffix=".log", delete=False
        )
        command = [
            "java",
            f"-Djava.library.path={installation.lib_dir}",
            "-jar",
            str(installation.jar),
            "-dbPath",
            str(db_dir),
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(chosen),
        ]
        process = subprocess.Popen(
            command,
            cwd=installation.jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=ddb_local._die_with_parent if sys.platform == "linux" else None,  # noqa: SLF001
        )
        server = ddb_local.DynamoDBLocal(
            process=process, port=chosen, log_path=Path(log.name), _log=log
        )
        ddb_local._running.add(server)  # noqa: SLF001 - killed at exit like the others
        try:
            ddb_local._wait_until_answering(server, timeout)  # noqa: SLF001
        except ddb_local.DynamoDBLocalUnavailable as exc:
            last = exc
            server.kill()
            continue
        return server
    raise ddb_local.DynamoDBLocalUnavailable(f"could not start DynamoDB Local on disk: {last}")
