"""Hostile and odd input through lambda_handler and the web service.

Every envelope here is built from a real one and then broken (tests/support/
envelopes_strategy.py): request types the skill does not use, missing and mistyped fields,
slots that are null, lists or objects, slot values with SSML and XML, 5,000-character
strings, emoji, NUL, unknown locales, tampered session attributes.

For each one: no exception leaves ``lambda_handler``; the answer is a valid Alexa response
(``check_reply``), or an HTTP 4xx from the web service, never a 5xx; the last-resort
ErrorHandler is never needed (odd input is handled on purpose, not by accident); and the
stored game of the household the envelope names still decodes.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import content
from skill.alexa.handlers import household_id, household_key
from skill.store.port import StoreError
from skill.store.sqlite import SqliteStore
from skill.wiring import ForeignSkill, SkillApp
from tests.conftest import load_lambda_module
from tests.support import envelopes_strategy as hostile
from tests.support.echo import APP_ID, START, Echo, Reply, check_reply, fixture
from tests.support.web_server import Web, serve

USERS = tuple(f"amzn1.ask.account.HOSTILE{n}" for n in range(4))
TOTAL = 5000
WEB_SHARE = 0.2  # of the envelopes in the long run, sent through the web service


class Unhandled(logging.Handler):
    """Counts what the last-resort ErrorHandler logs ("unhandled <Type> in <request>")."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("unhandled "):
            self.messages.append(record.getMessage())


@dataclass
class Skill:
    """lambda/app.py on an embedded store, SKILL_ID set as in production, plus a web app
    over the same store file."""

    module: ModuleType
    db: Path
    store: SqliteStore
    unhandled: Unhandled
    failures: list[str] = field(default_factory=list)

    def household(self, envelope: Any) -> str | None:
        """The household key the skill derives for this envelope (None: not an envelope)."""
        try:
            parsed = self.app().skill.serializer.deserialize(
                payload=json.dumps(envelope), obj_type=RequestEnvelope
            )
        except Exception:
            return None
        return household_id(parsed) if parsed is not None else None

    def app(self) -> SkillApp:
        return self.module._app()  # type: ignore[no-any-return]

    def check_stored(self, envelope: Any, label: str) -> None:
        key = self.household(envelope)
        if key is None:
            return
        try:
            self.store.load(key)  # CorruptProgress is a StoreError
        except StoreError as exc:
            self.failures.append(f"{label}: stored game does not decode: {exc}")

    def lambda_call(self, envelope: Any, label: str) -> dict[str, Any] | None:
        label = f"{label} {_shown(envelope)}"
        before = len(self.unhandled.messages)
        try:
            response = self.module.lambda_handler(envelope, None)
        except Exception as exc:  # noqa: BLE001 - every escape is a failure to report
            self.failures.append(f"{label}: lambda_handler raised {type(exc).__name__}: {exc}")
            return None
        self._check_response(response, label, before)
        self.check_stored(envelope, label)
        return response  # type: ignore[no-any-return]

    def web_call(self, web: Web, envelope: Any, label: str) -> dict[str, Any] | None:
        label = f"{label} (web) {_shown(envelope)}"
        before = len(self.unhandled.messages)
        response = web.post_envelope(envelope)
        result: dict[str, Any] | None = None
        if response.status_code == 200:
            result = response.json()
            self._check_response(result, label, before)
        elif not 400 <= response.status_code < 500:
            self.failures.append(f"{label}: HTTP {response.status_code}: {response.text[:200]}")
        elif "error" not in response.json():
            self.failures.append(f"{label}: a {response.status_code} without a JSON reason")
        self.check_stored(envelope, label)
        return result

    def _check_response(self, response: Any, label: str, unhandled_before: int) -> None:
        try:
            check_reply(Reply(response))
        except Exception as exc:  # noqa: BLE001
            shown = json.dumps(response)[:300] if isinstance(response, dict) else repr(response)
            self.failures.append(f"{label}: invalid response ({exc!r}): {shown}")
        if len(self.unhandled.messages) > unhandled_before:
            self.failures.append(f"{label}: {self.unhandled.messages[-1]}")


def _shown(envelope: Any) -> str:
    """The request part of an envelope, short, for a failure message."""
    request = envelope.get("request") if isinstance(envelope, dict) else envelope
    return json.dumps(request, default=repr)[:400]


