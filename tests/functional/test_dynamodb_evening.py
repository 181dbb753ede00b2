"""Whole evenings through lambda_handler on DynamoDB Local, configured as on AWS: TABLE_NAME
and AWS_ENDPOINT_URL_DYNAMODB in the environment, nothing else. Each loaded lambda module is
a fresh Lambda container (its own store object and boto3 client)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import content
from skill.core.codec import decode
from skill.core.model import Game, Paused
from skill.store.dynamodb import DynamoDbStore
from skill.store.port import Stored
from tests.conftest import load_lambda_module
from tests.support.echo import Echo, Reply
from tests.support.fixtures_dynamodb import LocalTable, client

PROMPTS = content.prompts("en").texts
USER = "amzn1.ask.account.AHOUSEHOLDWITHTWOECHOS"
NOT_OK = (
    "something went wrong",
    "can't reach your saved game",
    "couldn't read your saved game",
)


@pytest.fixture
def aws(
    dynamodb_env: LocalTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LocalTable]:
    """The Lambda's environment, pointed at DynamoDB Local; the embedded store is a trap."""
    monkeypatch.delenv("SKILL_ID", raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "must-not-exist.sqlite3"))
    yield dynamodb_env
    assert not (tmp_path / "must-not-exist.sqlite3").exists(), "the embedded store was used"


def container() -> Callable[[dict[str, Any]], dict[str, Any]]:
    module: ModuleType = load_lambda_module()
    return lambda envelope: module.lambda_handler(envelope, None)


def items(table: LocalTable) -> list[dict[str, Any]]:
    """Every item in the test's own table (it holds only this test's households)."""
    found: list[dict[str, Any]] = client(table.endpoint).scan(
        TableName=table.table_name, ConsistentRead=True
    )["Items"]
    return found


def stored(table: LocalTable) -> Stored:
    """The one household's game, read by a store object of its own."""
    [pk] = {item["pk"]["S"] for item in items(table)}
    store = DynamoDbStore(table.table_name, client=client(table.endpoint))
    result = store.load(pk.removeprefix("household#"))
    assert result is not None
    return result


def said(reply: Reply) -> set[str]:
    """Prompt ids whose text the reply speaks."""
    return {pid for pid, text in PROMPTS.items() if text in reply.text}


def ok(reply: Reply) -> Reply:
    assert not any(bad in reply.text for bad in NOT_OK), reply.text
    return reply


def names(echo: Echo, a: str = "sam", b: str = "alex") -> Reply:
    ok(echo.launch())
    ok(echo.intent("NameIntent", name=a))
    return ok(echo.intent("NameIntent", name=b))


def start(echo: Echo) -> Reply:
    ok(echo.intent("AMAZON.YesIntent"))
    return ok(echo.intent("AMAZON.YesIntent"))


def play_to_end(echo: Echo, talk: int = 70) -> list[Reply]:
    replies = []
    for _ in range(60):
        echo.advance(talk)
        replies.append(ok(echo.intent("NextIntent")))
        if not replies[-1].open:
            return replies
    raise AssertionError("the evening never ended")


def test_a_whole_evening_is_kept_in_dynamodb(aws: LocalTable) -> None:
    echo = Echo(container())
    assert "Sam and Alex" in names(echo).text
    first = start(echo)
    heard = said(first)
    replies = play_to_end(echo)
    for reply in replies:
        heard |= said(reply)

    summary = replies[-2]  # the last reply answers the reminder offer that follows it
    assert "1 evening together" in summary.text
    assert {item["sk"]["S"] for item in items(aws)} == {"progress", "history"}
    history = next(i for i in items(aws) if i["sk"]["S"] == "history")
    assert json.loads(history["h"]["S"])["ev"] == 1
    game = stored(aws).game
    assert game.household.names == ("Sam", "Alex")
    assert game.household.history.evenings == 1
    assert len(heard) == 5 and heard <= set(game.household.history.seen)


