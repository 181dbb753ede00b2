"""Beyond the speaker, through lambda_handler with real envelopes: Echo Show screens and cards,
the nightly reminder against a local Alexa API server (real SDK client, real HTTPS), the
check-in, and recognised voices (personId)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import content
from skill.alexa.render import escape
from tests.support.alexa_api import GRANTED, AlexaApi, serve_alexa_api
from tests.support.echo import Echo, Reply, fixture

ROOT = Path(__file__).resolve().parents[2]
TURN_DOCUMENT = ROOT / "skill" / "content" / "apl" / "turn.json"
SCOPE = "alexa::alerts:reminders:skill:readwrite"
SAM = "amzn1.ask.person.SAMVOICE0000000000000000001"
ALEX = "amzn1.ask.person.ALEXVOICE000000000000000002"
EN = content.prompts("en")
THEME_OF = {card.id: card.theme for card in EN.deck.cards}
ID_OF_TEXT = {text: pid for pid, text in EN.texts.items()}


# --- a device that sends what a real one would: screen, voice, API access ------------------


class VoiceReply(Reply):
    """A reply whose SSML may hold Alexa's ``<alexa:name .../>`` (a prefix Alexa knows without
    a namespace declaration): checked and read with the tag as ``<alexa-name .../>``."""

    @property
    def raw_ssml(self) -> str:
        return super().ssml

    @property
    def ssml(self) -> str:
        return re.sub(r"<alexa:name\b", "<alexa-name", super().ssml)

    @property
    def reprompt(self) -> str | None:
        raw = super().reprompt
        return re.sub(r"<alexa:name\b", "<alexa-name", raw) if raw else raw

    @property
    def directives(self) -> list[dict[str, Any]]:
        return list(self.body.get("directives") or [])

    def directive(self, kind: str) -> dict[str, Any] | None:
        return next((d for d in self.directives if d.get("type") == kind), None)

    @property
    def apl(self) -> dict[str, Any] | None:
        return self.directive("Alexa.Presentation.APL.RenderDocument")

    @property
    def card(self) -> dict[str, Any] | None:
        return self.body.get("card")


class Device(Echo):
    """The test Echo with the parts of ``context.System`` these features read."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        screen: bool = False,
        apl_version: str = "2023.3",
        api: AlexaApi | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.screen = screen
        self.apl_version = apl_version
        self.api_endpoint: str | None = api.endpoint if api else None
        self.api_token = "no-permission-yet"
        self.consent: str | None = None
        self.person: str | None = None

    def _fill(self, doc: dict[str, Any], new_session: bool) -> dict[str, Any]:
        doc = super()._fill(doc, new_session)
        system = doc["context"]["System"]
        device = system.setdefault("device", {"deviceId": "amzn1.ask.device.AEXAMPLEDEVICE"})
        interfaces: dict[str, Any] = {}
        if self.screen:
            interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": self.apl_version}}
            doc["context"]["Viewport"] = {
                "experiences": [{"canRotate": False, "canResize": False}],
                "mode": "HUB",
                "shape": "RECTANGLE",
                "pixelWidth": 1280,
                "pixelHeight": 800,
                "dpi": 160,
                "currentPixelWidth": 1280,
                "currentPixelHeight": 800,
                "touch": ["SINGLE"],
            }
        device["supportedInterfaces"] = interfaces
        if self.api_endpoint:
            system["apiEndpoint"] = self.api_endpoint
        else:
            system.pop("apiEndpoint", None)
        system["apiAccessToken"] = self.api_token
        if self.consent:
            system["user"]["permissions"] = {"consentToken": self.consent}
        if self.person:
            system["person"] = {"personId": self.person, "accessToken": "person-access-token"}
        return doc

    reply_type = VoiceReply

    def send(self, envelope: dict[str, Any]) -> VoiceReply:
        return super().send(envelope)  # type: ignore[return-value]

    def launch(self) -> VoiceReply:
        return self.send(self._fill(fixture("launch"), new_session=True))

    def intent(self, name: str, /, **slots: Any) -> VoiceReply:
        return super().intent(name, **slots)  # type: ignore[return-value]

    def connections_response(self, status: str) -> VoiceReply:
        """Alexa's answer to the AskFor directive, as its docs show it."""
        doc = fixture("intent")
        doc["request"] = {
            "type": "Connections.Response",
            "requestId": "",
            "timestamp": "",
            "locale": self.locale,
            "name": "AskFor",
            "status": {"code": "200", "message": "OK"},
            "token": "connection-game-reminder",
            "payload": {"permissionScope": SCOPE, "status": status, "isCardThrown": "false"},
        }
        return self.send(self._fill(doc, new_session=self.session_id is None))

    def skill_event(self, kind: str) -> VoiceReply:
        doc = fixture("skill_disabled")
        doc["request"]["type"] = f"AlexaSkillEvent.{kind}"
        doc["request"]["body"] = {"acceptedPermissions": [{"scope": SCOPE}]}
        return self.send(self._fill(doc, new_session=False))


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[AlexaApi]:
    with serve_alexa_api() as server:
        server.trust(monkeypatch)
        yield server


