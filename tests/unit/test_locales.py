"""Every locale the skill ships in: content parity with English, German prompt rules, the
terminal device's German durations, a short evening through lambda_handler in each locale,
and English for a locale we do not know.

Model rules per locale (samples, intents, slot types, invocation names, skill.json listings)
live in test_interaction_model.py, which applies them to every model file.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import content
from skill.alexa.render import Renderer
from skill.core.effects import Partner, PromptRef, Say
from skill.device.nlu import Understanding, duration_iso, number_words
from tests.support.echo import Echo, Reply

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "skill" / "content"
CORE = ROOT / "skill" / "core"
SKILL_JSON = ROOT / "interaction_model" / "skill.json"
MODELS = ROOT / "interaction_model" / "interactionModels" / "custom"

ENGLISH_LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
OUR_LOCALES = (*ENGLISH_LOCALES, "de-DE")
LISTED = tuple(json.loads(SKILL_JSON.read_text())["manifest"]["publishingInformation"]["locales"])
ALL_LOCALES = tuple(dict.fromkeys((*OUR_LOCALES, *LISTED)))  # plus whatever else ships
LANGUAGES = tuple(content.languages())
THEMES = frozenset(content.prompts("en").themes)
EN_LINES = content.speech("en-US")
EN_BOOK = content.prompts("en")
EN_CARDS = {card.id: card for card in EN_BOOK.deck.cards}
DE_BOOK = content.prompts("de")

PLACEHOLDER = re.compile(r"\{(\w+)(?:\|[^|{}]*\|[^|{}]*)?\}")
PARAMS: dict[str, Any] = {
    **{
        name: Partner(0, "Sam & Co")
        for name in ("a", "b", "speaker", "listener", "partner", "first", "more", "other")
    },
    "count": 2,
    "minutes": 3,
    "month": 1,
    "seconds": 45,
    "prompt": PromptRef("today.01"),
    "follow_up": PromptRef("today.01", "follow_up"),
}


def variants(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def placeholders(text: str) -> frozenset[str]:
    return frozenset(PLACEHOLDER.findall(text))


def listen_keys() -> set[str]:
    """Lines the core ends an open turn with: they must be questions in every language."""
    source = "\n".join(p.read_text() for p in CORE.glob("*.py"))
    keys = set(re.findall(r'Listen\(\s*"([a-z_.]+)"', source))
    assert len(keys) > 10
    return keys


# --------------------------------------------------------------------------- speech catalogs


def test_the_shipped_locales_are_listed_and_resolve_to_their_language() -> None:
    assert set(OUR_LOCALES) <= set(LISTED)
    assert {"en", "de"} <= set(LANGUAGES)
    for locale in ALL_LOCALES:
        assert content.resolve(locale) == (locale.split("-")[0], locale)


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_locale_has_exactly_the_english_keys(locale: str) -> None:
    lines = content.speech(locale)
    assert set(lines) - set(EN_LINES) == set(), "keys English does not have"
    assert set(EN_LINES) - set(lines) == set(), "keys missing"


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_line_uses_the_english_placeholders(locale: str) -> None:
    lines = content.speech(locale)
    wrong = {}
    for key, english in EN_LINES.items():
        allowed = {placeholders(v) for v in variants(english)}
        for text in variants(lines[key]):
            if placeholders(text) not in allowed:
                wrong[key] = (sorted(placeholders(text)), [sorted(a) for a in allowed])
    assert wrong == {}


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_line_renders_to_valid_ssml_without_braces(locale: str) -> None:
    renderer = Renderer(locale)
    for key, value in renderer.lines.items():
        for seed in range(len(variants(value)) * 4):
            out = renderer.render([Say(key, PARAMS)], seed=seed)
            ET.fromstring(f"<speak>{out.speech}</speak>")
            assert "{" not in out.text and "}" not in out.text, (key, out.text)
            assert "|" not in out.text, (key, out.text)
            assert out.text.strip(), key


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_lines_that_keep_the_session_open_are_questions(locale: str) -> None:
    lines = content.speech(locale)
    for key in listen_keys():
        for text in variants(lines[key]):
            assert text.rstrip().endswith("?"), (key, text)


@pytest.mark.parametrize("locale", ["en-GB", "en-CA", "en-AU", "en-IN"])
def test_english_overlays_hold_only_what_differs(locale: str) -> None:
    overlay = json.loads((CONTENT / locale / "speech.json").read_text(encoding="utf-8"))["lines"]
    base = json.loads((CONTENT / "en" / "speech.json").read_text(encoding="utf-8"))["lines"]
    assert overlay, "an overlay with nothing in it should not exist"
    assert set(overlay) <= set(base)
    same = sorted(k for k, v in overlay.items() if v == base[k])
    assert same == [], "lines identical to the base belong only in the base"
    merged = content.speech(locale)
    text = json.dumps(list(merged.values()))
    assert "favorite" not in text, "Commonwealth spelling: favourite"
    assert "favourites" in " ".join(variants(merged["help.ready"]))


def test_the_english_base_stays_american() -> None:
    assert "favorites" in " ".join(variants(EN_LINES["help.ready"]))
    assert "favourite" not in json.dumps(list(EN_LINES.values()))


def test_plural_forms_in_german() -> None:
    de = Renderer("de-DE")
    assert "1 Abend zu zweit" in de.line("summary.count", {"count": 1})
    assert "3 Abende zu zweit" in de.line("summary.count", {"count": 3})
    assert "1 Minute" in de.line("pause.set_minutes", {"minutes": 1})
    assert "2 Minuten" in de.line("pause.set_minutes", {"minutes": 2})


def test_german_speech_is_informal() -> None:
    formal = re.compile(r"[a-zäöüß,] (Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer)\b")
    for key, value in content.speech("de-DE").items():
        for text in variants(value):
            assert not formal.search(text), (key, text)


# --------------------------------------------------------------------------- prompt decks


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_covers_every_theme_and_depth(language: str) -> None:
    book = content.prompts(language)
    cells = Counter((card.theme, card.depth) for card in book.deck.cards)
    minimum = 10 if language == "en" else 6
    for theme in THEMES:
        for depth in (1, 2, 3):
            assert cells[(theme, depth)] >= minimum, (language, theme, depth)
    assert len(book.deck.cards) >= 150
    assert set(book.themes) == THEMES


@pytest.mark.parametrize("language", LANGUAGES)
def test_prompt_ids_are_english_ids_with_the_same_theme_and_depth(language: str) -> None:
    """Ids are shared so progress (asked prompts, favourites) survives a language change."""
    book = content.prompts(language)
    ids = [card.id for card in book.deck.cards]
    assert len(ids) == len(set(ids)), "duplicate id"
    for card in book.deck.cards:
        assert card.id in EN_CARDS, f"{language}: {card.id} is not an English id"
        english = EN_CARDS[card.id]
        assert (card.theme, card.depth) == (english.theme, english.depth), card.id
    assert set(book.texts) == set(ids)


def test_languages_without_their_own_deck_use_english() -> None:
    assert content.prompts("xx").texts == EN_BOOK.texts


GERMAN_YES_NO = re.compile(
    r"^(hast|hattest|hat|bist|warst|ist|war|gibt|gab|kannst|könntest|würdest|willst|"
    r"möchtest|magst|fühlst|denkst|glaubst|weißt|erinnerst|sind|seid|habt|darfst|sollte|"
    r"gäbe|wärst|wäre)\b",
    re.I,
)
GERMAN_BANNED = re.compile(
    r"\b(trauma\w*|getriggert|toxisch\w*|bindungsstil|grenzen setzen|narziss\w*|"
    r"warum immer|immer musst du|ehemann|ehefrau|mann|frau|freund|freundin|kinder|kirche|"
    r"partner|partnerin)\b",
    re.I,
)


@pytest.mark.parametrize("pid", sorted(DE_BOOK.texts))
def test_german_prompt_text_rules(pid: str) -> None:
    text = DE_BOOK.texts[pid]
    assert len(text.split()) < 25, "under 25 words, easy to say aloud"
    assert text.endswith("?") and text.count("?") == 1, "one question, at the end"
    assert not re.search(r"\d", text), "numbers are written as words"
    assert not re.search(r"[()/\"!;]", text), "nothing a voice cannot say"
    assert not GERMAN_YES_NO.match(text), "an open question, not yes/no"
    assert not GERMAN_BANNED.search(text), "inclusive, no therapy words, no blame"
    assert not re.search(r"[a-zäöüß,] (Sie|Ihnen|Ihr|Ihre)\b", text), "couples say du"


def test_german_prompts_are_not_duplicates_and_not_english() -> None:
    normalised = Counter(re.sub(r"[^a-zäöüß ]", "", t.lower()) for t in DE_BOOK.texts.values())
    assert normalised.most_common(1)[0][1] == 1, "duplicate prompt"
    for pid, text in DE_BOOK.texts.items():
        assert text != EN_BOOK.texts[pid], f"{pid} is still English"
        assert not re.search(r"\b(you|your|what|the)\b", text, re.I), pid


def test_german_follow_ups_are_short_questions() -> None:
    assert len(DE_BOOK.follow_ups) >= 50
    for pid, follow in DE_BOOK.follow_ups.items():
        assert follow.endswith("?") and follow.count("?") == 1, pid
        assert len(follow.split()) < 15, pid
        assert not re.search(r"\d", follow), pid


def test_german_reflections_use_all_three_kinds() -> None:
    assert {card.reflection for card in DE_BOOK.deck.cards} == {
        "follow_up",
        "say_back",
        "celebrate",
    }


# --------------------------------------------------------------------------- terminal device


@pytest.mark.parametrize(
    ("spoken", "iso"),
    [
        ("zwei minuten", "PT2M"),
        ("neunzig sekunden", "PT90S"),
        ("anderthalb minuten", "PT90S"),
        ("eineinhalb minuten", "PT90S"),
        ("eine halbe minute", "PT30S"),
        ("eine minute und dreißig sekunden", "PT90S"),
        ("fünfundvierzig sekunden", "PT45S"),
        ("hundertzwanzig sekunden", "PT2M"),
        ("zweieinhalb minuten", "PT150S"),
        ("drei minuten", "PT3M"),
        ("dreißig sekunden", "PT30S"),
        ("eine minute", "PT1M"),
        ("90 sekunden", "PT90S"),
        ("Zwei Minuten", "PT2M"),
    ],
)
def test_german_durations(spoken: str, iso: str) -> None:
    assert duration_iso(spoken, "de") == iso


@pytest.mark.parametrize("spoken", ["banane", "zwei", "minuten zwei bananen", "", "undund"])
def test_german_non_durations_are_none(spoken: str) -> None:
    assert duration_iso(spoken, "de") is None


@pytest.mark.parametrize(
    ("spoken", "iso"),
    [
        ("two minutes", "PT2M"),
        ("90 seconds", "PT90S"),
        ("a minute and a half", "PT90S"),
        ("ninety seconds", "PT90S"),
    ],
)
def test_english_durations_are_unchanged_and_stay_english(spoken: str, iso: str) -> None:
    assert duration_iso(spoken) == iso
    assert duration_iso(spoken, "en") == iso
    assert duration_iso(spoken, "xx") == iso, "a language without numbers.json uses English"
    assert duration_iso("zwei minuten") is None, "German words are not English"


def test_number_words_come_from_the_content_folder() -> None:
    for language in ("en", "de"):
        assert (CONTENT / language / "numbers.json").is_file()
    assert number_words("en").numbers["ninety"] == 90
    assert number_words("de").numbers["neunzig"] == 90
    assert number_words("de").units["sekunden"] == 1


GERMAN_FILL = {"AMAZON.FirstName": "Robin", "AMAZON.DURATION": "zwei minuten", "LENGTH": "kurzen"}
ENGLISH_FILL = {"AMAZON.FirstName": "Robin", "AMAZON.DURATION": "two minutes", "LENGTH": "quick"}


def _samples(locale: str) -> list[tuple[str, str, str, dict[str, str]]]:
    model = json.loads((MODELS / f"{locale}.json").read_text(encoding="utf-8"))
    return [
        (locale, intent["name"], sample, {s["name"]: s["type"] for s in intent.get("slots", [])})
        for intent in model["interactionModel"]["languageModel"]["intents"]
        for sample in intent.get("samples", [])
    ]


SAMPLES = [row for locale in OUR_LOCALES if locale != "en-US" for row in _samples(locale)]


@pytest.mark.parametrize(("locale", "intent", "sample", "slots"), SAMPLES)
def test_every_sample_reaches_its_intent_on_the_terminal_device(
    locale: str, intent: str, sample: str, slots: dict[str, str]
) -> None:
    fill = GERMAN_FILL if locale.startswith("de") else ENGLISH_FILL
    used = set(re.findall(r"\{(\w+)\}", sample))
    for name, slot_type in slots.items():
        sample = sample.replace("{" + name + "}", fill[slot_type])
    match = Understanding.for_locale(locale).understand(sample)
    assert match.intent == intent, sample
    if "duration" in used:
        assert match.slots["duration"] == "PT2M"
    if "length" in used:
        assert match.slots["length"] == (fill["LENGTH"], "quick")


def test_the_german_device_understands_german() -> None:
    nlu = Understanding.for_locale("de-DE")
    assert nlu.invocation == "zeit zu zweit"
    assert nlu.understand("stell die pause auf anderthalb minuten").slots == {"duration": "PT90S"}
    assert nlu.understand("einen langen abend").slots == {"length": ("langen", "long")}
    assert nlu.understand("ich heiße Anna Lena").slots == {"name": "Anna Lena"}
    assert nlu.understand("weiter").intent == "NextIntent"


def test_an_unknown_locale_on_the_device_is_english() -> None:
    nlu = Understanding.for_locale("xx-XX")
    assert nlu.invocation == "connection game"
    assert nlu.understand("set the pause to ninety seconds").slots == {"duration": "PT90S"}


# --------------------------------------------------------------------------- evenings


ENGLISH_WORDS = re.compile(r"\b(the|you|your|and|question|evening|welcome)\b", re.I)
GERMAN_WORDS = re.compile(r"\b(und|ihr|euch|du|dich|Frage|Abend|nicht)\b")


def evening(app: ModuleType, locale: str, length: tuple[str, str]) -> tuple[Echo, list[Reply]]:
    echo = Echo(lambda h: app.lambda_handler(h, None), locale=locale)
    replies = [echo.launch()]
    replies.append(echo.intent("NameIntent", name="Sam"))
    replies.append(echo.intent("NameIntent", name="Alex"))
    replies.append(echo.intent("AMAZON.HelpIntent"))
    replies.append(echo.intent("StartEveningIntent", length=length))
    replies.append(echo.intent("NextIntent"))  # ready for the first question
    for _ in range(3):
        echo.advance(70)
        replies.append(echo.intent("NextIntent"))
    return echo, replies


def said(replies: list[Reply]) -> str:
    return " ".join(r.text for r in replies)


@pytest.mark.parametrize("locale", ENGLISH_LOCALES)
def test_a_short_evening_in_each_english_locale(lambda_app: ModuleType, locale: str) -> None:
    echo, replies = evening(lambda_app, locale, ("quick", "quick"))
    assert all(r.open for r in replies)  # check_reply (in Echo.send) asserted the rest
    assert "Welcome to Connection Game" in replies[0].text
    assert "Sam and Alex" in replies[2].text
    assert replies[5].pause_seconds == 60 and replies[5].text.startswith(("Sam", "Alex"))
    assert any(text in replies[5].text for text in EN_BOOK.texts.values())
    help_text = replies[3].text
    spelled = "favorites" if locale == "en-US" else "favourites"
    assert f"play our {spelled}" in help_text
    assert not GERMAN_WORDS.search(said(replies))
    stop = echo.intent("AMAZON.StopIntent")
    assert not stop.open and "connection game" in stop.text


def test_a_short_evening_in_german(lambda_app: ModuleType) -> None:
    echo, replies = evening(lambda_app, "de-DE", ("kurzen", "quick"))
    assert all(r.open for r in replies)
    assert replies[0].text.startswith("Willkommen bei Zeit zu zweit")
    assert replies[0].text.endswith("Wie heißt einer von euch mit Vornamen?")
    assert replies[1].text == "Danke, Sam. Und wie heißt dein Gegenüber?"
    assert "Sam und Alex" in replies[2].text
    assert "unsere Lieblingsfragen" in replies[3].text
    assert "Handys" in replies[4].text and replies[4].text.endswith("Bereit für die erste Frage?")
    first = replies[5]
    assert first.pause_seconds == 60
    assert "du hörst einfach nur zu" in first.text
    asked = [t for t in DE_BOOK.texts.values() if t in said(replies[5:])]
    assert len(asked) >= 2, "German prompts from the German deck"
    text = said(replies)
    assert GERMAN_WORDS.search(text)
    assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.findall(text)
    pause = echo.intent("SetPauseIntent", duration="PT90S")
    assert "90 Sekunden Redezeit" in pause.text
    stop = echo.intent("AMAZON.StopIntent")
    assert not stop.open and stop.reprompt is None
    assert "Alexa, frag Zeit zu zweit nach der nächsten Frage" in stop.text
    back = echo.launch()
    assert back.text.endswith("Wollt ihr da weitermachen, wo ihr aufgehört habt?")


def test_a_whole_german_evening_ends_with_a_german_summary(lambda_app: ModuleType) -> None:
    echo, replies = evening(lambda_app, "de-DE", ("kurzen", "quick"))
    for _ in range(30):
        echo.advance(70)
        reply = echo.intent("NextIntent")
        replies.append(reply)
        if not reply.open:
            break
    summary, last = replies[-2], replies[-1]
    assert not last.open
    assert "Damit habt ihr 1 Abend zu zweit verbracht." in summary.text
    assert "Minute" in summary.text
    assert any("von Alex gehört" in r.text or "von Sam gehört" in r.text for r in replies)
    assert not ENGLISH_WORDS.search(said(replies))


def test_progress_survives_a_change_of_device_language(lambda_app: ModuleType) -> None:
    echo, replies = evening(lambda_app, "de-DE", ("kurzen", "quick"))
    echo.intent("AMAZON.StopIntent")
    asked = [pid for pid, t in DE_BOOK.texts.items() if t in said(replies[5:])]
    assert asked
    english = Echo(echo.handler, locale="en-US", start=echo.now)
    english.advance(60)
    back = english.launch()
    assert back.text.endswith("Pick up where you left off?")
    assert any(EN_BOOK.texts[pid] in back.text for pid in asked), back.text


@pytest.mark.parametrize("locale", ["xx-XX", "pt-BR", "zz", "de_DE", "en-NZ"])
def test_an_unknown_locale_falls_back_and_never_fails(lambda_app: ModuleType, locale: str) -> None:
    echo, replies = evening(lambda_app, locale, ("quick", "quick"))
    text = said(replies)
    assert "went wrong" not in text and "schiefgelaufen" not in text
    if locale == "de_DE":  # an underscore is still German
        assert replies[0].text.startswith("Willkommen")
    else:
        assert replies[0].text.startswith("Welcome to Connection Game")
        assert not GERMAN_WORDS.search(text)
    stop = echo.intent("AMAZON.StopIntent")
    assert not stop.open


@pytest.mark.parametrize("locale", [None, "", "xx-XX", "pt-BR", "EN-gb"])
def test_unknown_locales_render_english(locale: str | None) -> None:
    renderer = Renderer(locale)
    assert renderer.language == "en"
    assert renderer.line("scene.question") == "Ready for the first question?"