def _start_skill(db: Path, monkeypatch: pytest.MonkeyPatch) -> Skill:
    for name in ("TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONNECTION_GAME_DB", str(db))
    monkeypatch.setenv("SKILL_ID", APP_ID)
    module = load_lambda_module()
    unhandled = Unhandled()
    logging.getLogger("skill").addHandler(unhandled)
    return Skill(module, db, SqliteStore(db), unhandled)


@pytest.fixture(scope="module")
def skill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Skill]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        made = _start_skill(tmp_path_factory.mktemp("hostile") / "progress.sqlite3", monkeypatch)
        try:
            yield made
        finally:
            logging.getLogger("skill").removeHandler(made.unhandled)


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Skill]:
    made = _start_skill(tmp_path / "progress.sqlite3", monkeypatch)
    try:
        yield made
    finally:
        logging.getLogger("skill").removeHandler(made.unhandled)


def assert_no_failures(skill: Skill) -> None:
    failures, skill.failures[:] = list(skill.failures), []
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(failures[:10])


# --------------------------------------------------------------------------- hypothesis


def _seeded_attributes(skill: Skill) -> list[dict[str, Any]]:
    """Real session attributes from a few phases, for the strategy to send back."""
    out: list[dict[str, Any]] = []
    echo = Echo(lambda e: skill.module.lambda_handler(e, None), user_id=USERS[0])
    echo.launch()
    out.append(echo.attributes)
    echo.intent("NameIntent", name="Sam")
    echo.intent("NameIntent", name="Alex")
    out.append(echo.attributes)
    echo.intent("AMAZON.YesIntent")
    out.append(echo.attributes)
    echo.intent("AMAZON.YesIntent")
    out.append(echo.attributes)
    echo.advance(70)
    echo.intent("NextIntent")
    out.append(echo.attributes)
    return [copy.deepcopy(a) for a in out if a]


@pytest.fixture(scope="module")
def seeded_attributes(skill: Skill) -> list[dict[str, Any]]:
    return _seeded_attributes(skill)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_envelopes_through_lambda_handler(
    skill: Skill, seeded_attributes: list[dict[str, Any]], data: st.DataObject
) -> None:
    envelope = data.draw(hostile.envelopes(USERS, seeded_attributes))
    skill.lambda_call(envelope, "hypothesis")
    assert_no_failures(skill)


# --------------------------------------------------------------------------- the long run


@dataclass
class Device:
    """A device playing plausibly (so evenings get deep) between the hostile envelopes."""

    user_id: str
    rng: random.Random
    now: dt.datetime = START
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    BENIGN = (
        ("NextIntent", 8),
        ("AMAZON.YesIntent", 5),
        ("NameIntent", 2),
        ("SkipIntent", 1),
        ("AMAZON.RepeatIntent", 1),
        ("LighterIntent", 1),
        ("DeeperIntent", 1),
        ("SetPauseIntent", 1),
        ("StartEveningIntent", 1),
        ("SaveFavouriteIntent", 1),
        ("PlayFavouritesIntent", 1),
        ("StatsIntent", 1),
        ("AMAZON.HelpIntent", 1),
        ("AMAZON.NoIntent", 1),
        ("AMAZON.StopIntent", 1),
        ("ChangeNamesIntent", 1),
        ("ForgetUsIntent", 1),
    )

    def benign(self) -> dict[str, Any]:
        r = self.rng
        self.now += dt.timedelta(seconds=r.randint(0, 120))
        if self.session_id is None or r.random() < 0.05:
            return self._fill(fixture("launch"), new=True)
        if r.random() < 0.03:
            return self._fill(fixture("session_ended"), new=False)
        names, weights = zip(*self.BENIGN, strict=True)
        name = r.choices(names, weights)[0]
        slots: dict[str, Any] = {}
        if name == "NameIntent":
            slots = {"name": hostile.slot("name", r.choice(["sam", "alex", "Zoë", "Mary Ann"]))}
        elif name == "SetPauseIntent":
            slots = {"duration": hostile.slot("duration", r.choice(["PT1M", "PT90S", "PT3M"]))}
        elif name == "StartEveningIntent":
            length = r.choice(["quick", "long", "standard"])
            slots = {"length": hostile.slot("length", length, resolved=length)}
        return self._fill(hostile.intent_template(name, slots), new=False)

    def hostile(self, mutator: hostile.Mutator) -> dict[str, Any]:
        r = self.rng
        template = r.choice(hostile.templates())()
        envelope = self._fill(template, new=self.session_id is None or r.random() < 0.2)
        if "session" in envelope and r.random() < 0.3:
            envelope["session"]["attributes"] = mutator.tamper_attributes(self.attributes)
        return mutator.mutate(envelope)

    def _fill(self, template: dict[str, Any], new: bool) -> dict[str, Any]:
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
            self.attributes = {}
        return hostile.stamp(
            template,
            user_id=self.user_id,
            now=self.now,
            new_session=new,
            session_id=self.session_id,
            attributes=self.attributes,
        )

    def heard(self, response: dict[str, Any] | None) -> None:
        """Keep the session as the Alexa service does."""
        if not isinstance(response, dict):
            return
        body = response.get("response") or {}
        if body.get("shouldEndSession") is False:
            attributes = response.get("sessionAttributes")
            self.attributes = dict(attributes) if isinstance(attributes, dict) else {}
        elif body.get("shouldEndSession") is True:
            self.session_id, self.attributes = None, {}