@pytest.fixture
def make(lambda_app: ModuleType, api: AlexaApi) -> Callable[..., Device]:
    def build(**kwargs: Any) -> Device:
        kwargs.setdefault("api", api)
        return Device(lambda e: lambda_app.lambda_handler(e, None), **kwargs)

    return build


def names(device: Device, a: str = "sam", b: str = "alex") -> VoiceReply:
    device.launch()
    device.intent("NameIntent", name=a)
    return device.intent("NameIntent", name=b)


def first_prompt(device: Device) -> VoiceReply:
    names(device)
    device.intent("AMAZON.YesIntent")  # start an evening: the scene
    return device.intent("AMAZON.YesIntent")  # ready: the first prompt


def finish_evening(device: Device) -> VoiceReply:
    """Play an evening to its end; returns the reply that offers the reminder."""
    first_prompt(device)
    for _ in range(40):
        device.advance(70)
        reply = device.intent("NextIntent")
        if "remind you tomorrow" in reply.text:
            assert reply.open
            return reply
        assert reply.open, f"the evening closed without the reminder offer: {reply.text}"
    raise AssertionError("the evening never ended")


# --- screens and cards --------------------------------------------------------------------


def test_apl_document_is_valid_and_self_contained() -> None:
    doc = json.loads(TURN_DOCUMENT.read_text(encoding="utf-8"))
    assert doc["type"] == "APL"
    assert re.fullmatch(r"\d+(\.\d+)+", doc["version"])
    template = doc["mainTemplate"]
    assert template["parameters"] == ["payload"] and template["items"]
    text = json.dumps(doc)
    assert "http" not in text and "import" not in doc, "no remote assets or packages"
    assert "elapsedTime" in text, "the countdown runs on the device"
    for expression in re.findall(r"\$\{[^\"]*", text):
        assert expression.count("(") == expression.count(")"), expression
        assert expression.count("{") == expression.count("}"), expression


def test_screen_device_gets_the_turn_screen_and_a_card(make: Callable[..., Device]) -> None:
    device = make(screen=True)
    for reply in (device.launch(), device.intent("NameIntent", name="sam")):
        assert reply.apl is None and reply.card is None, "no prompt asked: no screen, no card"
    device.intent("NameIntent", name="alex")
    device.intent("AMAZON.YesIntent")
    reply = device.intent("AMAZON.YesIntent")
    directive = reply.apl
    assert directive is not None
    assert directive["token"]
    document = directive["document"]
    assert document == json.loads(TURN_DOCUMENT.read_text(encoding="utf-8"))
    props = directive["datasources"]["turn"]["properties"]
    bound = set(re.findall(r"payload\.turn\.properties\.(\w+)", json.dumps(document)))
    assert bound and bound <= set(props), bound - set(props)
    prompt = next(text for text in EN.texts.values() if escape(text) in reply.ssml)
    assert props["prompt"] == escape(prompt)
    assert props["speaker"] == "Sam's turn" and props["listener"] == "Alex listens"
    assert props["title"] == "Connection Game"
    assert props["pauseSeconds"] == 60
    assert 3 <= props["leadSeconds"] <= 30, "the countdown waits for the speech before it"
    assert reply.card == {"type": "Simple", "title": "Connection Game", "content": prompt}

    device.advance(70)
    reflect = device.intent("NextIntent")  # the listener reflects: no prompt asked
    assert reflect.apl is None and reflect.card is None
    second = device.intent("NextIntent")  # the same prompt, the other partner
    assert second.apl is not None and second.card is not None
    props = second.apl["datasources"]["turn"]["properties"]
    assert props["speaker"] == "Alex's turn" and props["listener"] == "Sam listens"
    assert props["prompt"] == escape(prompt)


