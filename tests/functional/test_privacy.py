"""Privacy: what the skill logs and what it keeps.

- The logs of a whole evening, captured at DEBUG (the skill's LOG_LEVEL and the root logger,
  as Lambda's advanced logging controls set them), through ``lambda_handler`` on both stores
  and through the web service: no partner name, no raw user id, device id or session id.
- "Forget us" and SkillDisabled delete everything, in both stores; in the embedded store
  not even the bytes of the file keep the names.
- Nothing is stored that the game does not need: the stored items' keys are exactly the
  expected ones, and no user id, device id, session id, request id or request text is kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill.alexa.handlers import household_key
from skill.config import Settings
from skill.core.codec import decode, encode
from skill.store.dynamodb import DynamoDbStore, _load_json
from skill.store.sqlite import SqliteStore
from skill.wiring import SkillApp
from tests.conftest import load_lambda_module
from tests.support.echo import APP_ID, START, Echo, Reply
from tests.support.fixtures_dynamodb import LocalTable, client
from tests.support.web_server import serve

USER = "amzn1.ask.account.AFPRIVACYTESTUSER7Q3"
DEVICE = "amzn1.ask.device.AFPRIVACYDEVICE9Z"
NAMES = ("Marisol", "Thaddeus")
MARKER = "Purplemonkeydishwasher"  # said to the skill, never a name: must not be kept
SECRETS = (*NAMES, USER, "amzn1.ask.account", DEVICE, MARKER.lower())


class Everything(logging.Handler):
    """Every record from every logger, formatted with its traceback if any."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Everything]:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    root = logging.getLogger()
    handler = Everything()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def leaks(lines: list[str], secrets: tuple[str, ...] = SECRETS) -> list[str]:
    found = []
    for line in lines:
        lowered = line.lower()
        for secret in secrets:
            if secret.lower() in lowered:
                found.append(f"{secret!r} in: {line[:300]}")
    return found


def whole_evening(echo: Echo) -> list[Reply]:
    """Names, an evening to its end with a favourite, stats, a session ended by an error,
    a name change, an odd utterance: every place a name or a user's words pass through."""
    replies = [echo.launch()]
    replies.append(echo.intent("NameIntent", name=NAMES[0].lower()))
    replies.append(echo.intent("NameIntent", name=NAMES[1]))
    replies.append(echo.intent("AMAZON.YesIntent"))
    replies.append(echo.intent("AMAZON.YesIntent"))
    replies.append(echo.intent("SaveFavouriteIntent"))
    replies.append(echo.intent("NameIntent", name=MARKER))  # said mid-answer: "take your time"
    replies.append(echo.intent("AMAZON.FallbackIntent", utterance=MARKER))
    for _ in range(60):
        echo.advance(70)
        replies.append(echo.intent("NextIntent"))
        game = (echo.attributes.get("game") or {}).get("g") or {}
        if not replies[-1].open or (game.get("history") or {}).get("evenings"):
            break
    if echo.session_id is None:
        echo.launch()
    replies.append(echo.intent("StatsIntent"))
    replies.append(echo.intent("ChangeNamesIntent"))
    replies.append(echo.intent("NameIntent", name=NAMES[0]))
    replies.append(echo.intent("NameIntent", name=NAMES[1]))
    replies.append(echo.end("ERROR"))
    doc = _ended_with_error(echo)
    replies.append(echo.send(doc))
    assert any(NAMES[0] in r.text for r in replies), "the names were used"
    return replies


def _ended_with_error(echo: Echo) -> dict[str, Any]:
    """A SessionEndedRequest whose error message quotes the last response (Alexa does that
    for INVALID_RESPONSE), names included."""
    echo.launch()
    from tests.support.echo import fixture

    doc = echo._fill(fixture("session_ended"), new_session=False)  # noqa: SLF001
    doc["request"]["reason"] = "ERROR"
    doc["request"]["error"] = {
        "type": "INVALID_RESPONSE",
        "message": f"Invalid SSML near 'Welcome back, {NAMES[0]} and {NAMES[1]}' for {USER}",
    }
    return doc


