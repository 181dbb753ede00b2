"""A test Echo: sends the JSON fixtures in tests/events/ through a handler, as Alexa would.

It keeps the session like the Alexa service does (attributes round-trip, the session closes
when the skill says so) and moves a clock forward so tests can play across days.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
APP_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
START = dt.datetime(2026, 11, 24, 19, 30, tzinfo=dt.UTC)
_BREAK = re.compile(r'<break time="(\d+(?:\.\d+)?)(ms|s)"/>')


def parse_ssml(ssml: str) -> ET.Element:
    """Parse SSML as Alexa does, with the alexa: prefix (``<alexa:name …/>``) declared."""
    declared = ssml.replace("<speak>", '<speak xmlns:alexa="urn:alexa">', 1)
    return ET.fromstring(declared)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class Reply:
    envelope: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        return self.envelope.get("response") or {}

    @property
    def ssml(self) -> str:
        return (self.body.get("outputSpeech") or {}).get("ssml", "")

    @property
    def reprompt(self) -> str | None:
        reprompt = (self.body.get("reprompt") or {}).get("outputSpeech")
        return reprompt.get("ssml") if reprompt else None

    @property
    def text(self) -> str:
        if not self.ssml:
            return ""
        return " ".join("".join(parse_ssml(self.ssml).itertext()).split())

    @property
    def open(self) -> bool:
        return self.body.get("shouldEndSession") is False

    @property
    def pause_seconds(self) -> float:
        return sum(
            float(n) / (1000 if unit == "ms" else 1) for n, unit in _BREAK.findall(self.ssml)
        )


def check_reply(reply: Reply) -> None:
    """Alexa's rules for a response: well-formed SSML, breaks <= 10 s, < 8,000 characters,
    <= 5 audio clips, and a question with a reprompt exactly when the session stays open."""
    if reply.ssml:
        parse_ssml(reply.ssml)  # raises on malformed SSML
        assert reply.ssml.startswith("<speak>") and reply.ssml.endswith("</speak>")
        assert len(reply.ssml) < 8000
        assert reply.ssml.count("<audio") <= 5
        for amount, unit in _BREAK.findall(reply.ssml):
            assert float(amount) / (1000 if unit == "ms" else 1) <= 10
    if reply.open:
        assert reply.reprompt, "an open session needs a reprompt"
        parse_ssml(reply.reprompt)
        assert reply.text.rstrip().endswith("?"), f"open session without a question: {reply.text}"
    else:
        assert reply.reprompt is None, "a reprompt on a closing response"
    assert len(json.dumps(reply.envelope)) < 24 * 1024


class Echo:
    reply_type: type[Reply] = Reply  # what send() wraps each response in

    def __init__(
        self,
        handler: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        user_id: str = "amzn1.ask.account.AGF7EXAMPLEUSERID",
        app_id: str = APP_ID,
        locale: str = "en-US",
        start: dt.datetime = START,
    ) -> None:
        self.handler = handler
        self.user_id = user_id
        self.app_id = app_id
        self.locale = locale
        self.now = start
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def _fill(self, doc: dict[str, Any], new_session: bool) -> dict[str, Any]:
        doc = copy.deepcopy(doc)
        system = doc["context"]["System"]
        system["application"]["applicationId"] = self.app_id
        system["user"]["userId"] = self.user_id
        request = doc["request"]
        request["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
        request["timestamp"] = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        if "locale" in request or request["type"] != "AlexaSkillEvent.SkillDisabled":
            request["locale"] = self.locale
        if "session" in doc:
            if new_session or self.session_id is None:
                self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
                self.attributes = {}
            session = doc["session"]
            session["new"] = new_session
            session["sessionId"] = self.session_id
            session["application"]["applicationId"] = self.app_id
            session["user"]["userId"] = self.user_id
            if new_session:
                session.pop("attributes", None)
            else:
                session["attributes"] = self.attributes
        return doc

    def send(self, envelope: dict[str, Any]) -> Reply:
        self.sent.append(envelope)
        reply = self.reply_type(self.handler(envelope))
        check_reply(reply)
        if reply.open:
            self.attributes = dict(reply.envelope.get("sessionAttributes") or {})
        else:
            self.session_id, self.attributes = None, {}
        return reply

    def launch(self) -> Reply:
        return self.send(self._fill(fixture("launch"), new_session=True))

    def intent(self, name: str, /, **slots: Any) -> Reply:
        """An intent in the open session, or a one-shot ("ask connection game ...") if none."""
        one_shot = self.session_id is None
        doc = fixture("name_intent" if name == "NameIntent" else "intent")
        doc["request"]["intent"] = {
            "name": name,
            "confirmationStatus": "NONE",
            "slots": {key: _slot(key, value, self.app_id) for key, value in slots.items()},
        }
        return self.send(self._fill(doc, new_session=one_shot))

    def end(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> Reply:
        doc = fixture("session_ended")
        doc["request"]["reason"] = reason
        if reason == "ERROR":
            doc["request"]["error"] = {"type": "INVALID_RESPONSE", "message": "test"}
        reply = self.send(self._fill(doc, new_session=False))
        self.session_id, self.attributes = None, {}
        return reply

    def skill_disabled(self) -> Reply:
        return self.send(self._fill(fixture("skill_disabled"), new_session=False))


def _slot(name: str, value: Any, app_id: str) -> dict[str, Any]:
    if value is None:
        return {"name": name, "confirmationStatus": "NONE"}
    if isinstance(value, tuple):
        spoken, ident = value
        return {
            "name": name,
            "value": spoken,
            "confirmationStatus": "NONE",
            "resolutions": {
                "resolutionsPerAuthority": [
                    {
                        "authority": f"amzn1.er-authority.echo-sdk.{app_id}.{name}",
                        "status": {"code": "ER_SUCCESS_MATCH"},
                        "values": [{"value": {"name": ident, "id": ident}}],
                    }
                ]
            },
        }
    return {"name": name, "value": value, "confirmationStatus": "NONE"}
