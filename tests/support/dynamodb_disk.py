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

from pathlib import Path

from tests.support import dynamodb_local as ddb_local


def start_on_disk(
    db_dir: Path, port: int | None = None, timeout: float = ddb_local.START_TIMEOUT_S
) -> ddb_local.DynamoDBLocal:
    return ddb_local.start(port=port, timeout=timeout, db_dir=db_dir)