def test_after_the_session_ends_a_new_launch_resumes_from_dynamodb(aws: LocalTable) -> None:
    echo = Echo(container(), user_id=USER)
    names(echo)
    first = start(echo)
    [prompt] = said(first)
    echo.advance(75)
    echo.end("USER_INITIATED")
    assert echo.session_id is None and echo.attributes == {}

    # A new container: nothing in memory, no session attributes; only DynamoDB knows.
    later = Echo(container(), user_id=USER, start=echo.now)
    later.advance(3600)
    reply = ok(later.launch())
    assert later.sent[-1]["session"]["new"] is True
    assert "session" in later.sent[-1] and "attributes" not in later.sent[-1]["session"]
    assert "You stopped at Sam's answer to:" in reply.text
    assert PROMPTS[prompt] in reply.text
    assert reply.text.endswith("Pick up where you left off?")
    reply = ok(later.intent("AMAZON.YesIntent"))
    assert reply.open and "Alex" in reply.text.split(".")[0]
    assert prompt in stored(aws).game.phase.evening.asked  # type: ignore[union-attr]


def test_skill_disabled_leaves_no_item(aws: LocalTable) -> None:
    echo = Echo(container(), user_id=USER)
    names(echo)
    start(echo)
    play_to_end(echo)  # a history item too
    assert len(items(aws)) == 2

    reply = Echo(container(), user_id=USER).skill_disabled()

    assert reply.ssml == ""
    assert items(aws) == []


def test_forget_us_after_a_yes_leaves_no_item(aws: LocalTable) -> None:
    echo = Echo(container(), user_id=USER)
    names(echo)
    start(echo)
    play_to_end(echo)
    ok(echo.launch())
    assert len(items(aws)) == 2

    reply = ok(echo.intent("ForgetUsIntent"))
    assert reply.open and reply.text.endswith("?")
    assert len(items(aws)) == 2  # nothing happens before the yes
    reply = ok(echo.intent("AMAZON.YesIntent"))

    assert not reply.open
    assert items(aws) == []
    assert "Welcome to Connection Game" in ok(Echo(container(), user_id=USER).launch()).text


def test_two_echos_in_one_home_interleave_without_losing_anything(
    aws: LocalTable, caplog: pytest.LogCaptureFixture
) -> None:
    """Kitchen and living room, same Alexa account, each on its own container: every turn
    answers, and what either device did ends up stored."""
    caplog.set_level(logging.INFO, logger="skill.service")
    kitchen = Echo(container(), user_id=USER)
    living = Echo(container(), user_id=USER)

    def sync(now_from: Echo) -> None:
        kitchen.now = living.now = max(kitchen.now, living.now, now_from.now)

    heard: set[str] = set()
    names(kitchen)
    heard |= said(start(kitchen))
    sync(kitchen)
    reply = ok(living.launch())  # the other device joins mid-answer: it offers to resume
    heard |= said(reply)
    assert "Pick up where you left off?" in reply.text
    heard |= said(ok(living.intent("AMAZON.YesIntent")))

    favourite: str | None = None
    devices = [kitchen, living]
    for turn in range(14):
        echo = devices[turn % 2]
        echo.advance(70)
        sync(echo)
        if not echo.session_id:
            heard |= said(ok(echo.launch()))
        if turn == 3:
            ok(echo.intent("SaveFavouriteIntent"))
            favourite = current_prompt(decode(echo.attributes["game"]["g"]))
        if turn == 4:
            ok(echo.intent("SetPauseIntent", duration="PT2M"))
        reply = ok(echo.intent("NextIntent"))
        heard |= said(reply)

    game = stored(aws).game
    evening = evening_of(game)
    tonight = set(evening.asked + evening.skipped) if evening else set()
    history = game.household.history
    assert len(heard) >= 5
    assert heard <= tonight | set(history.seen), heard - tonight - set(history.seen)
    assert game.household.pause_seconds == 120  # one device's change ...
    saved = set(evening.saved if evening else ()) | set(history.favourites)
    assert favourite is not None and favourite in saved  # ... and the other's
    assert "concurrent update" in caplog.text  # the devices did get in each other's way


def evening_of(game: Game) -> Any:
    phase = game.phase.was if isinstance(game.phase, Paused) else game.phase
    return getattr(phase, "evening", None)


def current_prompt(game: Game) -> str | None:
    evening = evening_of(game)
    return evening.current if evening is not None and evening.asked else None
