"""Hostile and odd request envelopes: hypothesis strategies and a seeded mutator.

Both build on realistic envelopes (the fixtures in tests/events/ and the request types
Alexa sends to skills that never asked for them) and then break them: missing and
mistyped fields, slots that are null, lists or objects, slot values carrying SSML and XML,
5,000-character strings, emoji, NUL, lone surrogates, unknown locales, tampered session
attributes.

The application id always stays this skill's (``application_id(envelope) == APP_ID``):
another skill's id is a deliberate refusal (``ForeignSkill``), tested on its own.

    strategies:  envelopes(user_ids)           a hypothesis strategy of envelopes
    mutator:     Mutator(seed).envelope(...)   the same space, driven by random.Random
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from skill.alexa.intents import HANDLED
from skill.alexa.verify import application_id
from tests.support.echo import APP_ID, fixture

# --------------------------------------------------------------------------- vocabulary

# Every intent the skill handles (the model's own set), plus names it must treat as unknown.
INTENTS = (*HANDLED, "AMAZON.PauseIntent", "SomeoneElsesIntent", "")
SLOT_NAMES = ("name", "duration", "length")

# Request types this skill never asked for, each with the fields Alexa sends.
FOREIGN_REQUESTS: dict[str, dict[str, Any]] = {
    "CanFulfillIntentRequest": {
        "intent": {"name": "NextIntent", "slots": {"name": {"name": "name", "value": "sam"}}}
    },
    "System.ExceptionEncountered": {
        "error": {"type": "INVALID_RESPONSE", "message": "An exception occurred"},
        "cause": {"requestId": "amzn1.echo-api.request.1"},
    },
    "Alexa.Presentation.APL.UserEvent": {
        "token": "t",
        "arguments": ["next", {"a": 1}],
        "source": {"type": "TouchWrapper", "handler": "Press", "id": "x", "value": None},
        "components": {},
    },
    "Alexa.Presentation.APL.LoadIndexListData": {"token": "t", "listId": "l", "count": 3},
    "Connections.Response": {
        "status": {"code": "200", "message": "OK"},
        "name": "Buy",
        "payload": {"purchaseResult": "ACCEPTED", "productId": "p"},
        "token": "tok",
    },
    "Connections.Request": {"name": "Schedule", "payload": {}},
    "AudioPlayer.PlaybackStarted": {"token": "a", "offsetInMilliseconds": 0},
    "AudioPlayer.PlaybackFinished": {"token": "a", "offsetInMilliseconds": 1000},
    "AudioPlayer.PlaybackStopped": {"token": "a", "offsetInMilliseconds": 10},
    "AudioPlayer.PlaybackNearlyFinished": {"token": "a", "offsetInMilliseconds": 10},
    "AudioPlayer.PlaybackFailed": {
        "token": "a",
        "error": {"type": "MEDIA_ERROR_UNKNOWN", "message": "x"},
        "currentPlaybackState": {"token": "a", "offsetInMilliseconds": 0, "playerActivity": "IDLE"},
    },
    "PlaybackController.PlayCommandIssued": {},
    "PlaybackController.NextCommandIssued": {},
    "Messaging.MessageReceived": {"message": {"text": "</speak>&", "n": [1, 2]}},
    "Display.ElementSelected": {"token": "x"},
    "GameEngine.InputHandlerEvent": {"originatingRequestId": "r", "events": []},
    "Dialog.API.Invoked": {"apiRequest": {"name": "x", "arguments": {}}},
    "AlexaSkillEvent.SkillEnabled": {"eventCreationTime": "2026-11-24T19:40:00Z"},
    "AlexaSkillEvent.SkillAccountLinked": {"body": {"accessToken": "x"}},
    "AlexaSkillEvent.SkillPermissionAccepted": {"body": {"acceptedPermissions": []}},
    "AlexaSkillEvent.ProactiveSubscriptionChanged": {"body": {"subscriptions": []}},
    "AlexaHouseholdListEvent.ItemsCreated": {"body": {"listId": "l", "listItemIds": ["i"]}},
    "Reminders.ReminderCreated": {"body": {"alertToken": "x"}},
    "SessionResumedRequest": {"cause": {"type": "ConnectionCompleted", "token": "t"}},
    "Alexa.Authorization.Grant": {"body": {"grant": {"type": "x"}}},
    "Totally.Unknown": {"whatever": [1, {"x": None}]},
    "": {},
}

EMOJI = "\U0001f600\U0001f469\u200d\u2764\ufe0f\u200d\U0001f468\U0001f1ec\U0001f1e7"
HOSTILE_STRINGS: tuple[str, ...] = (
    "</speak>",
    "<speak><audio src='https://evil.example/x.mp3'/></speak>",
    '<break time="100s"/>',
    "& &amp; &#0; &lt; <![CDATA[x]]> <!-- c --> <?xml version='1.0'?>",
    "\"quoted\" 'single' `back`",
    "Sam & Alex <3",
    "x" * 5000,
    "\u00e9" * 5000,
    EMOJI * 20,
    EMOJI,
    "\x00",
    "sam\x00alex",
    "\x00" * 50,
    "\ud800",  # a lone surrogate (valid in JSON as an escape, not in UTF-8)
    "\u202e\u2066reversed\u2069",
    "\ufeffbom",
    "\r\n\t\x0b\x0c",
    "",
    " ",
    "   sam   ",
    "Robert'); DROP TABLE progress;--",
    "${jndi:ldap://x}",
    "{name}",
    "{count|one|many}",
    "%s %d %(name)s",
    "PT5M",
    "PT99999999S",
    "P1Y",
    "-PT1M",
    "long",
    "QUICK",
    "null",
    "9" * 400,
    "\u0000\u0001\u0002\u0003\u007f\u0080\u009f",
    "\ufffe\uffff",
)
LOCALES: tuple[Any, ...] = (
    "en-US",
    "en-GB",
    "de-DE",
    "fr-FR",
    "es-ES",
    "xx-YY",
    "zz",
    "en",
    "EN_us",
    "en-../../../etc",
    "../../content/en",
    "",
    None,
    5,
    ["en-US"],
    {"locale": "en-US"},
    "x" * 5000,
    "de\x00",
    EMOJI,
)
TIMESTAMPS: tuple[Any, ...] = (
    "2026-11-24T19:30:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1970-01-01T00:00:00+14:00",
    "2026-11-24T19:30:00.123456789Z",
    "2026-02-30T00:00:00Z",
    "garbage",
    "",
    0,
    1e308,
    -1,
    None,
    ["2026-11-24T19:30:00Z"],
)
SESSION_END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS", "NOPE", "", None, 7)

_ODD_VALUES: tuple[Callable[[random.Random], Any], ...] = (
    lambda r: None,
    lambda r: r.choice(HOSTILE_STRINGS),
    lambda r: r.randint(-(2**63), 2**63),
    lambda r: r.choice([0, 1, -1, 2**64, 10**30]),
    lambda r: r.choice([0.5, -0.0, 1e308, -1e308]),
    lambda r: r.choice([True, False]),
    lambda r: [],
    lambda r: [r.choice(HOSTILE_STRINGS), None, 3],
    lambda r: {},
    lambda r: {"value": r.choice(HOSTILE_STRINGS), "x": [None]},
    lambda r: {r.choice(HOSTILE_STRINGS): r.choice(HOSTILE_STRINGS)},
    lambda r: [[[[[[[[[["deep"]]]]]]]]]],
)


# --------------------------------------------------------------------------- building blocks

OFFLINE_API = "https://127.0.0.1:9"


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(
    doc: dict[str, Any],
    *,
    user_id: str,
    now: dt.datetime,
    new_session: bool,
    session_id: str | None = None,
    attributes: dict[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A template filled like a device fills it: ids, user, time, session."""
    doc = copy.deepcopy(doc)
    system = doc["context"]["System"]
    system["application"] = {"applicationId": APP_ID}
    system["user"] = {"userId": user_id}
    # Alexa's APIs (reminders) answer here: a closed loopback port, so a test never reaches
    # the internet and every API call fails at once.
    system["apiEndpoint"] = OFFLINE_API
    request = doc["request"]
    request["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
    request["timestamp"] = iso(now)
    if request.get("type") != "AlexaSkillEvent.SkillDisabled":
        request["locale"] = locale
    if "session" in doc:
        session = doc["session"]
        session["new"] = new_session
        session["sessionId"] = session_id or f"amzn1.echo-api.session.{uuid.uuid4()}"
        session["application"] = {"applicationId": APP_ID}
        session["user"] = {"userId": user_id}
        if new_session or attributes is None:
            session.pop("attributes", None)
        else:
            session["attributes"] = copy.deepcopy(attributes)
    return doc


def slot(name: str, value: Any, resolved: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        out["value"] = value
    if resolved is not None:
        out["resolutions"] = {
            "resolutionsPerAuthority": [
                {
                    "authority": f"amzn1.er-authority.echo-sdk.{APP_ID}.{name}",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": resolved, "id": resolved}}],
                }
            ]
        }
    return out


def intent_template(name: str, slots: dict[str, Any] | Any = None) -> dict[str, Any]:
    doc = fixture("name_intent" if name == "NameIntent" else "intent")
    doc["request"]["intent"] = {
        "name": name,
        "confirmationStatus": "NONE",
        "slots": {} if slots is None else slots,
    }
    return doc


def foreign_template(request_type: str) -> dict[str, Any]:
    doc = fixture("intent")
    request = {
        "type": request_type,
        "requestId": "r",
        "locale": "en-US",
        "timestamp": "2026-11-24T19:30:05Z",
    }
    request.update(copy.deepcopy(FOREIGN_REQUESTS[request_type]))
    doc["request"] = request
    return doc


def templates() -> list[Callable[[], dict[str, Any]]]:
    """Every kind of request, unmutated: launch, each intent, session end, skill events."""
    made: list[Callable[[], dict[str, Any]]] = [lambda: fixture("launch")]
    for name in INTENTS:
        made.append(lambda name=name: intent_template(name))
    made += [
        lambda: intent_template("NameIntent", {"name": slot("name", "sam")}),
        lambda: intent_template("SetPauseIntent", {"duration": slot("duration", "PT2M")}),
        lambda: intent_template(
            "StartEveningIntent", {"length": slot("length", "short one", resolved="quick")}
        ),
        lambda: fixture("session_ended"),
        lambda: fixture("skill_disabled"),
    ]
    for request_type in FOREIGN_REQUESTS:
        made.append(lambda request_type=request_type: foreign_template(request_type))
    return made


# --------------------------------------------------------------------------- paths


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document (not the root)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found += paths(value, (*prefix, index))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node


def keeps_application_id(doc: Any) -> bool:
    return isinstance(doc, dict) and application_id(doc) == APP_ID


# --------------------------------------------------------------------------- seeded mutator


class Mutator:
    """Random (seeded, reproducible) mutations of an envelope; never changes whose skill
    the request is for."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def odd_value(self) -> Any:
        return self.rng.choice(_ODD_VALUES)(self.rng)

    def slots(self) -> Any:
        r = self.rng
        kind = r.randrange(7)
        if kind == 0:
            return r.choice([None, [], "slots", 3, [slot("name", "sam")]])
        names = r.sample(SLOT_NAMES, r.randint(1, 3))
        out: dict[str, Any] = {}
        for name in names:
            choice = r.randrange(6)
            if choice == 0:
                out[name] = r.choice([None, [], [1, 2], "x", 5, {}])
            elif choice == 1:
                out[name] = slot(name, self.odd_value())
            elif choice == 2:
                out[name] = slot(
                    name,
                    r.choice(HOSTILE_STRINGS),
                    resolved=r.choice(
                        ["quick", "standard", "long", "nope", r.choice(HOSTILE_STRINGS)]
                    ),
                )
            elif choice == 3:
                broken = slot(name, "long", resolved="long")
                broken["resolutions"]["resolutionsPerAuthority"][0][
                    r.choice(["values", "status"])
                ] = self.odd_value()
                out[name] = broken
            else:
                out[name] = slot(name, r.choice(HOSTILE_STRINGS))
        return out

    def mutate(self, doc: dict[str, Any], count: int | None = None) -> dict[str, Any]:
        """Apply 1-4 mutations anywhere in the document, keeping the application id."""
        r = self.rng
        for _ in range(count if count is not None else r.randint(1, 4)):
            for _attempt in range(10):
                candidate = copy.deepcopy(doc)
                self._mutate_once(candidate)
                if keeps_application_id(candidate):
                    doc = candidate
                    break
        return doc

    def _mutate_once(self, doc: dict[str, Any]) -> None:
        r = self.rng
        request = doc.get("request")
        op = r.randrange(10)
        if op == 0 and isinstance(request, dict):
            request["locale"] = r.choice(LOCALES)
            return
        if op == 1 and isinstance(request, dict):
            request["timestamp"] = r.choice(TIMESTAMPS)
            return
        if op == 2 and isinstance(request, dict) and isinstance(request.get("intent"), dict):
            request["intent"]["slots"] = self.slots()
            return
        if op == 3 and isinstance(request, dict):
            request["type"] = r.choice([*FOREIGN_REQUESTS, None, 5, ["LaunchRequest"]])
            return
        every = paths(doc)
        if not every:
            return
        path = r.choice(every)
        parent = _parent(doc, path)
        key = path[-1]
        if op in (4, 5):  # delete
            if isinstance(parent, dict):
                parent.pop(key, None)
            else:
                parent.pop(key)
        elif op in (6, 7):  # replace with a value of another type
            parent[key] = self.odd_value()
        elif op == 8 and isinstance(parent[key], str):  # hostile text
            parent[key] = r.choice(HOSTILE_STRINGS)
        else:  # an unknown field
            target = parent[key] if isinstance(parent[key], dict) else doc
            target[r.choice(["x", "unknownField", "\x00", EMOJI])] = self.odd_value()

    def tamper_attributes(self, attributes: dict[str, Any]) -> Any:
        """Session attributes as a hostile client could send them back."""
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            return self.odd_value()
        if kind == 1:
            return {"game": self.odd_value()}
        if kind == 2:
            return {"game": {"g": self.odd_value(), "ver": self.odd_value(), "dirty": True}}
        doc = copy.deepcopy(attributes) if attributes else {"game": {"g": {"v": 1}}}
        doc = self.mutate(doc, r.randint(1, 3)) if kind in (3, 4) else doc
        if kind == 5:
            game = doc.get("game") if isinstance(doc, dict) else None
            if isinstance(game, dict):
                game["ver"] = r.choice([None, -1, 0, 2**70, "1", 1.5, True, []])
                game["dirty"] = r.choice([True, "yes", 1, None])
        return doc


# --------------------------------------------------------------------------- hypothesis

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(HOSTILE_STRINGS)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
odd_text = st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=60)
slot_value = odd_text | json_values
slot_strategy = st.one_of(
    json_values,
    st.builds(slot, st.sampled_from(SLOT_NAMES), slot_value),
    st.builds(
        slot,
        st.sampled_from(SLOT_NAMES),
        odd_text,
        st.sampled_from(["quick", "standard", "long"]) | odd_text,
    ),
)
slots_strategy = st.one_of(
    st.dictionaries(st.sampled_from(SLOT_NAMES) | st.text(max_size=5), slot_strategy, max_size=3),
    json_values,
)


@st.composite
def envelopes(
    draw: st.DrawFn, user_ids: Sequence[str], attributes: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """One odd envelope for one of ``user_ids``: a drawn request type, intent, slots,
    locale, timestamp and session, then a few drawn mutations."""
    kind = draw(st.sampled_from(["intent", "launch", "ended", "foreign", "disabled"]))
    if kind == "intent":
        doc = intent_template(draw(st.sampled_from(INTENTS) | st.text(max_size=20)))
        doc["request"]["intent"]["slots"] = draw(slots_strategy)
    elif kind == "launch":
        doc = fixture("launch")
    elif kind == "ended":
        doc = fixture("session_ended")
        doc["request"]["reason"] = draw(st.sampled_from(SESSION_END_REASONS))
        if draw(st.booleans()):
            doc["request"]["error"] = {"type": draw(odd_text), "message": draw(odd_text)}
    elif kind == "foreign":
        doc = foreign_template(draw(st.sampled_from(sorted(FOREIGN_REQUESTS))))
    else:
        doc = fixture("skill_disabled")
    session_attrs: dict[str, Any] | None = None
    if attributes and draw(st.booleans()):
        session_attrs = draw(st.sampled_from(list(attributes)))
    doc = stamp(
        doc,
        user_id=draw(st.sampled_from(list(user_ids))),
        now=dt.datetime(2026, 11, 24, 19, 30, tzinfo=dt.UTC),
        new_session=draw(st.booleans()),
        attributes=session_attrs,
    )
    request = doc["request"]
    request["locale"] = draw(st.sampled_from(LOCALES) | st.text(max_size=12))
    if draw(st.integers(0, 3)) == 0:
        request["timestamp"] = draw(st.sampled_from(TIMESTAMPS))
    if "session" in doc and draw(st.integers(0, 3)) == 0:
        doc["session"]["attributes"] = draw(
            json_values | st.fixed_dictionaries({"game": json_values})
        )
    seed = draw(st.integers(0, 2**32 - 1))
    mutations = draw(st.integers(0, 3))
    if mutations:
        doc = Mutator(random.Random(seed)).mutate(doc, mutations)
    return doc
