"""Shared fixtures: the Lambda entry point on a fresh embedded store, a test Echo."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.echo import Echo

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.support.fixtures_dynamodb"]


def load_lambda_module() -> ModuleType:
    """lambda/app.py loaded fresh, as the Lambda runtime loads it (a new process's import)."""
    spec = importlib.util.spec_from_file_location("app", ROOT / "lambda" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "progress.sqlite3"


@pytest.fixture
def lambda_app(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """lambda/app.py with the embedded store in a temporary file and no SKILL_ID."""
    for name in ("TABLE_NAME", "SKILL_ID", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(db_path))
    module = load_lambda_module()
    yield module
    sys.modules.pop("app", None)


@pytest.fixture
def echo(lambda_app: ModuleType) -> Echo:
    return Echo(lambda h: lambda_app.lambda_handler(h, None))
