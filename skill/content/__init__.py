"""Authored content, per language: prompt decks and speech catalogs (JSON package data).

A language base (``en``) holds everything; a locale overlay (``en-GB``) holds only what differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from skill.core.deck import Card, Deck

DEFAULT_LOCALE = "en-US"


@dataclass(frozen=True, slots=True)
class PromptBook:
    deck: Deck
    texts: dict[str, str]
    follow_ups: dict[str, str]
    themes: dict[str, str]


def _read(folder: str, name: str) -> dict[str, Any] | None:
    path = resources.files(__name__).joinpath(folder, name)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{folder}/{name}: expected a JSON object")
    return data


@cache
def languages() -> tuple[str, ...]:
    """The languages with a speech catalog (read once: package data does not change)."""
    root = resources.files(__name__)
    return tuple(
        sorted(
            p.name
            for p in root.iterdir()
            if p.is_dir() and (p / "speech.json").is_file() and "-" not in p.name
        )
    )


def resolve(locale: str | None) -> tuple[str, str]:
    """(language, locale) with content for it; unknown locales fall back to English."""
    locale = (locale or DEFAULT_LOCALE).replace("_", "-")
    language = locale.split("-")[0].lower()
    if language not in languages():
        return "en", DEFAULT_LOCALE
    return language, locale


@cache
def prompts(language: str) -> PromptBook:
    data = _read(language, "prompts.json") or _read("en", "prompts.json")
    assert data is not None
    cards, texts, follow_ups = [], {}, {}
    for item in data["prompts"]:
        cards.append(
            Card(
                item["id"],
                item["theme"],
                int(item["depth"]),
                item["reflection"],
                bool(item.get("follow_up")),
            )
        )
        texts[item["id"]] = item["text"]
        if item.get("follow_up"):
            follow_ups[item["id"]] = item["follow_up"]
    return PromptBook(Deck(cards), texts, follow_ups, dict(data.get("themes", {})))


@cache
def speech(locale: str) -> dict[str, str | list[str]]:
    """The speech catalog for a locale: language base, then the locale's overlay on top."""
    language, locale = resolve(locale)
    base = _read(language, "speech.json") or {}
    overlay = _read(locale, "speech.json") or {}
    merged = {**base.get("lines", {}), **overlay.get("lines", {})}
    return merged
