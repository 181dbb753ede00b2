"""The embedded store: one SQLite file, standard-library sqlite3, one row per household."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from skill.core.codec import CodecError, decode, encode
from skill.core.model import Game

from .port import ConcurrentUpdate, CorruptProgress, Stored, StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    household_id TEXT PRIMARY KEY,
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    updated_at   REAL NOT NULL DEFAULT (CAST(strftime('%s','now') AS REAL))
)
"""


OPEN_ATTEMPTS = 20
_INIT_LOCK = threading.Lock()  # one thread at a time through a file's first-use setup


class SqliteStore:
    """Progress in an SQLite file. Safe across threads and processes (WAL, conditional
    writes on the version); the connection opens lazily, on first use."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        """Open and prepare the file. Switching to WAL and creating the table take a lock
        that a busy timeout does not always wait for, so a connection racing another one
        through its first use retries briefly instead of failing."""
        last: Exception | None = None
        for attempt in range(OPEN_ATTEMPTS):
            try:
                if str(self.path) != ":memory:":
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
                with _INIT_LOCK:
                    conn.execute("PRAGMA busy_timeout=5000")
                    conn.execute("PRAGMA secure_delete=ON")  # deleted names are overwritten
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(SCHEMA)
                return conn
            except sqlite3.OperationalError as exc:
                last = exc
                if "locked" not in str(exc) and "busy" not in str(exc):
                    break
                time.sleep(0.01 * (attempt + 1))
            except (sqlite3.Error, OSError) as exc:
                last = exc
                break
        raise StoreError(f"cannot open the game store at {self.path}: {last}") from last

    def load(self, household_id: str) -> Stored | None:
        try:
            row = (
                self._db()
                .execute(
                    "SELECT version, body FROM progress WHERE household_id = ?", (household_id,)
                )
                .fetchone()
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the game store: {exc}") from exc
        if row is None:
            return None
        version, body = row
        if isinstance(version, bool) or not isinstance(version, int):
            raise StoreError("stored version is not a number")
        try:
            game = decode(json.loads(body))
        except (ValueError, TypeError, CodecError) as exc:
            raise CorruptProgress(f"stored game is unreadable: {exc}", version) from exc
        return Stored(game, version)

    def save(self, household_id: str, game: Game, expected_version: int | None) -> int:
        body = json.dumps(encode(game), separators=(",", ":"), ensure_ascii=False)
        try:
            db = self._db()
            if expected_version is None:
                cur = db.execute(
                    "INSERT OR IGNORE INTO progress (household_id, version, body) VALUES (?, 1, ?)",
                    (household_id, body),
                )
                new_version = 1
            else:
                new_version = expected_version + 1
                cur = db.execute(
                    "UPDATE progress SET version = ?, body = ?, updated_at = "
                    "CAST(strftime('%s','now') AS REAL) WHERE household_id = ? AND version = ?",
                    (new_version, body, household_id, expected_version),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write the game store: {exc}") from exc
        if cur.rowcount != 1:
            raise ConcurrentUpdate(f"household changed since version {expected_version}")
        return new_version

    def delete(self, household_id: str) -> None:
        try:
            db = self._db()
            db.execute("DELETE FROM progress WHERE household_id = ?", (household_id,))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot delete from the game store: {exc}") from exc
        # Earlier versions of the row live on in the write-ahead log until a checkpoint:
        # copy the log into the file (where secure_delete zeroed them) and empty it. Best
        # effort: a concurrent reader can hold it back, and the next delete tries again.
        with contextlib.suppress(sqlite3.Error):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def households(self) -> int:
        try:
            (count,) = self._db().execute("SELECT COUNT(*) FROM progress").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the game store: {exc}") from exc
        return int(count)