def _with_device(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
    def send(envelope: dict[str, Any]) -> dict[str, Any]:
        system = envelope.get("context", {}).get("System", {})
        system["device"] = {"deviceId": DEVICE, "supportedInterfaces": {}}
        return handler(envelope)

    return send


# --------------------------------------------------------------------------- logs


@pytest.fixture
def lambda_sqlite(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    for name in ("TABLE_NAME", "SKILL_ID", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(db_path))
    yield load_lambda_module()


def test_logs_of_a_whole_evening_on_the_embedded_store(
    all_logs: Everything, lambda_sqlite: ModuleType
) -> None:
    echo = Echo(_with_device(lambda e: lambda_sqlite.lambda_handler(e, None)), user_id=USER)
    whole_evening(echo)
    assert len(all_logs.lines) > 20, "DEBUG logs were captured"
    assert leaks(all_logs.lines) == []


def test_logs_of_a_whole_evening_on_dynamodb(
    all_logs: Everything, dynamodb_env: LocalTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SKILL_ID", raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "unused.sqlite3"))
    module = load_lambda_module()
    echo = Echo(_with_device(lambda e: module.lambda_handler(e, None)), user_id=USER)
    whole_evening(echo)
    assert leaks(all_logs.lines) == []


def test_logs_of_a_whole_evening_over_the_web(all_logs: Everything, tmp_path: Path) -> None:
    app = SkillApp(Settings(skill_id=APP_ID), store=SqliteStore(tmp_path / "web.sqlite3"))
    holder: list[Echo] = []
    with serve(app, clock=lambda: holder[0].now.timestamp(), chain_at=START.timestamp()) as web:
        echo = Echo(_with_device(web.handler()), user_id=USER)
        holder.append(echo)
        whole_evening(echo)
    assert len(all_logs.lines) > 20, "DEBUG logs were captured"
    assert leaks(all_logs.lines) == []


# --------------------------------------------------------------------------- forgetting


def _sqlite_bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()
    )


def _played(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Echo:
    echo = Echo(handler, user_id=USER)
    echo.launch()
    echo.intent("NameIntent", name=NAMES[0])
    echo.intent("NameIntent", name=NAMES[1])
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    for _ in range(40):
        echo.advance(70)
        if not echo.intent("NextIntent").open:
            break
    return echo


@pytest.mark.parametrize("how", ["forget us", "skill disabled"])
def test_the_embedded_store_forgets_everything_down_to_the_bytes(
    lambda_sqlite: ModuleType, db_path: Path, how: str
) -> None:
    """After a deletion the names are gone from the SQLite file and its WAL, not only from
    the table (deleted rows otherwise linger in free pages and in the log)."""
    handler = lambda e: lambda_sqlite.lambda_handler(e, None)  # noqa: E731
    neighbour = Echo(handler, user_id="amzn1.ask.account.NEIGHBOUR")
    neighbour.launch()
    neighbour.intent("NameIntent", name="Zebulon")
    neighbour.intent("NameIntent", name="Quintessa")  # another household stays
    echo = _played(handler)
    assert NAMES[0].encode() in _sqlite_bytes(db_path)
    if how == "forget us":
        echo.launch()
        echo.intent("ForgetUsIntent")
        reply = echo.intent("AMAZON.YesIntent")
        assert not reply.open
    else:
        Echo(handler, user_id=USER).skill_disabled()
    store = SqliteStore(db_path)
    assert store.load(household_key(USER)) is None
    assert store.households() == 1
    data = _sqlite_bytes(db_path)
    for name in NAMES:
        assert name.encode() not in data, f"{name} is still in the file"
    assert b"Zebulon" in data, "the neighbour is kept"


@pytest.mark.parametrize("how", ["forget us", "skill disabled"])
def test_dynamodb_forgets_everything(
    dynamodb_env: LocalTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    monkeypatch.delenv("SKILL_ID", raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "unused.sqlite3"))
    module = load_lambda_module()
    handler = lambda e: module.lambda_handler(e, None)  # noqa: E731
    echo = _played(handler)
    dynamodb = client(dynamodb_env.endpoint)
    assert {i["sk"]["S"] for i in dynamodb.scan(TableName=dynamodb_env.table_name)["Items"]} == {
        "progress",
        "history",
    }
    if how == "forget us":
        echo.launch()
        echo.intent("ForgetUsIntent")
        assert not echo.intent("AMAZON.YesIntent").open
    else:
        Echo(handler, user_id=USER).skill_disabled()
    assert dynamodb.scan(TableName=dynamodb_env.table_name, ConsistentRead=True)["Items"] == []


# --------------------------------------------------------------------------- what is kept


def _keys(node: Any, prefix: str = "") -> set[str]:
    """Dotted key paths of a JSON document (list items share their list's path)."""
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.add(path)
            out |= _keys(value, path)
    elif isinstance(node, list):
        for value in node:
            out |= _keys(value, prefix)
    return out


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (str(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [str(node)]


def _request_ids(echo: Echo) -> set[str]:
    ids = set()
    for envelope in echo.sent:
        ids.add(envelope["request"]["requestId"])
        if "session" in envelope:
            ids.add(envelope["session"]["sessionId"])
    return ids


PROGRESS_ATTRIBUTES = {"pk", "sk", "version", "hk", "expires_at", "g"}
HISTORY_ATTRIBUTES = {"pk", "sk", "hk", "expires_at", "h"}
SQLITE_COLUMNS = ["household_id", "version", "body", "updated_at"]


def test_the_dynamodb_items_hold_only_what_the_game_needs(
    dynamodb_env: LocalTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SKILL_ID", raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "unused.sqlite3"))
    module = load_lambda_module()
    echo = Echo(_with_device(lambda e: module.lambda_handler(e, None)), user_id=USER)
    whole_evening(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")  # mid-evening: the largest progress item
    items = client(dynamodb_env.endpoint).scan(
        TableName=dynamodb_env.table_name, ConsistentRead=True
    )["Items"]
    by_sk = {item["sk"]["S"]: item for item in items}
    assert set(by_sk) == {"progress", "history"}
    assert set(by_sk["progress"]) == PROGRESS_ATTRIBUTES
    assert set(by_sk["history"]) == HISTORY_ATTRIBUTES
    assert {item["pk"]["S"] for item in items} == {f"household#{household_key(USER)}"}
    progress = json.loads(by_sk["progress"]["g"]["S"])
    history = json.loads(by_sk["history"]["h"]["S"])
    assert set(progress) == {"v", "hh", "ph"}
    assert set(history) == {"ev", "se", "fv", "d", "tk"}
    # Exactly the codec's document (in the store's short keys), nothing of the store's own.
    game = DynamoDbStore(dynamodb_env.table_name, client=client(dynamodb_env.endpoint)).load(
        household_key(USER)
    )
    assert game is not None
    doc = encode(game.game)
    assert _keys(_load_json(by_sk["history"]["h"]["S"])) == _keys(doc.pop("history"))
    assert _keys(_load_json(by_sk["progress"]["g"]["S"])) == _keys(doc)
    kept = " ".join(_strings(items))
    for secret in (USER, DEVICE, MARKER, *_request_ids(echo), APP_ID):
        assert secret not in kept, secret
    assert NAMES[0] in kept, "the names are kept: the game needs them"


def test_the_embedded_store_holds_only_what_the_game_needs(
    lambda_sqlite: ModuleType, db_path: Path
) -> None:
    echo = Echo(_with_device(lambda e: lambda_sqlite.lambda_handler(e, None)), user_id=USER)
    whole_evening(echo)
    store = SqliteStore(db_path)
    db = store._db()  # noqa: SLF001 - the test's own file
    columns = [row[1] for row in db.execute("PRAGMA table_info(progress)")]
    assert columns == SQLITE_COLUMNS
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"progress"}
    rows = db.execute("SELECT household_id, body FROM progress").fetchall()
    assert [row[0] for row in rows] == [household_key(USER)]
    body = json.loads(rows[0][1])
    assert set(body) == {"v", "household", "history", "phase"}
    assert _keys(body) == _keys(encode(decode(body))), "exactly the codec's document"
    kept = " ".join(_strings(body))
    for secret in (USER, DEVICE, MARKER, *_request_ids(echo), APP_ID):
        assert secret not in kept, secret