def test_screenless_device_gets_the_card_but_never_apl(make: Callable[..., Device]) -> None:
    device = make(screen=False)
    replies = [first_prompt(device)]
    for _ in range(4):
        device.advance(70)
        replies.append(device.intent("NextIntent"))
    replies.append(device.intent("AMAZON.RepeatIntent"))
    asked = [r for r in replies if r.pause_seconds >= 60]
    assert len(asked) >= 3
    for reply in replies:
        assert not any(d["type"].startswith("Alexa.Presentation") for d in reply.directives)
    for reply in asked:
        assert reply.card is not None and reply.card["content"] in EN.texts.values()
        assert escape(reply.card["content"]) in reply.ssml


def test_an_apl_runtime_older_than_the_document_gets_no_directive(
    make: Callable[..., Device],
) -> None:
    reply = first_prompt(make(screen=True, apl_version="1.1"))
    assert reply.apl is None and reply.card is not None


def test_names_on_the_screen_are_escaped(make: Callable[..., Device]) -> None:
    device = make(screen=True)
    names(device, "Zoë & <b>Kim</b>", "Alex")
    device.intent("AMAZON.YesIntent")
    props = device.intent("AMAZON.YesIntent").apl["datasources"]["turn"]["properties"]
    assert props["speaker"] == "Zoë &amp; &lt;b&gt;Kim&lt;/b&gt;'s turn"


# --- the nightly reminder -----------------------------------------------------------------


def _asks_for_permission(reply: VoiceReply) -> None:
    ask = reply.directive("Connections.SendRequest")
    assert ask is not None, reply.directives
    assert ask["name"] == "AskFor"
    assert ask["payload"] == {
        "@type": "AskForPermissionsConsentRequest",
        "@version": "1",
        "permissionScope": SCOPE,
    }
    assert ask["token"]
    assert "Good night" not in reply.text and "Sleep well" not in reply.text, "no goodbye"
    assert reply.reprompt is None and not reply.open


