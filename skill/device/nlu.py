"""Typed utterance -> intent, using the interaction model's own sample utterances.

The terminal device reads the same JSON the Alexa service is given. Samples become patterns
(literal words plus slot captures); the match with the most literal text wins, so a bare
"{name}" sample only catches what nothing else explains. Nothing matched -> FallbackIntent,
as Alexa does. Slot values are normalised the way Alexa sends them (ISO-8601 durations,
entity-resolution ids for custom types).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAUNCH = "LaunchRequest"
FALLBACK = "AMAZON.FallbackIntent"
_WORD = re.compile(r"[a-z0-9äöüßàâçéèêëîïôûùÿñæœáíóú']+")
_SLOT = re.compile(r"\{(\w+)\}")
_LAUNCH_WORDS = ("open", "start", "launch", "begin", "play", "run", "load", "resume", "use")
_ONE_SHOT = ("ask", "tell")
_JOINERS = ("for", "to", "about", "if", "whether", "and", "that")

NUMBER_WORDS = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
}
UNITS = {
    "second": 1,
    "seconds": 1,
    "sec": 1,
    "secs": 1,
    "minute": 60,
    "minutes": 60,
    "min": 60,
    "mins": 60,
    "hour": 3600,
    "hours": 3600,
}


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


def model_dir() -> Path:
    """The interaction_model folder next to the package (source checkout or editable install)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "interaction_model"
        if (candidate / "skill.json").is_file():
            return candidate
    raise FileNotFoundError("interaction_model/ not found next to the skill package")


def duration_iso(text: str) -> str | None:
    """ "two minutes" / "90 seconds" / "a minute and a half" -> "PT2M" / "PT90S" / "PT90S"."""
    words = normalise(text).replace("-", " ").split()
    total, number, last_unit = 0.0, None, 0
    prev = ""
    for w in words:
        if w.isdigit():
            number = (number or 0) + int(w)
        elif w in NUMBER_WORDS:
            value = NUMBER_WORDS[w]
            number = (number or 0) * value if value == 100 else (number or 0) + value
        elif w == "half":
            if last_unit and (number is None or (number == 1 and prev in ("a", "an"))):
                total += last_unit / 2  # "a minute and a half"
                number = None
            else:
                number = (number or 0) + 0.5
        elif w in UNITS:
            last_unit = UNITS[w]
            total += (number if number is not None else 1) * last_unit
            number = None
        elif w not in ("and", "of"):
            return None
        prev = w
    if number is not None or total <= 0:
        return None
    seconds = int(round(total))
    minutes, rest = divmod(seconds, 60)
    if rest == 0:
        return f"PT{minutes}M"
    return f"PT{seconds}S"


@dataclass(frozen=True, slots=True)
class Match:
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)  # name -> value or (value, id)


@dataclass(frozen=True, slots=True)
class _Pattern:
    intent: str
    regex: re.Pattern[str]
    literal: int  # characters of literal text: more means a more specific match
    slot_types: dict[str, str]


class Understanding:
    """Sample-utterance matcher for one locale's interaction model."""

    def __init__(self, model: dict[str, Any]) -> None:
        language = model["interactionModel"]["languageModel"]
        self.invocation = normalise(language["invocationName"])
        self.types: dict[str, dict[str, str]] = {}
        for slot_type in language.get("types", []):
            table: dict[str, str] = {}
            for value in slot_type.get("values", []):
                name = value["name"]
                ident = value.get("id") or name["value"]
                for word in [name["value"], *name.get("synonyms", [])]:
                    table[normalise(word)] = ident
            self.types[slot_type["name"]] = table
        self.patterns: list[_Pattern] = []
        for intent in language["intents"]:
            slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            for sample in intent.get("samples", []):
                self.patterns.append(self._compile(intent["name"], sample, slot_types))
        self.patterns.sort(key=lambda p: -p.literal)

    @classmethod
    def for_locale(cls, locale: str = "en-US", folder: Path | None = None) -> Understanding:
        root = (folder or model_dir()) / "interactionModels" / "custom"
        path = root / f"{locale}.json"
        if not path.is_file():
            path = root / "en-US.json"
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @staticmethod
    def _compile(intent: str, sample: str, slot_types: dict[str, str]) -> _Pattern:
        parts: list[str] = []
        literal = 0
        for token in sample.split():
            slot = _SLOT.fullmatch(token)
            if slot:
                parts.append(f"(?P<{slot.group(1)}>.+?)")
            else:
                word = normalise(token)
                literal += len(word)
                parts.append(re.escape(word))
        return _Pattern(intent, re.compile("^" + " ".join(parts) + "$"), literal, slot_types)

    def _slot_ok(self, slot_type: str, value: str) -> Any:
        if slot_type == "AMAZON.DURATION":
            return duration_iso(value)
        if slot_type == "AMAZON.FirstName":
            words = value.split()
            ok = 1 <= len(words) <= 2 and all(w.replace("'", "").isalpha() for w in words)
            return value.title() if ok else None
        if slot_type in self.types:
            ident = self.types[slot_type].get(value)
            return (value, ident) if ident else None
        return value

    def _match(self, text: str, specific: bool = True) -> Match | None:
        for pattern in self.patterns:
            if (pattern.literal > 0) != specific:
                continue
            found = pattern.regex.match(text)
            if not found:
                continue
            slots: dict[str, Any] = {}
            for name, raw in found.groupdict().items():
                value = self._slot_ok(pattern.slot_types.get(name, ""), raw)
                if value is None:
                    break
                slots[name] = value
            else:
                return Match(pattern.intent, slots)
        return None

    def understand(self, utterance: str) -> Match:
        """What Alexa would send for this utterance: an intent, or a LaunchRequest."""
        text = normalise(utterance)
        if text.startswith("alexa "):
            text = text[len("alexa ") :]
        inv = self.invocation
        for verb in _LAUNCH_WORDS:
            if text == f"{verb} {inv}":
                return Match(LAUNCH)
        for verb in _ONE_SHOT:
            if text.startswith(f"{verb} {inv}"):
                text = text[len(f"{verb} {inv}") :].strip()
                for joiner in _JOINERS:
                    if text.startswith(joiner + " ") and not self._match(text, True):
                        text = text[len(joiner) + 1 :]
                        break
                if not text:
                    return Match(LAUNCH)
        trimmed = re.sub(r"(^(ok|okay|um|uh|so) | please$)", "", text).strip()
        for specific in (True, False):  # literal samples first, bare-slot samples last
            for candidate in dict.fromkeys((text, trimmed)):
                found = self._match(candidate, specific) if candidate else None
                if found:
                    return found
        return Match(FALLBACK)
