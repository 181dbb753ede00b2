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
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

LAUNCH = "LaunchRequest"
FALLBACK = "AMAZON.FallbackIntent"
_WORD = re.compile(r"[a-z0-9äöüßàâçéèêëîïôûùÿñæœáíóú']+")
_SLOT = re.compile(r"\{(\w+)\}")
_LAUNCH_WORDS = ("open", "start", "launch", "begin", "play", "run", "load", "resume", "use")
_ONE_SHOT = ("ask", "tell")
_JOINERS = ("for", "to", "about", "if", "whether", "and", "that")


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


@dataclass(frozen=True, slots=True)
class NumberWords:
    """One language's spoken numbers and time units (skill/content/<lang>/numbers.json)."""

    numbers: dict[str, float]
    units: dict[str, int]
    articles: frozenset[str]  # words meaning "one" that "a minute and a half" hangs on
    half: frozenset[str]  # "half": a half on its own
    fractions: dict[str, float]  # "halbe": replaces a preceding article ("eine halbe Minute")
    fillers: frozenset[str]  # skipped ("and", "of")
    compounds: bool  # number words glued together ("fünfundvierzig", "hundertzwanzig")
    joiner: str  # what glues them ("und" in "fünfundvierzig")


@cache
def number_words(language: str = "en") -> NumberWords:
    """The number words of a language; English when the language has none of its own."""
    root = resources.files("skill.content")
    path = root.joinpath(language, "numbers.json")
    if not path.is_file():
        path = root.joinpath("en", "numbers.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return NumberWords(
        numbers={k: float(v) for k, v in data["numbers"].items()},
        units={k: int(v) for k, v in data["units"].items()},
        articles=frozenset(data.get("articles", [])),
        half=frozenset(data.get("half", [])),
        fractions={k: float(v) for k, v in data.get("fractions", {}).items()},
        fillers=frozenset(data.get("fillers", [])),
        compounds=bool(data.get("compounds", False)),
        joiner=str(data.get("compound_joiner", "")),
    )


def _compound(word: str, words: NumberWords) -> float | None:
    """A number written as one word: "fünfundvierzig" -> 45, "zweieinhalb" -> 2.5."""

    def parts(rest: str, first: bool) -> list[float] | None:
        if not rest:
            return []
        joiner = words.joiner
        if joiner and not first and rest.startswith(joiner):
            tail = parts(rest[len(joiner) :], True)
            if tail:
                return tail
        for size in range(len(rest), 0, -1):
            head = rest[:size]
            if head in words.numbers:
                tail = parts(rest[size:], False)
                if tail is not None:
                    return [words.numbers[head], *tail]
        return None

    found = parts(word, True)
    if not found or len(found) < 2:
        return None
    total = 0.0
    for value in found:
        total = (total or 1) * value if value == 100 else total + value
    return total


def duration_iso(text: str, language: str = "en") -> str | None:
    """ "two minutes" / "90 seconds" / "a minute and a half" -> "PT2M" / "PT90S" / "PT90S";
    with language "de": "zwei Minuten" / "neunzig Sekunden" / "anderthalb Minuten"."""
    vocab = number_words(language)
    words = normalise(text).replace("-", " ").split()
    total, number, last_unit = 0.0, None, 0
    prev = ""
    for w in words:
        if w.isdigit():
            number = (number or 0) + int(w)
        elif w in vocab.articles and prev in vocab.half:
            pass  # "half a minute": the article counts nothing
        elif w in vocab.numbers:
            value = vocab.numbers[w]
            number = (number or 0) * value if value == 100 else (number or 0) + value
        elif w in vocab.half:
            if last_unit and (number is None or (number == 1 and prev in vocab.articles)):
                total += last_unit / 2  # "a minute and a half"
                number = None
            elif prev in vocab.articles and number is not None:
                number = number - 1 + 0.5  # "one and a half", "a half": the article was no one
            else:
                number = (number or 0) + 0.5
        elif w in vocab.fractions:
            if number == 1 and prev in vocab.articles:
                number = vocab.fractions[w]  # "eine halbe Minute"
            else:
                number = (number or 0) + vocab.fractions[w]
        elif w in vocab.units:
            last_unit = vocab.units[w]
            total += (number if number is not None else 1) * last_unit
            number = None
        elif w in vocab.fillers:
            pass
        elif vocab.compounds and (value := _compound(w, vocab)) is not None:
            number = (number or 0) + value
        else:
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

    def __init__(self, model: dict[str, Any], number_language: str = "en") -> None:
        self.number_language = number_language  # whose number words durations are spoken in
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
        number_language = path.stem.split("-")[0].lower()
        return cls(json.loads(path.read_text(encoding="utf-8")), number_language)

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
            return duration_iso(value, self.number_language)
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