@pytest.mark.parametrize("missing", ["no consent token", "the API answers 401"])
def test_reminder_asks_for_permission_then_is_created_once_accepted(
    make: Callable[..., Device], api: AlexaApi, missing: str
) -> None:
    device = make()
    offer = finish_evening(device)
    assert "Want me to remind you tomorrow at this time?" in offer.text
    if missing == "the API answers 401":
        device.consent, device.api_token = "consent-token", "revoked"
    reply = device.intent("AMAZON.YesIntent")
    _asks_for_permission(reply)
    assert api.created() == []
    assert len(api.reminders()) == (1 if missing == "the API answers 401" else 0)

    device.consent, device.api_token = "consent-token", GRANTED
    device.advance(20)
    reply = device.connections_response("ACCEPTED")
    assert "I'll remind you tomorrow at this time" in reply.text
    assert not reply.open and reply.directive("Connections.SendRequest") is None
    [call] = api.created()
    assert call.headers["authorization"] == f"Bearer {GRANTED}"
    assert call.body["trigger"] == {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": 86400}
    assert call.body["alertInfo"]["spokenInfo"]["content"] == [
        {"locale": "en-US", "text": "Time for your Connection Game evening."}
    ]
    assert call.body["pushNotification"] == {"status": "ENABLED"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", call.body["requestTime"])


@pytest.mark.parametrize("status", ["DENIED", "NOT_ANSWERED"])
def test_reminder_permission_refused(
    make: Callable[..., Device], api: AlexaApi, status: str
) -> None:
    device = make()
    finish_evening(device)
    _asks_for_permission(device.intent("AMAZON.YesIntent"))
    reply = device.connections_response(status)
    assert "allow reminders for Connection Game in the Alexa app" in reply.text
    assert not reply.open and api.reminders() == []
    again = device.launch()  # the game goes on, and does not offer again tonight
    assert again.open and "Shall we start" in again.text or "Ready to start" in again.text


def test_reminder_with_permission_is_created_and_the_goodbye_follows(
    make: Callable[..., Device], api: AlexaApi
) -> None:
    device = make()
    device.consent, device.api_token = "consent-token", GRANTED
    finish_evening(device)
    reply = device.intent("AMAZON.YesIntent")
    assert reply.directive("Connections.SendRequest") is None
    text = reply.text
    assert "I'll remind you tomorrow at this time" in text
    assert "Good night" in text or "Sleep well" in text
    assert text.index("remind you tomorrow") < max(text.find("Good night"), text.find("Sleep"))
    assert len(api.created()) == 1


@pytest.mark.parametrize("failure", ["broken", "unsupported", "slow", "no API endpoint"])
def test_a_failed_reminder_is_said_and_the_game_goes_on(
    make: Callable[..., Device], api: AlexaApi, failure: str
) -> None:
    device = make()
    device.consent, device.api_token = "consent-token", failure
    if failure == "no API endpoint":
        device.api_endpoint = None
    finish_evening(device)
    started = time.monotonic()
    reply = device.intent("AMAZON.YesIntent")
    took = time.monotonic() - started
    assert took < 5.5, f"the reminder call must be bounded in time, took {took:.1f}s"
    assert "couldn't set the reminder" in reply.text
    assert "Good night" in reply.text or "Sleep well" in reply.text
    assert reply.directive("Connections.SendRequest") is None and not reply.open
    assert api.created() == []
    assert len(api.reminders()) == (0 if failure == "no API endpoint" else 1)
    assert device.launch().open, "the next launch works as usual"


@pytest.mark.parametrize("kind", ["SkillPermissionAccepted", "SkillPermissionChanged"])
def test_skill_permission_events_get_an_empty_response(
    make: Callable[..., Device],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    caplog.set_level(logging.INFO)
    device = make()
    reply = device.skill_event(kind)
    assert reply.envelope["version"] == "1.0"
    assert reply.body == {} or set(reply.body) <= {"shouldEndSession"}
    assert kind in caplog.text
    assert device.user_id not in caplog.text
    assert not db_path.exists() or _rows(db_path) == 0


# --- check-in -----------------------------------------------------------------------------


def _reflection_kind(text: str) -> str | None:
    """Which reflection a reply invites (follow_up, say_back, celebrate), from the catalog."""
    lines = content.speech("en-US")
    for kind in ("follow_up", "say_back", "celebrate"):
        variants = lines[f"reflect.{kind}"]
        for variant in [variants] if isinstance(variants, str) else variants:
            for listener, speaker in (("Sam", "Alex"), ("Alex", "Sam")):
                filled = variant.replace("{listener}", listener).replace("{speaker}", speaker)
                if filled in text:
                    return kind
    return None


def _evening_prompts(device: Device) -> tuple[list[str], list[VoiceReply]]:
    """Start an evening and play it; the prompt ids asked (from the cards) and the replies."""
    device.intent("AMAZON.YesIntent")
    replies = [device.intent("AMAZON.YesIntent")]
    for _ in range(40):
        device.advance(70)
        reply = device.intent("NextIntent")
        replies.append(reply)
        if "remind you tomorrow" in reply.text or not reply.open:
            break
    cards = [r.card["content"] for r in replies if r.card]
    return list(dict.fromkeys(ID_OF_TEXT[c] for c in cards)), replies


@pytest.mark.parametrize(
    ("answers", "theme", "label", "reflection"),
    [
        # Not feeling heard: tonight leans to the inner world, and listeners say back.
        (("No", "Yes", "Yes", "Yes", "Yes"), "inner_world", "Inner world", "say_back"),
        # Logistics only: curiosity, and follow-up questions.
        (("Yes", "Yes", "No", "No", "No"), "curiosity", "Curiosity", "follow_up"),
        # All calm: play, and celebrating.
        (("Yes", "No", "No", "No", "No"), "play", "Play", "celebrate"),
    ],
)
def test_check_in_chooses_tonights_theme_and_reflection(
    make: Callable[..., Device],
    answers: tuple[str, ...],
    theme: str,
    label: str,
    reflection: str,
) -> None:
    device = make()
    names(device)
    device.intent("AMAZON.StopIntent")
    reply = device.intent("CheckInIntent")  # "Alexa, ask connection game for a check-in"
    assert device.sent[-1]["session"]["new"] is True
    assert "five short questions" in reply.text and reply.text.endswith("?")
    asked = [reply.text]
    for answer in answers:
        reply = device.intent(f"AMAZON.{answer}Intent")
        asked.append(reply.text)
    assert f"lean toward {label}" in reply.text
    assert reply.open and reply.text.endswith("?")
    assert len({t.split(".")[-1] for t in asked[:5]}) == 5, "five different questions"
    for word in ("lonely", "heard and understood", "playing the part"):
        assert word not in reply.text, "answers are never repeated back"

    prompts, replies = _evening_prompts(device)
    assert len(prompts) == 5
    assert {THEME_OF[pid] for pid in prompts} == {theme}, prompts
    kinds = [k for k in (_reflection_kind(r.text) for r in replies) if k is not None]
    assert kinds and set(kinds) == {reflection}, kinds


def test_check_in_is_only_a_choice_for_one_evening(make: Callable[..., Device]) -> None:
    device = make()
    names(device)
    device.intent("CheckInIntent")
    for answer in ("No", "No", "No", "No", "No"):
        device.intent(f"AMAZON.{answer}Intent")
    prompts, _ = _evening_prompts(device)
    assert {THEME_OF[pid] for pid in prompts} == {"inner_world"}
    device.intent("AMAZON.NoIntent")  # no reminder
    device.launch()
    prompts, _ = _evening_prompts(device)
    assert len({THEME_OF[pid] for pid in prompts}) > 1, "the next evening is varied again"


# --- recognised voices --------------------------------------------------------------------


def test_known_voices_are_linked_greeted_and_can_claim_a_turn(
    make: Callable[..., Device], db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    device = make(screen=True)
    names(device)
    device.intent("AMAZON.StopIntent")

    device.person = SAM
    reply = device.launch()
    assert reply.text.endswith("Is this Sam?")
    reply = device.intent("AMAZON.YesIntent")
    assert f'<alexa:name type="first" personId="{SAM}"/>' in reply.raw_ssml
    assert "know your voice" in reply.text and reply.open
    device.intent("AMAZON.StopIntent")

    reply = device.launch()  # the same voice again: greeted by Alexa's own name for them
    assert f'<alexa:name type="first" personId="{SAM}"/>' in reply.raw_ssml
    assert "Is this" not in reply.text
    device.intent("AMAZON.StopIntent")

    device.person = ALEX
    reply = device.launch()
    assert reply.text.endswith("Is this Alex?")
    device.intent("AMAZON.YesIntent")

    device.intent("AMAZON.YesIntent")  # start: the scene
    first = device.intent("AMAZON.YesIntent")  # Sam opens the first evening
    assert first.apl["datasources"]["turn"]["properties"]["speaker"] == "Sam's turn"
    prompt = first.card["content"]
    device.advance(5)
    reply = device.intent("MyTurnIntent")  # Alex: "it's my turn"
    assert f'<alexa:name type="first" personId="{ALEX}"/>' in reply.raw_ssml
    assert escape(prompt) in reply.ssml and reply.pause_seconds >= 60
    assert reply.apl["datasources"]["turn"]["properties"]["speaker"] == "Alex's turn"
    device.advance(70)
    reply = device.intent("NextIntent")
    texts = reply.text + " " + json.dumps(reply.apl or {})
    assert "Sam" in texts, "then Sam answers the same prompt"

    assert SAM not in caplog.text and ALEX not in caplog.text, "no raw personId in logs"
    stored = b"".join(p.read_bytes() for p in db_path.parent.glob(f"{db_path.name}*"))  # + WAL
    assert b"Sam" in stored, "the store was read"
    assert SAM.encode() not in stored and ALEX.encode() not in stored
    assert SAM not in json.dumps(device.attributes) and ALEX not in json.dumps(device.attributes)


def test_my_turn_from_an_unknown_voice_keeps_the_order(make: Callable[..., Device]) -> None:
    device = make()
    first_prompt(device)
    reply = device.intent("MyTurnIntent")
    assert "can't tell your voices apart" in reply.text and reply.open
    device.person = "amzn1.ask.person.SOMEONEELSE"
    reply = device.intent("MyTurnIntent")
    assert "can't tell your voices apart" in reply.text


def test_a_malformed_person_id_is_ignored(make: Callable[..., Device]) -> None:
    device = make()
    names(device)
    device.intent("AMAZON.StopIntent")
    device.person = 'x"/><audio src="https://evil.example/a.mp3"/>'
    reply = device.launch()
    assert "Is this" not in reply.text and "<audio" not in reply.ssml


def _rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM progress").fetchone()[0])
