"""The listening pause on screen: whose turn and the prompt, the bar, and single keys."""

from __future__ import annotations

import json
import os
import termios

import pytest

from skill.device.countdown import KEYS, Turn, bar_line, cbreak, clock, read_key, turn_of
from skill.device.nlu import Understanding, model_dir
from skill.device.speech import Text, segments


def said(ssml: str) -> list[Text]:
    return [s for s in segments(ssml) if isinstance(s, Text)]


SAM_STARTS = Turn("Sam", "Where would you go on a free day?")


@pytest.mark.parametrize(
    ("ssml", "previous", "turn"),
    [
        (
            "Sam, you start. Alex, your only job is to listen: no fixing, no advice. "
            "<s>Where would you go on a free day?</s>",
            None,
            SAM_STARTS,
        ),
        ("Now you, Alex. <s>Where would you go on a free day?</s>", SAM_STARTS,
         Turn("Alex", "Where would you go on a free day?")),
        ("Take your time.", SAM_STARTS, SAM_STARTS),
        ("No rush, keep going.", SAM_STARTS, SAM_STARTS),
        (
            "Before we move on: Alex, ask Sam one curious question about that. "
            "Just curious, nothing to fix.",
            SAM_STARTS,
            Turn("Alex", "Ask Sam one curious question about that. Just curious, nothing to fix."),
        ),
        (
            "Before we finish, one more round. Mary Ann, name one thing you heard from Jo "
            "tonight that you want to remember.",
            None,
            Turn("Mary Ann", "Name one thing you heard from Jo tonight that you want to remember."),
        ),
        (
            "partner two, your turn with the same question. <s>What made you laugh today?</s>",
            None,
            Turn("partner two", "What made you laugh today?"),
        ),
        ("Here's a different one. <s>What made you laugh today?</s>", SAM_STARTS,
         Turn(None, "What made you laugh today?")),
    ],
)  # fmt: skip
def test_whose_turn_and_the_prompt_come_from_the_speech_before_the_pause(
    ssml: str, previous: Turn | None, turn: Turn
) -> None:
    assert turn_of(said(ssml), previous) == turn


def test_titles() -> None:
    assert SAM_STARTS.title() == "Sam's turn: Where would you go on a free day?"
    assert Turn(None, "Go on.").title() == "Listening: Go on."


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(60, "1:00"), (59.2, "1:00"), (0.4, "0:01"), (0, "0:00"), (-3, "0:00"), (125, "2:05")],
)
def test_the_clock_counts_down_like_a_kitchen_timer(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown


@pytest.mark.parametrize("width", [40, 60, 80])
@pytest.mark.parametrize("fancy", [True, False])
def test_the_bar_fits_the_terminal_and_fills_up(width: int, fancy: bool) -> None:
    lines = [bar_line("Bartholomew-Alexander Longname", left, 60, width, fancy)
             for left in (60, 45, 30, 0)]  # fmt: skip
    assert all(len(line) <= width - 1 for line in lines)
    full = "█" if fancy else "#"
    filled = [line.count(full) for line in lines]
    assert filled == sorted(filled) and filled[0] == 0 and filled[-1] > 0
    assert ("░" if fancy else ".") not in lines[-1].split("[", 1)[1]
    assert bar_line("Sam", 42, 60, 80, False).startswith("  Sam  0:42 [")


def test_plain_bars_are_ascii() -> None:
    assert bar_line("Sam", 30, 60, 80, fancy=False).isascii()


def test_cbreak_restores_the_terminal_even_on_ctrl_c() -> None:
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        with pytest.raises(KeyboardInterrupt), cbreak(slave):
            during = termios.tcgetattr(slave)
            assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
            raise KeyboardInterrupt
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(
    ("typed", "intent"),
    [(b"\r", "NextIntent"), (b"\n", "NextIntent"), (b"m", "MoreTimeIntent"), (b"s", "SkipIntent"),
     (b"r", "AMAZON.RepeatIntent"), (b"q", "AMAZON.StopIntent"), (b"Q", "AMAZON.StopIntent"),
     (b"x", None), (b"\x1b[A", None), (b"xm", "MoreTimeIntent")],
)  # fmt: skip
def test_single_keys_send_intents(typed: bytes, intent: str | None) -> None:
    master, slave = os.openpty()
    try:
        with cbreak(slave):
            assert read_key(slave, 0.01) is None  # nothing pressed: the pause goes on
            os.write(master, typed)
            key = read_key(slave, 2.0)
            assert (key.intent if key else None) == intent
    finally:
        os.close(master)
        os.close(slave)


def test_every_key_sends_an_intent_every_locale_declares() -> None:
    models = sorted((model_dir() / "interactionModels" / "custom").glob("*.json"))
    assert models
    for path in models:
        language = json.loads(path.read_text(encoding="utf-8"))["interactionModel"]
        declared = {intent["name"] for intent in language["languageModel"]["intents"]}
        missing = {key.intent for key in KEYS.values()} - declared
        assert not missing, f"{path.name} lacks {missing}"


def test_key_labels_are_what_you_would_say_in_english() -> None:
    nlu = Understanding.for_locale("en-US")
    assert all(nlu.understand(key.label).intent == key.intent for key in KEYS.values())
