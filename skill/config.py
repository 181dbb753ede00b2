"""Settings from the environment: one place, read once, plain values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_DIR = "connection-game"


def default_db_path(env: Mapping[str, str]) -> Path:
    """The embedded store's file in the user's data directory (XDG on Linux)."""
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(base) / APP_DIR / "progress.sqlite3"


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str | None = None  # TABLE_NAME: DynamoDB table; unset -> embedded SQLite
    skill_id: str | None = None  # SKILL_ID: requests for other skills are refused
    db_path: Path | None = None  # CONNECTION_GAME_DB: the embedded store's file
    log_level: str = "INFO"  # LOG_LEVEL

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return Settings(
            table_name=env.get("TABLE_NAME") or None,
            skill_id=env.get("SKILL_ID") or None,
            db_path=Path(env["CONNECTION_GAME_DB"]) if env.get("CONNECTION_GAME_DB") else None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
        )

    def sqlite_path(self, env: Mapping[str, str] | None = None) -> Path:
        return self.db_path or default_db_path(os.environ if env is None else env)

    def store_label(self, env: Mapping[str, str] | None = None) -> str:
        """Where progress lives, for a person to read ("embedded store /path", or the table)."""
        env = os.environ if env is None else env
        if self.table_name:
            endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB", "AWS")
            return f"DynamoDB table {self.table_name} ({endpoint})"
        return f"embedded store {self.sqlite_path(env)}"
