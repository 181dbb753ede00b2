"""Deck order: which prompt comes next. Prompt texts live in content; the core sees cards."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REFLECTIONS = ("follow_up", "say_back", "celebrate")


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    theme: str
    depth: int
    reflection: str
    has_follow_up: bool = False


class Deck:
    """An ordered set of cards with lookup by id. Immutable after construction."""

    __slots__ = ("cards", "_by_id")

    def __init__(self, cards: Iterable[Card]) -> None:
        self.cards: tuple[Card, ...] = tuple(cards)
        self._by_id: Mapping[str, Card] = {c.id: c for c in self.cards}
        if len(self._by_id) != len(self.cards):
            raise ValueError("duplicate prompt id in deck")

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._by_id

    def __len__(self) -> int:
        return len(self.cards)

    def get(self, prompt_id: str) -> Card | None:
        return self._by_id.get(prompt_id)


def pick(
    deck: Deck,
    *,
    depth: int,
    tonight: Iterable[str],
    seen: tuple[str, ...],
    avoid_theme: str | None,
    rng: random.Random,
    focus: str = "",
) -> str | None:
    """The next prompt: unseen at the target depth first (tonight's focus theme if a check-in
    chose one, else a fresh theme if possible), then unseen at the nearest depth, then the
    least recently heard. Never one asked tonight."""
    excluded = set(tonight)
    seen_set = set(seen)
    fresh = [c for c in deck.cards if c.id not in excluded and c.id not in seen_set]
    for distance in (0, 1, 2):
        at_depth = [c for c in fresh if abs(c.depth - depth) == distance]
        if at_depth:
            focused = [c for c in at_depth if c.theme == focus]
            varied = focused or [c for c in at_depth if c.theme != avoid_theme] or at_depth
            return rng.choice(varied).id
    # Every prompt heard: the least recent first, preferring the target depth.
    oldest = [pid for pid in seen if pid not in excluded and pid in deck]
    if not oldest:
        return None
    window = oldest[: max(1, len(oldest) // 4)]
    for pid in window:
        card = deck.get(pid)
        if card is not None and card.depth == depth:
            return pid
    return window[0]


def pick_favourite(favourites: tuple[str, ...], tonight: Iterable[str], deck: Deck) -> str | None:
    excluded = set(tonight)
    for pid in favourites:
        if pid not in excluded and pid in deck:
            return pid
    return None


def remember(seen: tuple[str, ...], heard: Iterable[str]) -> tuple[str, ...]:
    """``seen`` with ``heard`` moved to the most recent end, each id once."""
    new = list(dict.fromkeys(heard))
    fresh = set(new)
    return tuple(pid for pid in seen if pid not in fresh) + tuple(new)
