"""The interaction model against the code: every intent reachable by its samples through the
terminal device's matcher, and every declared intent handled by the skill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.alexa.intents import HANDLED, duration_seconds, intent_event
from skill.core import events as ev
from skill.device.nlu import FALLBACK, LAUNCH, Understanding, duration_iso

MODEL = (
    Path(__file__).resolve().parents[2] / "interaction_model/interactionModels/custom/en-US.json"
)
LANGUAGE = json.loads(MODEL.read_text())["interactionModel"]["languageModel"]
FILL = {"AMAZON.FirstName": "Robin", "AMAZON.DURATION": "two minutes", "LENGTH": "quick"}
NLU = Understanding.for_locale("en-US")


def _filled(sample: str, slots: dict[str, str]) -> str:
    for name, slot_type in slots.items():
        sample = sample.replace("{" + name + "}", FILL[slot_type])
    return sample


SAMPLES = [
    (intent["name"], sample, {s["name"]: s["type"] for s in intent.get("slots", [])})
    for intent in LANGUAGE["intents"]
    for sample in intent.get("samples", [])
]


@pytest.mark.parametrize(("intent", "sample", "slots"), SAMPLES)
def test_every_sample_reaches_its_intent(intent: str, sample: str, slots: dict) -> None:
    match = NLU.understand(_filled(sample, slots))
    assert match.intent == intent
    assert set(match.slots) <= set(slots)


def test_every_declared_intent_is_handled_and_every_handled_intent_declared() -> None:
    declared = {intent["name"] for intent in LANGUAGE["intents"]}
    assert declared == set(HANDLED)


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("open connection game", LAUNCH),
        ("Alexa, open connection game", LAUNCH),
        ("ask connection game for the next question", "NextIntent"),
        ("ask connection game how are we doing", "StatsIntent"),
        ("next please", "NextIntent"),
        ("Sam", "NameIntent"),
        ("my name is Jo", "NameIntent"),
        ("the quick brown fox jumps", FALLBACK),
        ("", FALLBACK),
    ],
)
def test_utterances(utterance: str, intent: str) -> None:
    assert NLU.understand(utterance).intent == intent


def test_slot_values_are_normalised_like_alexa() -> None:
    assert NLU.understand("set the pause to ninety seconds").slots == {"duration": "PT90S"}
    assert NLU.understand("start a long evening").slots == {"length": ("long", "long")}
    assert NLU.understand("it's mary ann").slots == {"name": "Mary Ann"}


@pytest.mark.parametrize(
    ("spoken", "iso", "seconds"),
    [
        ("two minutes", "PT2M", 120),
        ("90 seconds", "PT90S", 90),
        ("a minute and a half", "PT90S", 90),
        ("three minutes", "PT3M", 180),
        ("thirty seconds", "PT30S", 30),
        ("one and a half minutes", "PT90S", 90),
        ("two and a half minutes", "PT150S", 150),
        ("half a minute", "PT30S", 30),
        ("a half minute", "PT30S", 30),
    ],
)
def test_durations(spoken: str, iso: str, seconds: int) -> None:
    assert duration_iso(spoken) == iso
    assert duration_seconds(iso) == seconds


@pytest.mark.parametrize("bad", [None, "", "P", "PT", "banana", "PT-5M", "P1Y"])
def test_bad_durations_are_none(bad: str | None) -> None:
    assert duration_seconds(bad) is None


def test_slot_problems_become_fallback_not_errors() -> None:
    assert isinstance(intent_event("NameIntent", None), ev.Fallback)
    assert isinstance(intent_event("NameIntent", {"name": None}), ev.Fallback)
    assert isinstance(intent_event("SetPauseIntent", {"duration": "xyz"}), ev.Fallback)
    assert intent_event("StartEveningIntent", {}) == ev.StartEvening(None)
    assert isinstance(intent_event("NoSuchIntent", {}), ev.Fallback)
