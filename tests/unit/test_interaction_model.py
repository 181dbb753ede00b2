"""Checks on the ask-cli v2 skill package in interaction_model/.

Every interactionModels/custom/<locale>.json gets the same rules, so a new locale is checked
the moment its file appears. Each rule is a small function that returns a list of problems;
the tests assert that list is empty for the real files, and the "checker" tests further down
feed deliberately broken copies to the same functions to prove each rule can fail.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "interaction_model"
MODELS_DIR = PACKAGE / "interactionModels" / "custom"
SKILL_JSON = PACKAGE / "skill.json"
ASK_RESOURCES = PACKAGE / "ask-resources.json"

# The intents the skill handles. Removing (or adding) an intent must be a deliberate change
# here as well, because the handlers, help texts and certification checks depend on the set.
EXPECTED_INTENTS = frozenset(
    {
        "NameIntent",
        "NextIntent",
        "SkipIntent",
        "MoreTimeIntent",
        "LighterIntent",
        "DeeperIntent",
        "SetPauseIntent",
        "StartEveningIntent",
        "SaveFavouriteIntent",
        "PlayFavouritesIntent",
        "StatsIntent",
        "ChangeNamesIntent",
        "ForgetUsIntent",
        "CheckInIntent",
        "MyTurnIntent",
        "AMAZON.YesIntent",
        "AMAZON.NoIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.StartOverIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.FallbackIntent",
    }
)
REQUIRED_BUILTINS = frozenset(
    {
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.FallbackIntent",
    }
)
# Built-ins that must carry no samples at all.
SAMPLELESS_BUILTINS = frozenset({"AMAZON.FallbackIntent"})

MIN_CUSTOM_SAMPLES = 8
MIN_BUILTIN_SAMPLES = 5
MAX_SAMPLE_CHARS = 200  # Alexa's limit for one sample utterance

LAUNCH_WORDS = (
    "open",
    "ask",
    "start",
    "launch",
    "tell",
    "play",
    "begin",
    "use",
    "load",
    "run",
    "resume",
    "talk to",
)
# Launch phrases per language (the English ones above, then Alexa's German, Spanish and
# French ones): an invocation name must not contain them, and example phrases start with one.
LAUNCH_WORDS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": LAUNCH_WORDS,
    "de": (
        "öffne",
        "öffnen",
        "starte",
        "starten",
        "start",
        "frage",
        "frag",
        "spiele",
        "spiel",
        "lade",
        "benutze",
        "beginne",
        "aktiviere",
        "sprich mit",
        "rede mit",
        "führe",
    ),
    "es": (
        "abre",
        "pide a",
        "pregunta a",
        "pregúntale a",
        "inicia",
        "empieza",
        "comienza",
        "juega",
        "lanza",
        "usa",
        "habla con",
        "dile a",
        "ejecuta",
        "carga",
    ),
    "fr": (
        "ouvre",
        "demande à",
        "lance",
        "commence",
        "démarre",
        "joue",
        "utilise",
        "parle à",
        "dis à",
        "charge",
    ),
}
FORBIDDEN_INVOCATION_WORDS = ("alexa", "amazon", "echo", "skill", "app")
# Connecting words Alexa accepts between the invocation name and the utterance.
CONNECTING_WORDS = ("for", "to")
CONNECTING_WORDS_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": CONNECTING_WORDS,
    "de": ("nach", "ob", "wie", "was", "dass", "zu", "für"),
    "es": ("que", "si", "para", "por"),
    "fr": ("de", "si", "pour", "que"),
}
# Locales this skill ships in: each needs a model file, a store listing and a privacy URL.
EXPECTED_LOCALES = frozenset({"en-US", "en-GB", "en-CA", "en-AU", "en-IN", "de-DE"})
ENGLISH_INVOCATION = "connection game"


def language_of(locale: str) -> str:
    return locale.split("-")[0].lower()


# publishingInformation.category values of the Alexa skill manifest (there is no
# GAME_INFO_AND_TRIVIA; the store's games category is GAMES).
VALID_CATEGORIES = frozenset(
    {
        "ALARMS_AND_CLOCKS",
        "ASTROLOGY",
        "BUSINESS_AND_FINANCE",
        "CALCULATORS",
        "CALENDARS_AND_REMINDERS",
        "CHILDRENS_EDUCATION_AND_REFERENCE",
        "CHILDRENS_GAMES",
        "CHILDRENS_MUSIC_AND_AUDIO",
        "CHILDRENS_NOVELTY_AND_HUMOR",
        "COMMUNICATION",
        "CONNECTED_CAR",
        "COOKING_AND_RECIPE",
        "CURRENCY_GUIDES_AND_CONVERTERS",
        "DATING",
        "DELIVERY_AND_TAKEOUT",
        "DEVICE_TRACKING",
        "EDUCATION_AND_REFERENCE",
        "EVENT_FINDERS",
        "EXERCISE_AND_WORKOUT",
        "FASHION_AND_STYLE",
        "FLIGHT_FINDERS",
        "FRIENDS_AND_FAMILY",
        "GAME_INFO_AND_ACCESSORY",
        "GAMES",
        "HEALTH_AND_FITNESS",
        "HOTEL_FINDERS",
        "KNOWLEDGE_AND_TRIVIA",
        "MOVIE_AND_TV_KNOWLEDGE_AND_TRIVIA",
        "MOVIE_INFO_AND_REVIEWS",
        "MOVIE_SHOWTIMES",
        "MUSIC_AND_AUDIO_ACCESSORIES",
        "MUSIC_AND_AUDIO_KNOWLEDGE_AND_TRIVIA",
        "MUSIC_INFO_REVIEWS_AND_RECOGNITION_SERVICE",
        "NAVIGATION_AND_TRIP_PLANNER",
        "NEWS",
        "NOVELTY",
        "ORGANIZERS_AND_ASSISTANTS",
        "PETS_AND_ANIMAL",
        "PODCAST",
        "PUBLIC_TRANSPORTATION",
        "RELIGION_AND_SPIRITUALITY",
        "RESTAURANT_BOOKING_INFO_AND_REVIEW",
        "SCHOOLS",
        "SCORE_KEEPING",
        "SELF_IMPROVEMENT",
        "SHOPPING",
        "SMART_HOME",
        "SOCIAL_NETWORKING",
        "SPORTS_GAMES",
        "SPORTS_NEWS",
        "STREAMING_SERVICE",
        "TAXI_AND_RIDESHARING",
        "TO_DO_LISTS_AND_NOTES",
        "TRANSLATORS",
        "TV_GUIDES",
        "UNIT_CONVERTERS",
        "WEATHER",
        "WINE_AND_BEVERAGE",
        "ZIP_CODE_LOOKUP",
    }
)
LAMBDA_ARN = re.compile(r"arn:aws:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]+")

SLOT_REF = re.compile(r"\{(\w+)\}")
# Letters of any alphabet (umlauts, accents), spaces, apostrophes and {slot}s; no digits.
SAMPLE_CHARS = re.compile(r"(?:[^\W\d_]|[' ]|\{\w+\})+")
PLAIN_WORDS = re.compile(r"(?:[^\W\d_]|[' ])+")

Model = dict[str, Any]


# --------------------------------------------------------------------------- loading


def model_files() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.json"))


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def language_model(model: Model) -> dict[str, Any]:
    lm: dict[str, Any] = model["interactionModel"]["languageModel"]
    return lm


def intents_of(model: Model) -> list[dict[str, Any]]:
    intents: list[dict[str, Any]] = language_model(model)["intents"]
    return intents


def slot_types_of(intent: dict[str, Any]) -> dict[str, str]:
    return {slot["name"]: slot["type"] for slot in intent.get("slots", [])}


# --------------------------------------------------------------------------- normalising


def normalise(sample: str, slot_types: dict[str, str]) -> str:
    """Lower-case, strip punctuation, collapse spaces, and replace {slot} by {SLOT.TYPE}."""
    out = []
    for part in re.split(r"(\{\w+\})", sample):
        ref = SLOT_REF.fullmatch(part)
        if ref:
            slot_type = slot_types.get(ref.group(1), "?" + ref.group(1))
            out.append(f" {{{slot_type}}} ")
        else:
            out.append(re.sub(r"[^\w\s]", "", part.lower()))
    return " ".join("".join(out).split())


def is_custom(intent_name: str) -> bool:
    return not intent_name.startswith("AMAZON.")


def _reference_type_ids() -> dict[str, frozenset[str]]:
    """Custom slot type ids, from en-US, where each id is its English value ("quick"). Every
    locale keeps these ids (the code reads ids) while its spoken values are its own."""
    reference = language_model(load_json(MODELS_DIR / "en-US.json"))
    return {
        slot_type["name"]: frozenset(v["name"]["value"] for v in slot_type.get("values", []))
        for slot_type in reference.get("types", [])
    }


REFERENCE_TYPE_IDS = _reference_type_ids()


# --------------------------------------------------------------------------- rule checkers


def intent_set_problems(model: Model) -> list[str]:
    names = [i["name"] for i in intents_of(model)]
    twice = sorted({n for n in names if names.count(n) > 1})
    problems = [f"intent {n} declared twice" for n in twice]
    problems += [f"missing intent {n}" for n in sorted(EXPECTED_INTENTS - set(names))]
    problems += [
        f"unexpected intent {n} (add it to EXPECTED_INTENTS)"
        for n in sorted(set(names) - EXPECTED_INTENTS)
    ]
    problems += [f"missing required built-in {n}" for n in sorted(REQUIRED_BUILTINS - set(names))]
    return problems


def sample_count_problems(model: Model) -> list[str]:
    problems = []
    for intent in intents_of(model):
        name, samples = intent["name"], intent.get("samples", [])
        if name in SAMPLELESS_BUILTINS:
            if samples:
                problems.append(f"{name} must have no samples, has {len(samples)}")
        elif is_custom(name) and len(samples) < MIN_CUSTOM_SAMPLES:
            problems.append(f"{name} has {len(samples)} samples, needs {MIN_CUSTOM_SAMPLES}")
        elif not is_custom(name) and samples and len(samples) < MIN_BUILTIN_SAMPLES:
            problems.append(
                f"{name} has {len(samples)} samples, needs {MIN_BUILTIN_SAMPLES} or none"
            )
    return problems


def collision_problems(model: Model) -> list[str]:
    seen: dict[str, tuple[str, str]] = {}
    problems = []
    for intent in intents_of(model):
        types = slot_types_of(intent)
        for sample in intent.get("samples", []):
            key = normalise(sample, types)
            if key in seen:
                other_intent, other_sample = seen[key]
                where = "twice in" if other_intent == intent["name"] else f"in {other_intent} and"
                problems.append(f"{sample!r} / {other_sample!r} appear {where} {intent['name']}")
            else:
                seen[key] = (intent["name"], sample)
    return problems


def sample_format_problems(model: Model) -> list[str]:
    problems = []
    for intent in intents_of(model):
        for sample in intent.get("samples", []):
            label = f"{intent['name']}: {sample!r}"
            if not sample.strip():
                problems.append(f"{label} is empty")
                continue
            if len(sample) > MAX_SAMPLE_CHARS:
                problems.append(f"{label} is longer than {MAX_SAMPLE_CHARS} characters")
            if sample != " ".join(sample.split()):
                problems.append(f"{label} has stray whitespace")
            if not SAMPLE_CHARS.fullmatch(sample):
                problems.append(f"{label} has digits or punctuation other than apostrophes")
                continue
            words = SLOT_REF.sub(" ", sample)
            without_i = re.sub(r"\bI\b", "i", words)
            if without_i != without_i.lower():
                problems.append(f"{label} has capitals other than 'I'")
            if re.search(r"(^|\s)'|'($|\s)", words):
                problems.append(f"{label} has a stray apostrophe")
    return problems


def slot_problems(model: Model) -> list[str]:
    problems = []
    custom_types = {t["name"] for t in language_model(model).get("types", [])}
    for intent in intents_of(model):
        name = intent["name"]
        declared_list = [s["name"] for s in intent.get("slots", [])]
        declared = set(declared_list)
        if len(declared) != len(declared_list):
            problems.append(f"{name} declares a slot twice")
        used: set[str] = set()
        for sample in intent.get("samples", []):
            refs = SLOT_REF.findall(sample)
            if len(refs) != len(set(refs)):
                problems.append(f"{name}: {sample!r} uses a slot twice")
            for ref in refs:
                used.add(ref)
                if ref not in declared:
                    problems.append(f"{name}: {sample!r} uses undeclared slot {{{ref}}}")
        for slot in sorted(declared - used):
            problems.append(f"{name} declares slot {slot} but no sample uses it")
        for slot_name, slot_type in slot_types_of(intent).items():
            if not slot_type.startswith("AMAZON.") and slot_type not in custom_types:
                problems.append(f"{name}.{slot_name} has undefined type {slot_type}")
    return problems


def type_problems(model: Model) -> list[str]:
    problems = []
    used_types = {slot["type"] for intent in intents_of(model) for slot in intent.get("slots", [])}
    for slot_type in language_model(model).get("types", []):
        type_name = slot_type["name"]
        if type_name not in used_types:
            problems.append(f"type {type_name} is not used by any slot")
        values = slot_type.get("values", [])
        if not values:
            problems.append(f"type {type_name} has no values")
        names = [v["name"]["value"] for v in values]
        ids = [v.get("id") for v in values]
        if len(ids) != len(set(ids)):
            problems.append(f"type {type_name} repeats an id")
        expected_ids = REFERENCE_TYPE_IDS.get(type_name)
        if expected_ids is not None and set(ids) != expected_ids:
            found = sorted(map(str, ids))
            problems.append(f"type {type_name} ids {found} != {sorted(expected_ids)}")
        spoken: dict[str, str] = {}
        for value in values:
            value_name = value["name"]["value"]
            ident = value.get("id")
            expected_ids = REFERENCE_TYPE_IDS.get(type_name)
            if expected_ids is None and ident != value_name:
                problems.append(f"{type_name} value {value_name!r} has id {ident!r}")
            elif expected_ids is not None and ident not in expected_ids:
                problems.append(
                    f"{type_name} value {value_name!r} has id {ident!r}, not one of "
                    f"{sorted(expected_ids)} (ids are what the code reads, in every locale)"
                )
            for phrase in [value_name, *value["name"].get("synonyms", [])]:
                if phrase != phrase.lower() or not PLAIN_WORDS.fullmatch(phrase):
                    problems.append(f"{type_name}: {phrase!r} is not plain lower-case words")
                if phrase in spoken and not (phrase == value_name and spoken[phrase] == value_name):
                    problems.append(
                        f"{type_name}: {phrase!r} means both {spoken[phrase]!r} and {value_name!r}"
                    )
                spoken.setdefault(phrase, value_name)
            for synonym in value["name"].get("synonyms", []):
                if synonym in names:
                    problems.append(
                        f"{type_name}: synonym {synonym!r} of {value_name!r} is a value"
                    )
    return problems


def invocation_problems(invocation: str, language: str = "en") -> list[str]:
    problems = []
    word = r"[^\W\d_]+"
    if invocation != invocation.lower() or not re.fullmatch(rf"{word}(?: {word})+", invocation):
        problems.append(f"invocation name {invocation!r} must be two or more lower-case words")
    padded = f" {invocation.lower()} "
    launch_words = {*LAUNCH_WORDS, *LAUNCH_WORDS_BY_LANGUAGE.get(language, ())}
    for launch in sorted(launch_words):
        if f" {launch} " in padded:
            problems.append(f"invocation name {invocation!r} contains launch word {launch!r}")
    for word in FORBIDDEN_INVOCATION_WORDS:
        if word in invocation.lower().split() or (word not in ("app", "skill") and word in padded):
            problems.append(f"invocation name {invocation!r} contains {word!r}")
    return problems


def structure_problems(model: Model) -> list[str]:
    problems = []
    if set(model) != {"interactionModel"}:
        problems.append(f"top-level keys {sorted(model)} should be just interactionModel")
    lm = model.get("interactionModel", {}).get("languageModel")
    if not isinstance(lm, dict):
        return [*problems, "no interactionModel.languageModel"]
    for key in ("invocationName", "intents", "types"):
        if key not in lm:
            problems.append(f"languageModel has no {key}")
    for intent in lm.get("intents", []):
        if not isinstance(intent.get("samples"), list):
            problems.append(f"{intent.get('name')} has no samples list")
    return problems


ALL_MODEL_CHECKS = (
    structure_problems,
    intent_set_problems,
    sample_count_problems,
    collision_problems,
    sample_format_problems,
    slot_problems,
    type_problems,
)


# --------------------------------------------------------------------------- utterance routing


def split_example_phrase(
    phrase: str, invocation: str, language: str = "en"
) -> tuple[str, str | None]:
    """'Alexa, ask connection game for X' -> ('ask', 'for x'); rest is None for a launch."""
    text = re.sub(r"^\s*alexa\s*,?\s*", "", phrase.strip(), flags=re.IGNORECASE)
    text = " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
    launch_words = LAUNCH_WORDS_BY_LANGUAGE.get(language, LAUNCH_WORDS)
    launch_alternatives = "|".join(re.escape(w) for w in launch_words)
    match = re.fullmatch(
        rf"(?P<launch>{launch_alternatives}) {re.escape(invocation)}(?: (?P<rest>.+))?", text
    )
    if not match:
        raise AssertionError(f"{phrase!r} is not '<launch word> {invocation} [utterance]'")
    return match.group("launch"), match.group("rest")


def intents_matching(model: Model, utterance: str, language: str = "en") -> set[str]:
    """Intents the utterance would reach, judged from the samples alone.

    As in Alexa, a sample matched word for word wins over one matched through a slot, so
    slotted samples are consulted only when no literal sample matches. A slot matches any
    words; samples that are nothing but a slot ("{name}") are ignored, as they match anything.
    """
    candidates = {normalise(utterance, {})}
    for word in CONNECTING_WORDS_BY_LANGUAGE.get(language, CONNECTING_WORDS):
        if utterance.startswith(word + " "):
            candidates.add(normalise(utterance[len(word) + 1 :], {}))
    literal, slotted = set(), set()
    for intent in intents_of(model):
        types = slot_types_of(intent)
        for sample in intent.get("samples", []):
            key = normalise(sample, types)
            if key in candidates:
                literal.add(intent["name"])
            elif "{" in key and not re.fullmatch(r"\{[\w.]+\}", key):
                pattern = re.sub(r"\\\{[\w.\\]+\\\}", ".+", re.escape(key))
                if any(re.fullmatch(pattern, c) for c in candidates):
                    slotted.add(intent["name"])
    return literal or slotted


# --------------------------------------------------------------------------- fixtures

MODEL_FILES = model_files()


@pytest.fixture(scope="module")
def skill() -> dict[str, Any]:
    data: dict[str, Any] = load_json(SKILL_JSON)
    return data


@pytest.fixture(scope="module", params=MODEL_FILES, ids=[p.stem for p in MODEL_FILES])
def model(request: pytest.FixtureRequest) -> Model:
    data: Model = load_json(request.param)
    return data


@pytest.fixture(scope="module")
def en_us() -> Model:
    data: Model = load_json(MODELS_DIR / "en-US.json")
    return data


# --------------------------------------------------------------------------- the real files


def test_there_is_at_least_the_en_us_model() -> None:
    assert (MODELS_DIR / "en-US.json") in MODEL_FILES


@pytest.mark.parametrize("check", ALL_MODEL_CHECKS, ids=lambda c: c.__name__)
def test_model_rule(model: Model, check: Any) -> None:
    assert check(model) == []


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.stem for p in MODEL_FILES])
def test_invocation_name(path: Path) -> None:
    invocation = language_model(load_json(path))["invocationName"]
    assert invocation_problems(invocation, language_of(path.stem)) == []


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.stem for p in MODEL_FILES])
def test_english_locales_share_the_invocation_name(path: Path) -> None:
    invocation = language_model(load_json(path))["invocationName"]
    assert (invocation == ENGLISH_INVOCATION) == (language_of(path.stem) == "en"), invocation


def test_every_expected_locale_has_a_model() -> None:
    modelled = {p.stem for p in MODEL_FILES}
    assert not EXPECTED_LOCALES - modelled


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.stem for p in MODEL_FILES])
def test_every_model_has_the_slot_types_of_en_us(path: Path, en_us: Model) -> None:
    def slots(model: Model) -> dict[str, dict[str, str]]:
        return {i["name"]: slot_types_of(i) for i in intents_of(model)}

    assert slots(load_json(path)) == slots(en_us)


def test_en_us_invocation_name_is_connection_game(en_us: Model) -> None:
    assert language_model(en_us)["invocationName"] == "connection game"


def test_length_type_resolves_every_spoken_form(en_us: Model) -> None:
    (length,) = [t for t in language_model(en_us)["types"] if t["name"] == "LENGTH"]
    resolved = {}
    for value in length["values"]:
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            resolved[phrase] = value["id"]
    expected = {
        "quick": ("short", "quick", "brief", "little", "fast"),
        "standard": ("normal", "regular", "medium", "usual", "standard"),
        "long": ("long", "longer", "big", "extended", "full"),
    }
    for value_id, words in expected.items():
        assert {resolved[w] for w in words} == {value_id}


def test_slot_types_of_the_slotted_intents(en_us: Model) -> None:
    by_name = {i["name"]: slot_types_of(i) for i in intents_of(en_us)}
    assert by_name["NameIntent"] == {"name": "AMAZON.FirstName"}
    assert by_name["SetPauseIntent"] == {"duration": "AMAZON.DURATION"}
    assert by_name["StartEveningIntent"] == {"length": "LENGTH"}


def test_navigate_home_has_an_empty_sample_list(en_us: Model) -> None:
    (home,) = [i for i in intents_of(en_us) if i["name"] == "AMAZON.NavigateHomeIntent"]
    assert home["samples"] == []


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("for the next question", "NextIntent"),
        ("the next question", "NextIntent"),
        ("how are we doing", "StatsIntent"),
        ("skip", "SkipIntent"),
        ("more time", "MoreTimeIntent"),
        ("wait", "MoreTimeIntent"),
        ("hold on", "MoreTimeIntent"),
        ("not yet", "MoreTimeIntent"),
        ("not now", "AMAZON.NoIntent"),
        ("start", "StartEveningIntent"),
        ("start over", "AMAZON.StartOverIntent"),
        ("done", "NextIntent"),
        ("we're done for tonight", "AMAZON.StopIntent"),
        ("okay", "AMAZON.YesIntent"),
        ("a different one", "SkipIntent"),
        ("different one", "SkipIntent"),
        ("start a quick evening", "StartEveningIntent"),
        ("set the pause to ninety seconds", "SetPauseIntent"),
        ("my name is sam", "NameIntent"),
        ("forget us", "ForgetUsIntent"),
        ("forget it", "AMAZON.CancelIntent"),
        ("a new one", "SkipIntent"),
        ("a deeper one", "DeeperIntent"),
        ("an easier one", "LighterIntent"),
        ("favorites evening", "PlayFavouritesIntent"),
        ("reset the evening", "AMAZON.StartOverIntent"),
        ("end the evening", "AMAZON.StopIntent"),
        ("one more time", "AMAZON.RepeatIntent"),
        ("one more minute", "MoreTimeIntent"),
    ],
)
def test_phrases_that_must_mean_one_thing(en_us: Model, utterance: str, intent: str) -> None:
    assert intents_matching(en_us, utterance) == {intent}


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("nach der nächsten frage", "NextIntent"),
        ("wie es bei uns läuft", "StatsIntent"),
        ("wie läuft es bei uns", "StatsIntent"),
        ("weiter", "NextIntent"),
        ("fertig", "NextIntent"),
        ("bereit", "NextIntent"),
        ("überspringen", "SkipIntent"),
        ("mehr zeit", "MoreTimeIntent"),
        ("noch nicht", "MoreTimeIntent"),
        ("noch eine minute", "MoreTimeIntent"),
        ("noch einmal", "AMAZON.RepeatIntent"),
        ("nicht jetzt", "AMAZON.NoIntent"),
        ("los geht's", "StartEveningIntent"),
        ("von vorne", "AMAZON.StartOverIntent"),
        ("wir sind fertig für heute", "AMAZON.StopIntent"),
        ("vergiss uns", "ForgetUsIntent"),
        ("vergiss es", "AMAZON.CancelIntent"),
        ("merk dir die", "SaveFavouriteIntent"),
        ("unsere lieblingsfragen", "PlayFavouritesIntent"),
        ("leichter", "LighterIntent"),
        ("tiefer", "DeeperIntent"),
        ("einen kurzen abend", "StartEveningIntent"),
        ("stell die pause auf neunzig sekunden", "SetPauseIntent"),
        ("ich heiße sam", "NameIntent"),
        ("ja", "AMAZON.YesIntent"),
    ],
)
def test_german_phrases_that_must_mean_one_thing(utterance: str, intent: str) -> None:
    de_de: Model = load_json(MODELS_DIR / "de-DE.json")
    assert intents_matching(de_de, utterance, "de") == {intent}


# --------------------------------------------------------------------------- skill.json


def test_skill_manifest_shape(skill: dict[str, Any]) -> None:
    manifest = skill["manifest"]
    assert manifest["manifestVersion"] == "1.0"
    publishing = manifest["publishingInformation"]
    assert publishing["isAvailableWorldwide"] is True
    assert publishing["distributionMode"] == "PUBLIC"
    assert publishing["category"] in VALID_CATEGORIES
    assert publishing["testingInstructions"].strip()
    # Reminders are the only permission: the nightly reminder, asked for by voice.
    assert manifest["permissions"] == [{"name": "alexa::alerts:reminders:skill:readwrite"}]


def test_skill_endpoints_are_lambda_arns(skill: dict[str, Any]) -> None:
    manifest = skill["manifest"]
    custom_uri = manifest["apis"]["custom"]["endpoint"]["uri"]
    assert LAMBDA_ARN.fullmatch(custom_uri), custom_uri
    assert manifest["events"]["endpoint"]["uri"] == custom_uri


def test_skill_disabled_event_is_subscribed(skill: dict[str, Any]) -> None:
    names = [s["eventName"] for s in skill["manifest"]["events"]["subscriptions"]]
    assert "SKILL_DISABLED" in names


def test_privacy_declares_personal_info_and_policy_per_locale(skill: dict[str, Any]) -> None:
    privacy = skill["manifest"]["privacyAndCompliance"]
    assert privacy["usesPersonalInfo"] is True
    assert privacy["allowsPurchases"] is False
    assert privacy["isChildDirected"] is False
    assert privacy["containsAds"] is False
    assert privacy["isExportCompliant"] is True
    for locale in skill["manifest"]["publishingInformation"]["locales"]:
        urls = privacy["locales"][locale]
        assert urls["privacyPolicyUrl"].startswith("https://"), locale
        assert urls["termsOfUseUrl"].startswith("https://"), locale


def test_store_listing_per_locale(skill: dict[str, Any]) -> None:
    for locale, listing in skill["manifest"]["publishingInformation"]["locales"].items():
        assert listing["name"].strip() and len(listing["name"]) <= 50, locale
        assert listing["summary"].strip() and len(listing["summary"]) <= 160, locale
        assert listing["description"].strip() and len(listing["description"]) <= 4000, locale
        assert 1 <= len(listing["examplePhrases"]) <= 3, locale
        assert 1 <= len(listing["keywords"]) <= 30, locale
        for key in ("smallIconUri", "largeIconUri"):
            if key in listing:  # icons are optional here, but never placeholders
                assert "example" not in listing[key], (locale, key)


def test_every_locale_has_a_model_and_every_model_a_locale(skill: dict[str, Any]) -> None:
    listed = set(skill["manifest"]["publishingInformation"]["locales"])
    with_privacy = set(skill["manifest"]["privacyAndCompliance"]["locales"])
    modelled = {p.stem for p in MODEL_FILES}
    assert listed == modelled
    assert with_privacy == modelled


def test_example_phrases_route_to_the_skill(skill: dict[str, Any]) -> None:
    for locale, listing in skill["manifest"]["publishingInformation"]["locales"].items():
        locale_model: Model = load_json(MODELS_DIR / f"{locale}.json")
        invocation = language_model(locale_model)["invocationName"]
        for phrase in listing["examplePhrases"]:
            assert phrase.startswith("Alexa, "), phrase
            _, rest = split_example_phrase(phrase, invocation, language_of(locale))
            if rest is not None:
                hits = intents_matching(locale_model, rest, language_of(locale))
                assert hits, f"{locale}: {phrase!r} hits nothing"


def test_en_us_example_phrases_hit_the_intended_intents(
    skill: dict[str, Any], en_us: Model
) -> None:
    phrases = skill["manifest"]["publishingInformation"]["locales"]["en-US"]["examplePhrases"]
    routed = {}
    for phrase in phrases:
        _, rest = split_example_phrase(phrase, "connection game")
        routed[phrase] = "LaunchRequest" if rest is None else intents_matching(en_us, rest)
    assert routed == {
        "Alexa, open connection game": "LaunchRequest",
        "Alexa, ask connection game for the next question": {"NextIntent"},
        "Alexa, ask connection game how are we doing": {"StatsIntent"},
    }


def test_ask_resources_points_at_this_package() -> None:
    resources = load_json(ASK_RESOURCES)
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    src_setting = resources["profiles"]["default"]["skillMetadata"]["src"]
    src = (ASK_RESOURCES.parent / src_setting).resolve()
    assert (src / "skill.json").is_file()
    assert (src / "interactionModels" / "custom").is_dir()


# --------------------------------------------------------------------------- the checkers can fail


def _intent(model: Model, name: str) -> dict[str, Any]:
    (found,) = [i for i in intents_of(model) if i["name"] == name]
    return found


def test_checker_catches_a_removed_intent(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    language_model(broken)["intents"] = [
        i for i in intents_of(broken) if i["name"] != "AMAZON.FallbackIntent"
    ]
    problems = intent_set_problems(broken)
    assert "missing intent AMAZON.FallbackIntent" in problems
    assert "missing required built-in AMAZON.FallbackIntent" in problems


def test_checker_catches_an_unknown_intent(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    intents_of(broken).append({"name": "HelloIntent", "samples": []})
    assert intent_set_problems(broken)


def test_checker_catches_too_few_samples(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    _intent(broken, "SkipIntent")["samples"] = _intent(broken, "SkipIntent")["samples"][:7]
    _intent(broken, "AMAZON.HelpIntent")["samples"] = ["help", "help me"]
    _intent(broken, "AMAZON.FallbackIntent")["samples"] = ["banana"]
    assert len(sample_count_problems(broken)) == 3


@pytest.mark.parametrize(
    ("intent", "sample"),
    [
        ("SkipIntent", "next"),  # used by NextIntent
        ("NextIntent", "Next."),  # same after normalising, same intent
        ("NameIntent", "its {name}"),  # "it's {name}" without the apostrophe
        ("AMAZON.StopIntent", "forget  it"),  # CancelIntent, extra space
    ],
)
def test_checker_catches_collisions(en_us: Model, intent: str, sample: str) -> None:
    broken = copy.deepcopy(en_us)
    _intent(broken, intent)["samples"].append(sample)
    assert collision_problems(broken)


def test_slot_names_do_not_matter_for_collisions(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    skip = _intent(broken, "SkipIntent")
    skip["slots"] = [{"name": "who", "type": "AMAZON.FirstName"}]
    skip["samples"].append("call me {who}")  # NameIntent has "call me {name}"
    assert collision_problems(broken)


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_any_sample_copied_to_another_intent_collides(en_us: Model, data: st.DataObject) -> None:
    sampled = [i for i in intents_of(en_us) if i["samples"] and not i.get("slots")]
    source = data.draw(st.sampled_from(sampled))
    target = data.draw(st.sampled_from([i for i in sampled if i is not source]))
    sample = data.draw(st.sampled_from(source["samples"]))
    broken = copy.deepcopy(en_us)
    _intent(broken, target["name"])["samples"].append(sample)
    assert collision_problems(broken)


@pytest.mark.parametrize(
    "sample",
    [
        "Next question",
        "next question!",
        "give us 2 minutes",
        "what's next?",
        "skip, please",
        "  skip",
        "next  one",
        "I'M done",
        "'next",
    ],
)
def test_checker_catches_badly_formatted_samples(en_us: Model, sample: str) -> None:
    broken = copy.deepcopy(en_us)
    _intent(broken, "NextIntent")["samples"].append(sample)
    assert sample_format_problems(broken)


def test_checker_allows_I_and_slot_names(en_us: Model) -> None:
    fine = copy.deepcopy(en_us)
    _intent(fine, "NameIntent")["samples"].append("I think I'm {name}")
    assert sample_format_problems(fine) == []


def test_checker_catches_slot_mistakes(en_us: Model) -> None:
    undeclared = copy.deepcopy(en_us)
    _intent(undeclared, "NextIntent")["samples"].append("next question for {name}")
    assert slot_problems(undeclared)

    unused = copy.deepcopy(en_us)
    _intent(unused, "StatsIntent")["slots"] = [{"name": "when", "type": "AMAZON.DATE"}]
    assert slot_problems(unused)

    untyped = copy.deepcopy(en_us)
    _intent(untyped, "StartEveningIntent")["slots"] = [{"name": "length", "type": "SIZE"}]
    assert slot_problems(untyped)


def test_checker_catches_type_mistakes(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    (length,) = [t for t in language_model(broken)["types"] if t["name"] == "LENGTH"]
    length["values"][0]["id"] = "QUICK"
    length["values"][1]["name"]["synonyms"].append("short")  # already means quick
    length["values"][2]["name"]["synonyms"].append("quick")  # is a value
    assert len(type_problems(broken)) >= 3


@pytest.mark.parametrize(
    "invocation",
    [
        "connection",
        "Connection Game",
        "open connection game",
        "connection game app",
        "talk to connection game",
        "alexa connection game",
        "connection game 2",
        "echo talk",
    ],
)
def test_checker_catches_bad_invocation_names(invocation: str) -> None:
    assert invocation_problems(invocation)


def test_example_phrase_parsing() -> None:
    assert split_example_phrase("Alexa, open connection game", "connection game") == ("open", None)
    assert split_example_phrase(
        "Alexa, ask connection game for the next question.", "connection game"
    ) == ("ask", "for the next question")
    with pytest.raises(AssertionError):
        split_example_phrase("Alexa, open other game", "connection game")


@pytest.mark.parametrize(
    ("invocation", "language"),
    [
        ("öffne zeit zu zweit", "de"),
        ("zeit zu zweit spiel", "de"),
        ("frag uns was", "de"),
        ("Zeit zu zweit", "de"),
        ("zweisamkeit", "de"),
    ],
)
def test_checker_catches_bad_invocation_names_per_language(invocation: str, language: str) -> None:
    assert invocation_problems(invocation, language)


def test_a_good_german_invocation_name_passes() -> None:
    assert invocation_problems("zeit zu zweit", "de") == []
    assert invocation_problems("zeit zu zweit", "en") == []  # no English launch word either


def test_checker_catches_a_translated_slot_type_id(en_us: Model) -> None:
    broken = copy.deepcopy(en_us)
    (length,) = [t for t in language_model(broken)["types"] if t["name"] == "LENGTH"]
    length["values"][0]["id"] = "kurz"  # the code reads "quick", whatever the locale says
    assert type_problems(broken)


def test_german_example_phrase_parsing() -> None:
    assert split_example_phrase("Alexa, öffne Zeit zu zweit", "zeit zu zweit", "de") == (
        "öffne",
        None,
    )
    assert split_example_phrase(
        "Alexa, frag Zeit zu zweit, wie es bei uns läuft", "zeit zu zweit", "de"
    ) == ("frag", "wie es bei uns läuft")
    with pytest.raises(AssertionError):
        split_example_phrase("Alexa, open zeit zu zweit", "zeit zu zweit", "de")


def test_routing_rejects_phrases_that_are_not_samples(en_us: Model) -> None:
    assert intents_matching(en_us, "for the weather in paris") == set()
    assert intents_matching(en_us, "to play a song") == set()
