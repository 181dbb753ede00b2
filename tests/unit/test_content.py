"""The authored deck, checked: ids, lengths, coverage, wording rules."""

from __future__ import annotations

import re
from collections import Counter

from skill import content
from skill.core.deck import REFLECTIONS

BOOK = content.prompts("en")
THEMES = {
    "today",
    "inner_world",
    "curiosity",
    "hopes",
    "making_space",
    "going_first",
    "play",
    "being_known",
}
YES_NO = re.compile(r"^(do|did|does|is|are|was|were|have|has|had|can|could|will|should)\b", re.I)
BANNED = re.compile(
    r"\b(trauma|triggered|toxic|attachment style|boundaries|gaslight|narcissis\w*|"
    r"why do you always|husband|wife|boyfriend|girlfriend|kids|children|church)\b",
    re.I,
)


def test_deck_size_and_coverage() -> None:
    cards = BOOK.deck.cards
    assert len(cards) >= 300
    cells = Counter((c.theme, c.depth) for c in cards)
    assert {c.theme for c in cards} == THEMES == set(BOOK.themes)
    for theme in THEMES:
        for depth in (1, 2, 3):
            assert cells[(theme, depth)] >= 10, (theme, depth)


def test_ids_are_unique_and_stable_in_form() -> None:
    ids = [c.id for c in BOOK.deck.cards]
    assert len(ids) == len(set(ids))
    for card in BOOK.deck.cards:
        assert re.fullmatch(rf"{card.theme}\.\d{{2,3}}", card.id), card.id


def test_texts_are_short_open_questions_easy_to_say() -> None:
    normalised = Counter(re.sub(r"[^a-z ]", "", t.lower()) for t in BOOK.texts.values())
    assert normalised.most_common(1)[0][1] == 1, "duplicate prompt"
    for pid, text in BOOK.texts.items():
        assert len(text.split()) < 25, pid
        assert text.endswith("?") and text.count("?") == 1, pid
        assert text.isascii() and not re.search(r"[0-9()/\"!]", text), pid
        assert not YES_NO.match(text), f"{pid} reads as a yes/no question"
        assert not BANNED.search(text), pid


def test_reflections_and_follow_ups() -> None:
    kinds = Counter(c.reflection for c in BOOK.deck.cards)
    assert set(kinds) <= set(REFLECTIONS) and len(kinds) == 3
    for pid, follow in BOOK.follow_ups.items():
        assert follow.endswith("?") and len(follow.split()) < 15, pid
