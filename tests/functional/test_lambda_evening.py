"""Whole evenings through lambda_handler, with the JSON fixtures in tests/events/."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_lambda_module
from tests.support.echo import APP_ID, Echo, Reply, fixture


def names(echo: Echo, a: str = "sam", b: str = "alex") -> Reply:
    echo.launch()
    echo.intent("NameIntent", name=a)
    return echo.intent("NameIntent", name=b)


def play_to_end(echo: Echo, talk: int = 70) -> list[Reply]:
    replies = []
    while True:
        echo.advance(talk)
        reply = echo.intent("NextIntent")
        replies.append(reply)
        if not reply.open:
            return replies


def play_to_end_again(echo: Echo) -> list[Reply]:
    """A second evening: once the reminder offer was answered, it is not made again."""
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    return play_to_end(echo)


def test_launch_welcomes_and_asks_for_names(echo: Echo) -> None:
    reply = echo.launch()
    assert reply.open
    assert "Welcome to Connection Game" in reply.text
    assert "first name" in reply.text and reply.text.endswith("?")


def test_a_whole_evening_by_name(echo: Echo) -> None:
    reply = names(echo)
    assert "Sam and Alex" in reply.text
    echo.intent("AMAZON.YesIntent")
    first = echo.intent("AMAZON.YesIntent")
    assert first.text.startswith("Sam"), "the first partner is addressed by name"
    assert "Alex, your only job is to listen" in first.text
    assert first.pause_seconds == 60
    assert first.ssml.count('<audio src="soundbank://') == 1
    replies = play_to_end(echo)
    summary, last = replies[-2], replies[-1]
    assert "minutes" in summary.text and "1 evening together" in summary.text
    assert summary.open and summary.text.endswith("Want me to remind you tomorrow at this time?")
    assert not last.open and last.reprompt is None, "next at the offer: no reminder, goodbye"
    assert any("one thing you heard" in r.text for r in replies), "closing appreciation step"
    prompts_said = [r for r in replies if r.pause_seconds >= 60]
    assert "remind" not in "".join(r.text for r in play_to_end_again(echo))
    assert len(prompts_said) == 9, "five prompts, both partners each, the first already asked"


def test_every_open_response_asks_a_question_with_a_reprompt(echo: Echo) -> None:
    names(echo)
    echo.intent("AMAZON.YesIntent")
    for intent in (
        "AMAZON.HelpIntent",
        "AMAZON.YesIntent",
        "AMAZON.RepeatIntent",
        "MoreTimeIntent",
        "AMAZON.FallbackIntent",
        "SkipIntent",
        "LighterIntent",
        "DeeperIntent",
        "SaveFavouriteIntent",
        "StatsIntent",
        "NextIntent",
    ):
        reply = echo.intent(intent)  # check_reply (in Echo.send) asserts the rules
        assert reply.open, intent


@pytest.mark.parametrize(
    "hostile",
    ["Zoë & <Kim>", "Jo\"ann's", "</speak><audio src='x'/>", "A" * 300, "Ana\x00Maria", "😀 Lee"],
)
def test_hostile_names_are_escaped(echo: Echo, hostile: str) -> None:
    echo.launch()
    reply = echo.intent("NameIntent", name=hostile)
    assert reply.open  # check_reply parsed the SSML: still well-formed
    assert "<audio src='x'/>" not in reply.ssml
    reply = echo.intent("NameIntent", name="Alex")
    assert reply.ssml.count("<audio") == 0
    echo.intent("AMAZON.YesIntent")
    reply = echo.intent("AMAZON.YesIntent")
    assert reply.ssml.count("<audio") == 1


def test_a_missing_name_slot_asks_again(echo: Echo) -> None:
    echo.launch()
    reply = echo.intent("NameIntent", name=None)
    assert reply.open and "didn't catch a first name" in reply.text


def test_stop_cancel_and_home_save_and_close(echo: Echo) -> None:
    for intent in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"):
        names(echo)
        echo.intent("AMAZON.YesIntent")
        echo.intent("AMAZON.YesIntent")
        reply = echo.intent(intent)
        assert not reply.open and reply.reprompt is None, intent
        reply = echo.launch()
        assert "Pick up where you left off?" in reply.text, intent
        echo.intent("AMAZON.NoIntent")
        echo.intent("AMAZON.StopIntent")


@pytest.mark.parametrize("reason", ["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"])
def test_session_end_mid_evening_resumes_on_next_launch(echo: Echo, reason: str) -> None:
    names(echo)
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    echo.advance(75)
    ended = echo.end(reason)
    assert ended.ssml == "" and ended.body.get("shouldEndSession") is None
    echo.advance(3600)
    reply = echo.launch()
    assert "You stopped at Sam's answer to:" in reply.text
    assert "ask connection game for the next question" in reply.text  # taught once
    reply = echo.intent("AMAZON.YesIntent")
    assert reply.text.startswith("Alex") or "Alex" in reply.text.split(".")[0]


def test_one_shot_next_question_continues_in_a_new_session(echo: Echo) -> None:
    names(echo)
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    echo.end()
    echo.advance(600)
    reply = echo.intent("NextIntent")  # "Alexa, ask connection game for the next question"
    assert echo.sent[-1]["session"]["new"] is True
    assert reply.open and reply.pause_seconds >= 30


def test_skill_disabled_deletes_the_household(echo: Echo, db_path: Path) -> None:
    names(echo)
    assert _rows(db_path) == 1
    reply = echo.skill_disabled()
    assert reply.ssml == ""
    assert _rows(db_path) == 0


def test_forget_us_deletes_after_a_yes(echo: Echo, db_path: Path) -> None:
    names(echo)
    reply = echo.intent("ForgetUsIntent")
    assert reply.open and reply.text.endswith("?")
    assert _rows(db_path) == 1
    reply = echo.intent("AMAZON.YesIntent")
    assert not reply.open and _rows(db_path) == 0
    assert "Welcome to Connection Game" in echo.launch().text


def test_help_and_repeat_do_not_write(echo: Echo, db_path: Path) -> None:
    names(echo)
    echo.intent("AMAZON.YesIntent")
    before = _versions(db_path)
    echo.intent("AMAZON.HelpIntent")
    echo.intent("AMAZON.RepeatIntent")
    assert _versions(db_path) == before


def test_reads_once_per_session_from_session_attributes(echo: Echo) -> None:
    names(echo)
    attrs = echo.attributes["game"]
    assert attrs["ver"] == 2 and attrs["dirty"] is False
    assert attrs["g"]["household"]["names"] == ["Sam", "Alex"]


def test_tampered_session_attributes_fall_back_to_the_store(echo: Echo) -> None:
    names(echo)
    echo.attributes = {"game": {"g": {"v": 1, "phase": "nonsense"}, "ver": "x"}}
    reply = echo.intent("AMAZON.YesIntent")
    assert reply.open
    assert "first question" in reply.text, "the stored game (Ready) was reloaded"


def test_unknown_intent_is_a_fallback(echo: Echo) -> None:
    names(echo)
    reply = echo.intent("SomeOldIntent")
    assert reply.open and "didn't get that" in reply.text


def test_requests_for_another_skill_are_refused(db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CONNECTION_GAME_DB", str(db_path))
    monkeypatch.setenv("SKILL_ID", APP_ID)
    monkeypatch.delenv("TABLE_NAME", raising=False)
    module = load_lambda_module()
    ours = Echo(lambda e: module.lambda_handler(e, None))
    assert ours.launch().open
    theirs = Echo(lambda e: module.lambda_handler(e, None), app_id="amzn1.ask.skill.other")
    from skill.wiring import ForeignSkill

    with pytest.raises(ForeignSkill):
        theirs.launch()
    assert _rows(db_path) == 0 or _rows(db_path) == 1  # only our household, if any


def test_not_an_envelope_gets_an_empty_valid_response(lambda_app: ModuleType) -> None:
    assert lambda_app.lambda_handler({"hello": "world"}, None) == {"version": "1.0", "response": {}}
    broken = fixture("launch")
    broken["request"]["timestamp"] = "not a time"
    out = lambda_app.lambda_handler(broken, None)
    assert out["version"] == "1.0"


def test_unused_request_types_get_an_empty_response(lambda_app: ModuleType) -> None:
    doc = fixture("session_ended")
    doc["request"] = {
        "type": "System.ExceptionEncountered",
        "requestId": "r",
        "locale": "en-US",
        "timestamp": "2026-11-24T19:31:00Z",
        "error": {"type": "INVALID_RESPONSE", "message": "x"},
        "cause": {"requestId": "r0"},
    }
    out = lambda_app.lambda_handler(doc, None)
    assert "outputSpeech" not in out["response"]


def test_responses_stay_within_alexa_limits_at_the_longest_pause(echo: Echo) -> None:
    names(echo)
    echo.intent("SetPauseIntent", duration="PT3M")
    echo.intent("AMAZON.YesIntent")
    reply = echo.intent("AMAZON.YesIntent")
    assert reply.pause_seconds == 180
    assert len(reply.ssml) < 8000


def _rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM progress").fetchone()[0])


def _versions(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT version FROM progress")]


def test_fixture_files_are_valid_json() -> None:
    for path in (Path(__file__).resolve().parents[1] / "events").glob("*.json"):
        assert json.loads(path.read_text())["version"] == "1.0"
