"""Spanish (es-ES) and French (fr-FR): speech, prompts, interaction models, a played evening.

The shared rules in test_interaction_model.py run on every model file; the checks here are the
ones that depend on the language: its letters, its launch words, its slot values, its spelling
of a question. Each check is a function returning a list of problems, and the tests at the end
feed deliberately broken copies to the same functions to prove each one can fail.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import content
from skill.core.deck import REFLECTIONS
from tests.support.echo import Echo, Reply

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "skill" / "content"
MODELS = REPO / "interaction_model" / "interactionModels" / "custom"
SKILL_JSON = REPO / "interaction_model" / "skill.json"

LOCALES = {"es": "es-ES", "fr": "fr-FR"}
LANGS = sorted(LOCALES)

# Lower-case letters each language writes (samples, slot values, invocation names).
LETTERS = {"es": "a-záéíóúüñ", "fr": "a-zàâçéèêëîïôûùüÿæœ"}
# Words that open a skill in that language; an invocation name may not contain them.
LAUNCH_WORDS = {
    "es": (
        "abre",
        "abrir",
        "inicia",
        "iniciar",
        "empieza",
        "empezar",
        "comienza",
        "lanza",
        "juega",
        "jugar",
        "pide",
        "pregunta",
        "dile",
        "habla",
        "usa",
        "carga",
        "activa",
        "ejecuta",
        "pon",
        "reanuda",
    ),
    "fr": (
        "ouvre",
        "ouvrir",
        "lance",
        "lancer",
        "démarre",
        "commence",
        "demande",
        "dis",
        "joue",
        "jouer",
        "utilise",
        "active",
        "parle",
        "reprends",
        "charge",
    ),
}
FORBIDDEN_INVOCATION_WORDS = ("alexa", "amazon", "echo", "skill", "app")
# "Alexa, <open> <invocation>" and "Alexa, <ask> <invocation> [connector] <utterance>".
OPEN_PHRASES = {"es": ("abre", "inicia", "empieza"), "fr": ("ouvre", "lance", "démarre")}
ASK_PHRASES = {"es": ("pide a", "pregunta a", "dile a"), "fr": ("demande à", "dis à")}
CONNECTORS = {"es": ("que", "si", "por", "sobre"), "fr": ("de", "si", "qu'")}

LENGTH_WORDS = {
    "es": {"quick": ("corta", "rápida", "breve"), "standard": ("normal",), "long": ("larga",)},
    "fr": {"quick": ("courte", "rapide"), "standard": ("normale",), "long": ("longue",)},
}
# What the speech tells people to say, the catalog key that says it, and where it must land.
TAUGHT = {
    "es": [
        ("names.missed", "salta", "SkipIntent"),
        ("help.names", "salta", "SkipIntent"),
        ("scene.wait", "vamos", "NextIntent"),
        ("help.scene", "vamos", "NextIntent"),
        ("help.ready", "empezar", "StartEveningIntent"),
        ("help.ready", "nuestras favoritas", "PlayFavouritesIntent"),
        ("help.ready", "cómo vamos", "StatsIntent"),
        ("help.answering", "siguiente", "NextIntent"),
        ("help.answering", "más tiempo", "MoreTimeIntent"),
        ("help.answering", "otra", "SkipIntent"),
        ("help.answering", "más ligera", "LighterIntent"),
        ("help.answering", "más profunda", "DeeperIntent"),
        ("help.paused", "sí", "AMAZON.YesIntent"),
        ("help.paused", "no", "AMAZON.NoIntent"),
        ("favourites.none", "guarda esta", "SaveFavouriteIntent"),
    ],
    "fr": [
        ("names.missed", "passe", "SkipIntent"),
        ("help.names", "passe", "SkipIntent"),
        ("scene.wait", "c'est parti", "NextIntent"),
        ("help.scene", "c'est parti", "NextIntent"),
        ("help.ready", "on commence", "StartEveningIntent"),
        ("help.ready", "nos favorites", "PlayFavouritesIntent"),
        ("help.ready", "où on en est", "StatsIntent"),
        ("help.answering", "suivante", "NextIntent"),
        ("help.answering", "plus de temps", "MoreTimeIntent"),
        ("help.answering", "une autre", "SkipIntent"),
        ("help.answering", "plus léger", "LighterIntent"),
        ("help.answering", "plus profond", "DeeperIntent"),
        ("help.paused", "oui", "AMAZON.YesIntent"),
        ("help.paused", "non", "AMAZON.NoIntent"),
        ("favourites.none", "garde cette question", "SaveFavouriteIntent"),
    ],
}

# Prompt wording rules, per language: open questions, no therapy talk, no assumptions.
YES_NO = {
    "es": re.compile(
        r"^¿(has|hay|tienes|eres|estás|es|está|puedes|crees que|alguna vez|te gusta)\b", re.I
    ),
    "fr": re.compile(
        r"^(est-ce que|as-tu|es-tu|aimes-tu|peux-tu|veux-tu|crois-tu|y a-t-il|t'arrive-t-il)\b",
        re.I,
    ),
}
BANNED = {
    "es": re.compile(
        r"\b(trauma\w*|tóxic\w*|apego|límites|narcis\w*|por qué siempre|marido|esposa|esposo|"
        r"novio|novia|hijos|hijas|niños|iglesia)\b",
        re.I,
    ),
    "fr": re.compile(
        r"\b(trauma\w*|toxique|attachement|limites|narcissi\w*|pourquoi tu \w* ?toujours|mari|"
        r"épouse|époux|copain|copine|petit ami|petite amie|enfants|église)\b",
        re.I,
    ),
}
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
PLACEHOLDER = re.compile(r"\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}")
SLOT_REF = re.compile(r"\{(\w+)\}")
# Words of the English catalog that have no business in a Spanish or French reply.
ENGLISH_MARKERS = {
    "the",
    "you",
    "your",
    "and",
    "ready",
    "welcome",
    "turn",
    "evening",
    "listen",
    "shall",
    "what",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


EN_SPEECH: dict[str, Any] = load(CONTENT / "en" / "speech.json")["lines"]
EN_PROMPTS: dict[str, Any] = load(CONTENT / "en" / "prompts.json")
EN_BY_ID = {p["id"]: p for p in EN_PROMPTS["prompts"]}
EN_MODEL: dict[str, Any] = load(MODELS / "en-US.json")


def variants(line: str | list[str]) -> list[str]:
    return line if isinstance(line, list) else [line]


def placeholders(text: str) -> frozenset[tuple[str, bool]]:
    """{name} -> (name, False); {count|one|many} -> (count, True)."""
    return frozenset((m.group(1), m.group(2) is not None) for m in PLACEHOLDER.finditer(text))


def words(text: str) -> list[str]:
    return WORD.findall(text)


def language_model(model: dict[str, Any]) -> dict[str, Any]:
    lm: dict[str, Any] = model["interactionModel"]["languageModel"]
    return lm


def intents_of(model: dict[str, Any]) -> list[dict[str, Any]]:
    intents: list[dict[str, Any]] = language_model(model)["intents"]
    return intents


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s{}]", " ", text.lower().replace("’", "'")).split())


def intents_matching(model: dict[str, Any], utterance: str) -> set[str]:
    """Intents whose samples say the utterance word for word; slotted samples only if none."""
    said = normalise(utterance)
    literal, slotted = set(), set()
    for intent in intents_of(model):
        for sample in intent["samples"]:
            key = normalise(sample)
            if key == said:
                literal.add(intent["name"])
            elif "{" in key and not SLOT_REF.fullmatch(key):
                pattern = SLOT_REF.sub(".+", re.escape(key).replace(r"\{", "{").replace(r"\}", "}"))
                if re.fullmatch(pattern, said):
                    slotted.add(intent["name"])
    return literal or slotted


# --------------------------------------------------------------------------- checkers


def speech_problems(lines: dict[str, Any]) -> list[str]:
    problems = []
    problems += [f"missing key {k}" for k in sorted(set(EN_SPEECH) - set(lines))]
    problems += [f"unknown key {k}" for k in sorted(set(lines) - set(EN_SPEECH))]
    for key in sorted(set(EN_SPEECH) & set(lines)):
        english = variants(EN_SPEECH[key])
        allowed = {placeholders(v) for v in english}
        asks = all(v.rstrip().endswith("?") for v in english)
        for text in variants(lines[key]):
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{key}: empty line")
                continue
            if placeholders(text) not in allowed:
                problems.append(f"{key}: placeholders {sorted(placeholders(text))} differ")
            for match in PLACEHOLDER.finditer(text):
                if match.group(2) is not None and not (match.group(2) and match.group(3)):
                    problems.append(f"{key}: empty plural form in {match.group(0)}")
            if asks and not text.rstrip().endswith("?"):
                problems.append(f"{key}: a question in English, not a question here")
            if text in english:
                problems.append(f"{key}: still English")
            if re.search(r"[{}]", PLACEHOLDER.sub("", text)):
                problems.append(f"{key}: stray brace")
    return problems


def prompt_text_problems(language: str, text: str, label: str, *, max_words: int = 25) -> list[str]:
    problems = []
    if len(words(text)) >= max_words:
        problems.append(f"{label}: {len(words(text))} words")
    if not text.endswith("?") or text.count("?") != 1:
        problems.append(f"{label}: not exactly one question ending in '?'")
    if language == "es" and (not text.startswith("¿") or text.count("¿") != 1):
        problems.append(f"{label}: a Spanish question opens with one '¿'")
    if language == "fr" and not text.endswith(" ?"):
        problems.append(f"{label}: French puts a space before '?'")
    if re.search(r"[0-9()/\"!¡]", text):
        problems.append(f"{label}: digits or characters that do not read aloud")
    if text != " ".join(text.split()):
        problems.append(f"{label}: stray whitespace")
    return problems


def deck_problems(language: str, data: dict[str, Any]) -> list[str]:
    problems = []
    if data.get("language") != language:
        problems.append(f"language is {data.get('language')!r}")
    if set(data) != set(EN_PROMPTS):
        problems.append(f"top-level keys {sorted(data)} differ from English")
    themes = data.get("themes", {})
    if set(themes) != set(EN_PROMPTS["themes"]):
        problems.append("theme keys differ from English")
    for key, label in themes.items():
        if not label.strip() or label == EN_PROMPTS["themes"].get(key):
            problems.append(f"theme {key} has no translated label")
    prompts = data.get("prompts", [])
    if len(prompts) < 150:
        problems.append(f"{len(prompts)} prompts, need 150")
    ids = [p["id"] for p in prompts]
    problems += [f"{pid} twice" for pid, n in Counter(ids).items() if n > 1]
    cells = Counter((p["theme"], p["depth"]) for p in prompts)
    for theme in EN_PROMPTS["themes"]:
        for depth in (1, 2, 3):
            if cells[(theme, depth)] < 6:
                problems.append(f"{theme} depth {depth}: {cells[(theme, depth)]} prompts, need 6")
    texts = Counter(normalise(p["text"]) for p in prompts)
    problems += [f"duplicate prompt {t!r}" for t, n in texts.items() if n > 1]
    for prompt in prompts:
        pid = prompt["id"]
        source = EN_BY_ID.get(pid)
        if source is None:
            problems.append(f"{pid} is not an English id")
            continue
        if (prompt["theme"], prompt["depth"]) != (source["theme"], source["depth"]):
            problems.append(f"{pid}: theme or depth differs from English")
        if prompt.get("reflection") not in REFLECTIONS:
            problems.append(f"{pid}: reflection {prompt.get('reflection')!r}")
        if prompt["text"] == source["text"]:
            problems.append(f"{pid}: still English")
        problems += prompt_text_problems(language, prompt["text"], pid)
        if YES_NO[language].match(prompt["text"]):
            problems.append(f"{pid} reads as a yes/no question")
        if BANNED[language].search(prompt["text"]):
            problems.append(f"{pid} uses a banned word")
        if "follow_up" in prompt:
            problems += prompt_text_problems(
                language, prompt["follow_up"], f"{pid} follow-up", max_words=15
            )
    return problems


def sample_problems(language: str, model: dict[str, Any]) -> list[str]:
    letters = LETTERS[language]
    allowed = re.compile(rf"(?:[{letters}' ]|\{{\w+\}})+")
    problems = []
    seen: dict[str, str] = {}
    for intent in intents_of(model):
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            label = f"{intent['name']}: {sample!r}"
            if not allowed.fullmatch(sample):
                problems.append(f"{label} has digits, capitals or punctuation")
            if sample != " ".join(sample.split()):
                problems.append(f"{label} has stray whitespace")
            key = normalise(
                SLOT_REF.sub(lambda m, t=types: "{" + t.get(m.group(1), "?") + "}", sample)
            )
            if key in seen and seen[key] != sample:
                problems.append(f"{label} collides with {seen[key]!r}")
            elif key in seen:
                problems.append(f"{label} twice")
            seen[key] = sample
    return problems


def shape_problems(model: dict[str, Any]) -> list[str]:
    """Same intents, slots and slot types as en-US."""

    def shape(m: dict[str, Any]) -> dict[str, Any]:
        return {
            i["name"]: sorted((s["name"], s["type"]) for s in i.get("slots", []))
            for i in intents_of(m)
        }

    mine, english = shape(model), shape(EN_MODEL)
    problems = [f"missing {n}" for n in sorted(set(english) - set(mine))]
    problems += [f"unexpected {n}" for n in sorted(set(mine) - set(english))]
    problems += [
        f"{n} slots {mine[n]} differ from en-US {english[n]}"
        for n in sorted(set(mine) & set(english))
        if mine[n] != english[n]
    ]
    for intent in intents_of(model):
        count, name = len(intent["samples"]), intent["name"]
        if name == "AMAZON.FallbackIntent" or name == "AMAZON.NavigateHomeIntent":
            if count:
                problems.append(f"{name} should have no samples")
        elif not name.startswith("AMAZON.") and count < 8:
            problems.append(f"{name} has {count} samples, needs 8")
        elif name.startswith("AMAZON.") and count < 5:
            problems.append(f"{name} has {count} samples, needs 5")
    return problems


def length_problems(language: str, model: dict[str, Any]) -> list[str]:
    types = {t["name"]: t for t in language_model(model)["types"]}
    if set(types) != {"LENGTH"}:
        return [f"types {sorted(types)}, expected just LENGTH"]
    letters = LETTERS[language]
    problems, spoken = [], {}
    values = types["LENGTH"]["values"]
    if sorted(v["id"] for v in values) != ["long", "quick", "standard"]:
        problems.append(f"LENGTH ids {sorted(v['id'] for v in values)}")
    for value in values:
        if value["name"]["value"] == value["id"]:
            problems.append(f"LENGTH value {value['id']!r} is not localised")
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            if not re.fullmatch(rf"[{letters}']+(?: [{letters}']+)*", phrase):
                problems.append(f"LENGTH: {phrase!r} is not plain lower-case words")
            if phrase in spoken:
                problems.append(f"LENGTH: {phrase!r} means {spoken[phrase]} and {value['id']}")
            spoken[phrase] = value["id"]
    for ident, expected in LENGTH_WORDS[language].items():
        for phrase in expected:
            if spoken.get(phrase) != ident:
                problems.append(f"LENGTH: {phrase!r} should mean {ident}")
    return problems


def invocation_problems(language: str, invocation: str) -> list[str]:
    letters = LETTERS[language]
    problems = []
    if not re.fullmatch(rf"[{letters}]+(?: [{letters}]+)+", invocation):
        problems.append(f"{invocation!r} must be two or more lower-case words")
    name_words = invocation.split()
    for launch in LAUNCH_WORDS[language]:
        if any(w == launch or w.startswith(launch) for w in name_words if len(launch) > 3) or (
            launch in name_words
        ):
            problems.append(f"{invocation!r} contains the launch word {launch!r}")
    for word in FORBIDDEN_INVOCATION_WORDS:
        if word in name_words:
            problems.append(f"{invocation!r} contains {word!r}")
    if invocation == language_model(EN_MODEL)["invocationName"]:
        problems.append("the invocation name is the English one")
    return problems


def split_example(language: str, phrase: str, invocation: str) -> tuple[str, str | None]:
    """'Alexa, pide a X la siguiente pregunta' -> ('pide a', 'la siguiente pregunta')."""
    text = re.sub(r"^alexa\s*,\s*", "", phrase.strip().lower()).rstrip(" .?!")
    for opener in OPEN_PHRASES[language]:
        if text == f"{opener} {invocation}":
            return opener, None
    for ask in ASK_PHRASES[language]:
        head = f"{ask} {invocation} "
        if text.startswith(head):
            rest = text[len(head) :]
            for connector in CONNECTORS[language]:
                glue = connector if connector.endswith("'") else connector + " "
                after = rest[len(glue) :]
                if rest.startswith(glue) and intents_matching(model_of(language), after):
                    return ask, after
            return ask, rest
    raise AssertionError(f"{phrase!r} is not how {language} speakers open {invocation!r}")


def model_of(language: str) -> dict[str, Any]:
    data: dict[str, Any] = load(MODELS / f"{LOCALES[language]}.json")
    return data


# --------------------------------------------------------------------------- speech catalogs


@pytest.mark.parametrize("language", LANGS)
def test_speech_catalog_has_every_english_key_with_the_same_placeholders(language: str) -> None:
    merged = content.speech(LOCALES[language])
    assert set(merged) == set(EN_SPEECH)
    assert speech_problems(merged) == []


@pytest.mark.parametrize("language", LANGS)
def test_speech_file_is_the_language_base(language: str) -> None:
    data = load(CONTENT / language / "speech.json")
    assert data["language"] == language
    assert language in content.languages()
    assert content.resolve(LOCALES[language]) == (language, LOCALES[language])


@pytest.mark.parametrize(("locale", "language"), [("es-MX", "es"), ("fr-CA", "fr")])
def test_other_locales_of_the_language_get_the_same_base(locale: str, language: str) -> None:
    assert content.resolve(locale) == (language, locale)
    assert content.speech(locale)["welcome.new"] == content.speech(LOCALES[language])["welcome.new"]


@pytest.mark.parametrize("language", LANGS)
def test_what_the_speech_teaches_is_understood(language: str) -> None:
    lines = content.speech(LOCALES[language])
    model = model_of(language)
    for key, phrase, intent in TAUGHT[language]:
        said = " ".join(normalise(v) for v in variants(lines[key]))
        assert re.search(rf"(^|\s){re.escape(normalise(phrase))}(\s|$)", said), (key, phrase)
        assert intents_matching(model, phrase) == {intent}, (phrase, intent)


@pytest.mark.parametrize("language", LANGS)
def test_reentry_line_teaches_a_listed_example_phrase(language: str) -> None:
    teach = content.speech(LOCALES[language])["reentry.teach"]
    phrase = "Alexa, " + teach.rsplit("Alexa, ", 1)[1].rstrip(".")
    listing = load(SKILL_JSON)["manifest"]["publishingInformation"]["locales"][LOCALES[language]]
    assert phrase in listing["examplePhrases"]
    invocation = language_model(model_of(language))["invocationName"]
    _, rest = split_example(language, phrase, invocation)
    assert rest is not None and intents_matching(model_of(language), rest) == {"NextIntent"}


# --------------------------------------------------------------------------- prompt decks


@pytest.mark.parametrize("language", LANGS)
def test_prompt_deck_rules(language: str) -> None:
    assert deck_problems(language, load(CONTENT / language / "prompts.json")) == []


@pytest.mark.parametrize("language", LANGS)
def test_prompt_deck_loads_and_covers_every_theme_and_depth(language: str) -> None:
    book = content.prompts(language)
    assert len(book.deck) >= 150
    cells = Counter((c.theme, c.depth) for c in book.deck.cards)
    assert set(cells) == {(t, d) for t in EN_PROMPTS["themes"] for d in (1, 2, 3)}
    assert min(cells.values()) >= 6
    assert set(book.texts) <= set(EN_BY_ID)
    english = content.prompts("en").deck
    for card in book.deck.cards:
        source = english.get(card.id)
        assert source is not None and (source.theme, source.depth) == (card.theme, card.depth)


# --------------------------------------------------------------------------- interaction models


@pytest.mark.parametrize("language", LANGS)
def test_model_has_the_english_intents_slots_and_enough_samples(language: str) -> None:
    assert shape_problems(model_of(language)) == []


@pytest.mark.parametrize("language", LANGS)
def test_model_samples_are_clean_and_unique(language: str) -> None:
    assert sample_problems(language, model_of(language)) == []


@pytest.mark.parametrize("language", LANGS)
def test_length_values_are_localised_and_resolve_to_the_shared_ids(language: str) -> None:
    assert length_problems(language, model_of(language)) == []


@pytest.mark.parametrize("language", LANGS)
def test_invocation_name_is_valid_in_the_language(language: str) -> None:
    assert invocation_problems(language, language_model(model_of(language))["invocationName"]) == []


@pytest.mark.parametrize("language", LANGS)
def test_store_listing_and_privacy(language: str) -> None:
    manifest = load(SKILL_JSON)["manifest"]
    listing = manifest["publishingInformation"]["locales"][LOCALES[language]]
    urls = manifest["privacyAndCompliance"]["locales"][LOCALES[language]]
    assert urls["privacyPolicyUrl"].startswith("https://")
    assert urls["termsOfUseUrl"].startswith("https://")
    assert listing["name"].strip() and len(listing["name"]) <= 50
    assert listing["summary"].strip() and len(listing["summary"]) <= 160
    assert listing["description"].strip() and len(listing["description"]) <= 4000
    assert 1 <= len(listing["keywords"]) <= 30
    assert 1 <= len(listing["examplePhrases"]) <= 3
    assert listing["name"] != manifest["publishingInformation"]["locales"]["en-US"]["name"]


@pytest.mark.parametrize("language", LANGS)
def test_example_phrases_open_the_skill_or_reach_the_intended_intent(language: str) -> None:
    listing = load(SKILL_JSON)["manifest"]["publishingInformation"]["locales"][LOCALES[language]]
    model = model_of(language)
    invocation = language_model(model)["invocationName"]
    routed = {}
    for phrase in listing["examplePhrases"]:
        _, rest = split_example(language, phrase, invocation)
        routed[phrase] = "LaunchRequest" if rest is None else intents_matching(model, rest)
    assert sorted(map(str, routed.values())) == sorted(
        ["LaunchRequest", str({"NextIntent"}), str({"StatsIntent"})]
    ), routed


# --------------------------------------------------------------------------- an evening


EVENINGS = [
    ("es-ES", "es", "Lucía", "Tomás", ("corta", "quick")),
    ("fr-FR", "fr", "Chloé", "Mathis", ("courte", "quick")),
]


def _in_language(language: str, reply: Reply) -> None:
    spoken = {w.lower() for w in words(reply.text)}
    assert not spoken & ENGLISH_MARKERS, (spoken & ENGLISH_MARKERS, reply.text)
    if reply.open and language == "es":
        assert "¿" in reply.text, reply.text
    if reply.open and language == "fr":
        assert reply.text.endswith(" ?"), reply.text


@pytest.mark.parametrize(("locale", "language", "a", "b", "length"), EVENINGS)
def test_a_short_evening_in_the_language(
    lambda_app: ModuleType,
    locale: str,
    language: str,
    a: str,
    b: str,
    length: tuple[str, str],
) -> None:
    lines = content.speech(locale)
    book = content.prompts(language)
    echo = Echo(lambda e: lambda_app.lambda_handler(e, None), locale=locale)
    replies = []

    launch = echo.launch()
    assert launch.open and launch.text.startswith(lines["welcome.new"])
    assert launch.text.endswith(lines["names.ask_first"])
    replies.append(launch)

    replies.append(echo.intent("NameIntent", name=a))
    assert a in replies[-1].text
    named = echo.intent("NameIntent", name=b)
    assert a in named.text and b in named.text
    assert any(named.text.endswith(q) for q in variants(lines["ready.question"]))
    replies.append(named)

    scene = echo.intent("StartEveningIntent", length=length)
    assert scene.text.endswith(lines["scene.question"])
    replies.append(scene)

    first = echo.intent("NextIntent")
    assert first.pause_seconds == 60
    assert first.text.split(",")[0] in (a, b), "the first speaker is addressed by name"
    listener = b if first.text.startswith(a) else a
    assert lines["coach.listener"].replace("{listener}", listener) in first.text
    replies.append(first)

    for _ in range(4):
        echo.advance(70)
        reply = echo.intent("NextIntent")
        assert reply.open
        replies.append(reply)

    asked = [r for r in replies if r.pause_seconds >= 60]
    assert len(asked) >= 3
    for reply in asked:
        assert any(text in reply.text for text in book.texts.values()), reply.text

    stop = echo.intent("AMAZON.StopIntent")
    assert not stop.open
    assert any(stop.text.startswith(s) for s in variants(lines["stop.saved"]))
    replies.append(stop)

    for reply in replies:
        _in_language(language, reply)


# --------------------------------------------------------------------------- the checkers can fail


def _intent(model: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [i for i in intents_of(model) if i["name"] == name]
    return found


def test_speech_checker_catches_missing_keys_placeholders_and_english() -> None:
    lines = copy.deepcopy(content.speech("es-ES"))
    del lines["goodbye"]
    lines["turn.first"] = ["{speaker}, esta es para ti.", "{name}, empiezas tú."]
    lines["summary.count"] = "Y ya van {count} noches."  # the plural form went missing
    lines["error.question"] = "Seguimos."  # no longer a question
    lines["fallback"] = EN_SPEECH["fallback"]
    lines["extra"] = "sobra"
    problems = speech_problems(lines)
    assert len(problems) == 6, problems


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "Qué te ha sorprendido hoy?"),  # no opening "¿"
        ("es", "¿Qué te ha sorprendido hoy? ¿Y ayer?"),  # two questions
        ("es", "¿Qué te ha pasado a las 3?"),  # a digit
        ("es", "¿" + "qué " * 25 + "pasa?"),  # too long
        ("fr", "Qu'est-ce qui t'a fait sourire?"),  # no space before "?"
        ("fr", "Qu'est-ce qui t'a fait sourire !"),  # not a question
    ],
)
def test_prompt_text_checker_catches_bad_wording(language: str, text: str) -> None:
    assert prompt_text_problems(language, text, "x")


def test_deck_checker_catches_unknown_ids_moved_prompts_and_thin_cells() -> None:
    data = load(CONTENT / "fr" / "prompts.json")
    data["prompts"][0]["id"] = "today.999"
    data["prompts"][1]["depth"] = 3
    data["prompts"] = [p for p in data["prompts"] if p["theme"] != "play" or p["depth"] != 2]
    data["prompts"][2]["text"] = "Est-ce que tu as bien dormi ?"
    problems = deck_problems("fr", data)
    assert any("today.999 is not an English id" in p for p in problems)
    assert any("theme or depth differs" in p for p in problems)
    assert any("play depth 2" in p for p in problems)
    assert any("yes/no" in p for p in problems)


def test_sample_checker_catches_digits_capitals_and_collisions() -> None:
    model = copy.deepcopy(model_of("es"))
    _intent(model, "NextIntent")["samples"] += ["dame 2 minutos", "Siguiente ya", "¿ya?"]
    _intent(model, "SkipIntent")["samples"].append("siguiente")
    assert len(sample_problems("es", model)) == 4


def test_shape_checker_catches_a_missing_intent_a_wrong_slot_and_thin_samples() -> None:
    model = copy.deepcopy(model_of("fr"))
    language_model(model)["intents"] = [
        i for i in intents_of(model) if i["name"] != "AMAZON.FallbackIntent"
    ]
    _intent(model, "SetPauseIntent")["slots"] = [{"name": "duration", "type": "AMAZON.NUMBER"}]
    _intent(model, "StatsIntent")["samples"] = ["où on en est"]
    assert len(shape_problems(model)) == 3


def test_length_checker_catches_renamed_ids_and_untranslated_values() -> None:
    model = copy.deepcopy(model_of("es"))
    values = language_model(model)["types"][0]["values"]
    values[0]["id"] = "short"
    values[1]["name"]["value"] = values[1]["id"]
    values[2]["name"]["synonyms"].append("corta")
    assert len(length_problems("es", model)) >= 3


@pytest.mark.parametrize(
    ("language", "invocation"),
    [
        ("es", "abre charla en pareja"),
        ("es", "preguntas en pareja"),
        ("es", "charla"),
        ("es", "Charla en pareja"),
        ("fr", "ouvre moments complices"),
        ("fr", "demande complice"),
        ("fr", "moments complices alexa"),
        ("fr", "connection game"),
    ],
)
def test_invocation_checker_catches_bad_names(language: str, invocation: str) -> None:
    assert invocation_problems(language, invocation)


def test_example_phrase_parsing() -> None:
    assert split_example("es", "Alexa, abre charla en pareja", "charla en pareja") == ("abre", None)
    assert split_example(
        "fr", "Alexa, demande à moments complices la question suivante.", "moments complices"
    ) == ("demande à", "la question suivante")
    with pytest.raises(AssertionError):
        split_example("fr", "Alexa, open moments complices", "moments complices")