def test_five_thousand_mutated_envelopes_lambda_and_web(
    skill: Skill, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain loop with a fixed seed: half plausible turns (so evenings get deep and the
    hostile envelopes meet every phase), half hostile ones; one in five over HTTP."""
    rng = random.Random(8_0085)
    mutator = hostile.Mutator(rng)
    devices = [Device(user, random.Random(rng.random())) for user in USERS]
    clock = {"now": START.timestamp()}
    counts = {"lambda": 0, "web": 0, "hostile": 0, "web_4xx": 0}
    started = time.perf_counter()
    with serve(skill.app(), clock=lambda: clock["now"], chain_at=START.timestamp()) as web:
        for index in range(TOTAL):
            device = rng.choice(devices)
            is_hostile = rng.random() < 0.5
            envelope = device.hostile(mutator) if is_hostile else device.benign()
            counts["hostile"] += is_hostile
            clock["now"] = device.now.timestamp()
            label = f"#{index} ({'hostile' if is_hostile else 'benign'})"
            if rng.random() < WEB_SHARE:
                counts["web"] += 1
                before = len(skill.failures)
                response = skill.web_call(web, envelope, label)
                counts["web_4xx"] += response is None and len(skill.failures) == before
            else:
                counts["lambda"] += 1
                response = skill.lambda_call(envelope, label)
            if not is_hostile:
                device.heard(response)
            if len(skill.failures) > 50:
                break
    # Every household ever written still decodes.
    db = skill.store._db()  # noqa: SLF001 - a read-only scan of the test's own file
    rows = db.execute("SELECT household_id FROM progress").fetchall()
    for (key,) in rows:
        try:
            skill.store.load(key)
        except StoreError as exc:
            skill.failures.append(f"final scan: {exc}")
    seconds = time.perf_counter() - started
    sent = counts["lambda"] + counts["web"]
    with capsys.disabled():
        print(
            f"\nhostile input: {sent} envelopes ({counts['hostile']} mutated; "
            f"{counts['lambda']} through lambda_handler, {counts['web']} over HTTP of which "
            f"{counts['web_4xx']} refused 4xx), {len(rows)} households, "
            f"{len(skill.failures)} failures, {seconds:.1f} s"
        )
    assert sent == TOTAL
    assert_no_failures(skill)


# --------------------------------------------------------------------------- specific cases


def _first_turns(skill: Skill, user: str) -> Echo:
    echo = Echo(lambda e: skill.module.lambda_handler(e, None), user_id=user)
    echo.launch()
    echo.intent("NameIntent", name="Sam")
    echo.intent("NameIntent", name="Alex")
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    return echo


@pytest.mark.parametrize(
    "value",
    [{"a": 1}, [1, 2], 7, 3.5, True, None, ["Mallory"], {"value": "Mallory"}],
    ids=repr,
)
def test_a_slot_value_that_is_not_text_is_not_a_name(fresh: Skill, value: Any) -> None:
    """The SDK turns a mistyped slot value into its Python repr ("{'a': 1}", "7"): that must
    never become a partner's name."""
    echo = Echo(lambda e: fresh.module.lambda_handler(e, None), user_id=USERS[1])
    echo.launch()
    doc = hostile.intent_template("NameIntent", {"name": {"name": "name", "value": value}})
    reply = echo.send(echo._fill(doc, new_session=False))  # noqa: SLF001
    assert "didn't catch a first name" in reply.text, reply.text
    stored = fresh.store.load(household_key(USERS[1]))
    assert stored is None or stored.game.household.names == ("", "")
    assert_no_failures(fresh)


@pytest.mark.parametrize(
    "slots",
    [None, [], "slots", [{"name": "name"}], {"name": None}, {"name": []}, {"name": "sam"}],
    ids=repr,
)
def test_slots_that_are_not_objects_are_a_fallback(fresh: Skill, slots: Any) -> None:
    echo = Echo(lambda e: fresh.module.lambda_handler(e, None), user_id=USERS[1])
    echo.launch()
    doc = hostile.intent_template("NameIntent", slots)
    reply = echo.send(echo._fill(doc, new_session=False))  # noqa: SLF001
    assert "didn't catch a first name" in reply.text, reply.text
    assert fresh.unhandled.messages == []


@pytest.mark.parametrize(
    "name",
    [
        "</speak><speak>Mallory",
        "Sam & Alex",
        "\"Q\" 'R' <b>",
        "x" * 5000,
        hostile.EMOJI * 30,
        "sa\x00m",
        "\ud800Sam",
        "<audio src='https://evil.example/a.mp3'/>",
    ],
    ids=lambda n: repr(n[:20]),
)
def test_names_with_markup_and_odd_characters_are_spoken_safely(fresh: Skill, name: str) -> None:
    echo = Echo(lambda e: fresh.module.lambda_handler(e, None), user_id=USERS[2])
    echo.launch()
    echo.intent("NameIntent", name=name)
    reply = echo.intent("NameIntent", name="Alex")  # check_reply: well-formed SSML
    sources = re.findall(r"<audio\s+src=[\"']([^\"']*)", reply.ssml)
    assert all(src.startswith("soundbank://") for src in sources), sources
    assert reply.ssml.count("<speak>") == 1 and reply.ssml.count("</speak>") == 1
    stored = fresh.store.load(household_key(USERS[2]))
    assert stored is not None
    first = stored.game.household.names[0]
    assert len(first) <= 40 and "\x00" not in first and "\ud800" not in first
    assert all(ch.isprintable() for ch in first)
    assert_no_failures(fresh)


def test_intent_request_without_an_intent_or_session_is_answered_on_purpose(
    fresh: Skill,
) -> None:
    for mutate in (
        lambda d: d["request"].__setitem__("intent", None),
        lambda d: d["request"].pop("intent"),
        lambda d: d["request"].__setitem__("intent", {"name": None}),
        lambda d: d["request"].__setitem__("intent", {}),
        lambda d: d.pop("session"),
        lambda d: d.__setitem__("session", None),
    ):
        doc = hostile.stamp(
            hostile.intent_template("NextIntent"),
            user_id=USERS[3],
            now=START,
            new_session=False,
            attributes={},
        )
        mutate(doc)
        fresh.lambda_call(doc, "odd intent request")
    assert_no_failures(fresh)


@pytest.mark.parametrize("request_type", sorted(hostile.FOREIGN_REQUESTS))
def test_request_types_the_skill_does_not_use_get_an_empty_valid_response(
    fresh: Skill, request_type: str
) -> None:
    echo = _first_turns(fresh, USERS[0])
    before = fresh.store.load(household_key(USERS[0]))
    doc = hostile.stamp(
        hostile.foreign_template(request_type),
        user_id=USERS[0],
        now=echo.now,
        new_session=False,
        session_id=echo.session_id,
        attributes=echo.attributes,
    )
    response = fresh.lambda_call(doc, request_type)
    assert_no_failures(fresh)
    assert response is not None and "outputSpeech" not in response["response"]
    assert fresh.store.load(household_key(USERS[0])) == before, "nothing changed"


def test_missing_application_context_is_refused_without_a_crash(fresh: Skill) -> None:
    """The application id is in the session but not in context.System (Alexa always sends
    both): an invalid envelope, answered validly, nothing stored."""
    for mutate in (
        lambda d: d["context"]["System"].pop("application"),
        lambda d: d["context"].pop("System"),
        lambda d: d.__setitem__("context", {}),
        lambda d: d["context"]["System"].__setitem__("application", None),
    ):
        doc = hostile.stamp(fixture("launch"), user_id=USERS[3], now=START, new_session=True)
        mutate(doc)
        assert hostile.keeps_application_id(doc)
        fresh.lambda_call(doc, "no context application")
    assert_no_failures(fresh)
    assert fresh.store.households() == 0


def test_another_skills_application_id_is_refused(fresh: Skill) -> None:
    """The one deliberate exception: lambda_handler raises ForeignSkill (Lambda reports an
    error to Alexa) and the web answers 400; nothing is stored either way."""
    doc = hostile.stamp(fixture("launch"), user_id=USERS[0], now=START, new_session=True)
    for path in (("context", "System", "application"), ("session", "application")):
        node = doc
        for key in path:
            node = node[key]
        node["applicationId"] = "amzn1.ask.skill.someone-else"
    with pytest.raises(ForeignSkill):
        fresh.module.lambda_handler(doc, None)
    with serve(fresh.app(), clock=lambda: START.timestamp()) as web:
        response = web.post_envelope(doc)
    assert response.status_code == 400
    assert response.json() == {"error": "unexpected application id"}
    assert fresh.store.households() == 0


def test_odd_locales_answer_in_english_and_do_not_grow_caches(fresh: Skill) -> None:
    """Locales are untrusted: an unknown, malformed or path-like one falls back to English,
    and a stream of distinct odd locales does not grow the per-locale catalog cache."""
    content.speech("en-US")
    before = content.speech.cache_info().currsize
    for index in range(300):
        doc = hostile.stamp(
            fixture("launch"),
            user_id=f"amzn1.ask.account.LOCALE{index}",
            now=START,
            new_session=True,
            locale=rf"{('en', 'de', 'fr')[index % 3]}-{index}{'Y' * (index % 40)}/../../en",
        )
        response = fresh.lambda_call(doc, f"locale {index}")
        assert response is not None
        if index % 3 == 0:
            assert "Welcome to Connection Game" in Reply(response).text
    for locale in ("en-../../../etc", "../../content/en", "x" * 5000, "de\x00", hostile.EMOJI):
        doc = hostile.stamp(
            fixture("launch"), user_id=USERS[0], now=START, new_session=True, locale=locale
        )
        response = fresh.lambda_call(doc, "locale")
        assert response is not None and "Welcome" in Reply(response).text
    assert content.speech.cache_info().currsize - before < 10
    assert_no_failures(fresh)


def test_tampered_session_attributes_fall_back_to_the_stored_game(fresh: Skill) -> None:
    """Mid-evening, the session comes back with a game that does not decode: the skill reads
    the household's stored game instead and goes on from there, without an apology."""
    echo = _first_turns(fresh, USERS[0])
    stored = fresh.store.load(household_key(USERS[0]))
    assert stored is not None
    rng = random.Random(3)
    mutator = hostile.Mutator(rng)
    for _ in range(60):
        tampered = mutator.tamper_attributes(echo.attributes)
        doc = hostile.intent_template("AMAZON.RepeatIntent")
        doc = hostile.stamp(
            doc,
            user_id=USERS[0],
            now=echo.now,
            new_session=False,
            session_id=echo.session_id,
            attributes={},
        )
        doc["session"]["attributes"] = tampered
        response = fresh.lambda_call(doc, "tampered attributes")
        if response is None:
            continue
        text = Reply(response).text
        assert "Sorry" not in text, text
    assert_no_failures(fresh)
    after = fresh.store.load(household_key(USERS[0]))
    assert after is not None and after.game.household.names == ("Sam", "Alex")


# --------------------------------------------------------------------------- raw bodies (web)


def _nested(depth: int) -> Callable[[], bytes]:
    """A launch with a live timestamp (verification passes) and ``depth`` nested arrays."""

    def build() -> bytes:
        now = dt.datetime.now(dt.UTC)
        envelope = hostile.stamp(fixture("launch"), user_id=USERS[0], now=now, new_session=True)
        text = json.dumps(envelope)
        return (text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}").encode()

    return build


RAW_BODIES: dict[str, bytes | Callable[[], bytes]] = {
    "empty": b"",
    "null": b"null",
    "array": b"[]",
    "string": b'"LaunchRequest"',
    "number": b"12",
    "truncated": b'{"version": "1.0", "request": {"type": "Launch',
    "invalid utf-8": b'{"version": "1.0", "request": {"type": "\xff\xfe"}}',
    "utf-16": json.dumps({"request": {"type": "LaunchRequest"}}).encode("utf-16"),
    "bom": b"\xef\xbb\xbf" + json.dumps({"request": {}}).encode(),
    "nul": b"\x00" * 64,
    "request not an object": json.dumps({"version": "1.0", "request": "LaunchRequest"}).encode(),
    "nested 200": _nested(200),
    "nested 900": _nested(900),
    "nested 5000": _nested(5000),
    "lone surrogate": b'{"request": {"type": "\\ud800"}}',
    "duplicate keys": b'{"request": {"type": "LaunchRequest", "type": "Other"}}',
    "huge number": b'{"version": ' + b"9" * 5000 + b', "request": {}}',
    "nan": b'{"version": NaN, "request": {}}',
}


@pytest.mark.parametrize("case", list(RAW_BODIES))
def test_raw_bodies_that_are_not_envelopes_are_4xx(fresh: Skill, case: str) -> None:
    """Correctly signed (so the body itself is what is tested), yet not a usable envelope:
    a 4xx with a JSON reason, or a valid Alexa response, never a 5xx."""
    with serve(fresh.app()) as web:
        body = RAW_BODIES[case]
        response = web.post_raw(body() if callable(body) else body)
    if response.status_code == 200:
        check_reply(Reply(response.json()))
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
        assert "error" in response.json()
    assert_no_failures(fresh)


# --------------------------------------------------------------------------- untrusted state

STORED = Path(__file__).resolve().parents[1] / "fixtures" / "stored"
APOLOGY = "couldn't read your saved game"


def _fixture_docs() -> list[Path]:
    return sorted(STORED.glob("v*_*.json"))


def _put_dynamodb(table: Any, household: str, doc: dict[str, Any], version: int = 7) -> None:
    """Write a stored document in the DynamoDB store's wire format (two items)."""
    from skill.store.dynamodb import NO_HISTORY, _dump, _history_expires_at, history_key

    doc = copy.deepcopy(doc)
    history = doc.pop("history")
    key = history_key(history, START.timestamp())
    dynamodb = client(table.endpoint)
    pk = {"S": f"household#{household}"}
    dynamodb.put_item(
        TableName=table.table_name,
        Item={
            "pk": pk,
            "sk": {"S": "progress"},
            "version": {"N": str(version)},
            "hk": {"S": key},
            "expires_at": {"N": str(int(START.timestamp()) + 86_400)},
            "g": {"S": _dump(doc)},
        },
    )
    if key != NO_HISTORY:
        dynamodb.put_item(
            TableName=table.table_name,
            Item={
                "pk": pk,
                "sk": {"S": "history"},
                "hk": {"S": key},
                "expires_at": {"N": str(_history_expires_at(key))},
                "h": {"S": _dump(history)},
            },
        )


@functools.cache
def client(endpoint: str) -> Any:
    """One test-side DynamoDB client per endpoint (making one costs ~0.1 s)."""
    from tests.support.fixtures_dynamodb import client as make

    return make(endpoint)


def _put_sqlite(db: Path, household: str, body: str, version: int = 7) -> None:
    store = SqliteStore(db)
    store._db().execute(  # noqa: SLF001 - writing an old/corrupt row as it would be found
        "INSERT OR REPLACE INTO progress (household_id, version, body) VALUES (?, ?, ?)",
        (household, version, body),
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def stored_skill(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Any, ModuleType]]:
    """lambda/app.py on either store, with a way to plant a raw stored item."""
    db = tmp_path / "progress.sqlite3"
    for name in ("SKILL_ID", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "dynamodb":
        table = request.getfixturevalue("dynamodb_env")
        monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "unused.sqlite3"))
        yield "dynamodb", table, load_lambda_module()
    else:
        for name in ("TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("CONNECTION_GAME_DB", str(db))
        module = load_lambda_module()
        SqliteStore(db).households()  # creates the table
        yield "sqlite", db, module


def _stored_game(kind: str, where: Any, household: str) -> Any:
    from skill.store.dynamodb import DynamoDbStore

    if kind == "sqlite":
        return SqliteStore(where).load(household)
    return DynamoDbStore(where.table_name, client=client(where.endpoint)).load(household)


def test_every_stored_schema_version_loads_and_plays_on_both_stores(
    stored_skill: tuple[str, Any, ModuleType],
) -> None:
    kind, where, module = stored_skill
    for index, path in enumerate(_fixture_docs()):
        user = f"amzn1.ask.account.STORED{index}"
        doc = json.loads(path.read_text())
        if kind == "sqlite":
            _put_sqlite(where, household_key(user), json.dumps(doc))
        else:
            _put_dynamodb(where, household_key(user), doc)
        echo = Echo(lambda e: module.lambda_handler(e, None), user_id=user)
        reply = echo.launch()
        assert "Sorry" not in reply.text and reply.open, (path.name, reply.text)
        if doc["household"]["names"][1]:
            assert "Marisol" in reply.text, (path.name, reply.text)
        echo.intent("AMAZON.YesIntent")
        stored = _stored_game(kind, where, household_key(user))
        names = tuple(doc["household"]["names"])
        assert stored is not None and stored.game.household.names == names, path.name


CORRUPT_SQLITE = {
    "not json": "{not json",
    "a list": "[]",
    "future version": json.dumps({"v": 99}),
    "no version": json.dumps({"household": {}}),
    "bad phase": None,  # filled from a fixture below
    "name too long": None,
    "huge number": None,
}


def _corrupted(case: str) -> str:
    doc = json.loads((STORED / "v1_paused.json").read_text())
    if case == "bad phase":
        doc["phase"] = {"t": "answering", "evening": {"asked": "x"}}
    elif case == "name too long":
        doc["household"]["names"][0] = "M" * 5000
    elif case == "huge number":
        return json.dumps(doc).replace('"pause": 90', '"pause": ' + "9" * 4000)
    else:
        return str(CORRUPT_SQLITE[case])
    return json.dumps(doc)


@pytest.mark.parametrize("case", list(CORRUPT_SQLITE))
def test_an_unreadable_stored_game_recovers_with_a_short_apology(
    stored_skill: tuple[str, Any, ModuleType], case: str
) -> None:
    """Anything that does not decode starts afresh, says so once, briefly, and the fresh
    game replaces the unreadable item at once (the next session does not apologise again)."""
    kind, where, module = stored_skill
    user = "amzn1.ask.account.CORRUPT"
    if kind == "sqlite":
        _put_sqlite(where, household_key(user), _corrupted(case))
    else:
        from skill.store.dynamodb import _dump

        _put_dynamodb(
            where, household_key(user), json.loads((STORED / "v1_scene.json").read_text())
        )
        g = _corrupted(case)
        with contextlib.suppress(ValueError):  # not JSON: stored as the raw text
            g = _dump(json.loads(g))
        client(where.endpoint).update_item(
            TableName=where.table_name,
            Key={"pk": {"S": f"household#{household_key(user)}"}, "sk": {"S": "progress"}},
            UpdateExpression="SET g = :g",
            ExpressionAttributeValues={":g": {"S": g}},
        )
    echo = Echo(lambda e: module.lambda_handler(e, None), user_id=user)
    reply = echo.launch()
    first_sentence = reply.text.split(".")[0]
    assert APOLOGY in first_sentence and len(first_sentence) < 90, reply.text
    assert reply.open and "first name" in reply.text
    stored = _stored_game(kind, where, household_key(user))
    assert stored is not None and stored.game.household.names == ("", "")
    again = Echo(lambda e: module.lambda_handler(e, None), user_id=user).launch()
    assert "Sorry" not in again.text and "Welcome" in again.text


@pytest.mark.parametrize(
    "request_type",
    [
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillPermissionChanged",
        "AlexaSkillEvent.SkillDisabled",
        "System.ExceptionEncountered",
        "Unknown.Request",
    ],
)
def test_no_handler_echoes_foreign_session_attributes(skill: Skill, request_type: str) -> None:
    """Whatever handler answers, a session's foreign or oversized attributes are not sent
    back (they would travel on every turn and could pass Alexa's 24 KB)."""
    doc = fixture("intent")
    doc["context"]["System"]["application"]["applicationId"] = APP_ID
    doc["session"]["application"]["applicationId"] = APP_ID
    doc["session"]["attributes"] = {"junk": "x" * 30_000, "game": {"g": "y" * 20_000}}
    doc["request"] = {
        "type": request_type,
        "requestId": "r",
        "locale": "en-US",
        "timestamp": "2026-11-24T19:30:05Z",
    }
    response = skill.module.lambda_handler(doc, None)
    assert response.get("sessionAttributes") in (None, {})
    assert len(json.dumps(response)) < 24 * 1024
