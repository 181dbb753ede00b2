"""Alexa request envelopes, built the way a device and the Alexa service send them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

DEVICE_APP_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Device:
    """One Echo in one home: builds envelopes and keeps the session between requests."""

    user_id: str
    application_id: str = DEVICE_APP_ID
    locale: str = "en-US"
    device_id: str = field(default_factory=lambda: f"amzn1.ask.device.{uuid.uuid4().hex}")
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def _base(self, request: dict[str, Any], now: float, new_session: bool) -> dict[str, Any]:
        request = {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": iso(now),
            "locale": self.locale,
            **request,
        }
        application = {"applicationId": self.application_id}
        user = {"userId": self.user_id}
        envelope: dict[str, Any] = {
            "version": "1.0",
            "context": {
                "System": {
                    "application": application,
                    "user": user,
                    "device": {"deviceId": self.device_id, "supportedInterfaces": {}},
                    "apiEndpoint": "https://api.amazonalexa.com",
                }
            },
            "request": request,
        }
        if self.session_id is not None or new_session:
            if new_session or self.session_id is None:
                self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
                self.attributes = {}
            envelope["session"] = {
                "new": new_session,
                "sessionId": self.session_id,
                "application": application,
                "user": user,
                "attributes": self.attributes,
            }
        return envelope

    def launch(self, now: float) -> dict[str, Any]:
        return self._base({"type": "LaunchRequest"}, now, new_session=True)

    def intent(
        self,
        name: str,
        now: float,
        slots: dict[str, Any] | None = None,
        *,
        one_shot: bool = False,
    ) -> dict[str, Any]:
        """An IntentRequest. A slot value may be a (spoken value, entity id) pair for custom
        slot types: it then carries an entity-resolution match, as Alexa sends it."""
        slot_doc = {key: self._slot(key, value) for key, value in (slots or {}).items()}
        request = {
            "type": "IntentRequest",
            "dialogState": "COMPLETED",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slot_doc},
        }
        return self._base(request, now, new_session=one_shot or self.session_id is None)

    def _slot(self, name: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, tuple):
            return {"name": name, "value": value, "confirmationStatus": "NONE"}
        spoken, ident = value
        authority = f"amzn1.er-authority.echo-sdk.{self.application_id}.{name}"
        return {
            "name": name,
            "value": spoken,
            "confirmationStatus": "NONE",
            "resolutions": {
                "resolutionsPerAuthority": [
                    {
                        "authority": authority,
                        "status": {"code": "ER_SUCCESS_MATCH"},
                        "values": [{"value": {"name": ident, "id": ident}}],
                    }
                ]
            },
        }

    def session_ended(self, now: float, reason: str = "EXCEEDED_MAX_REPROMPTS") -> dict[str, Any]:
        envelope = self._base({"type": "SessionEndedRequest", "reason": reason}, now, False)
        self.session_id = None
        return envelope

    def skill_event(self, event_type: str, now: float) -> dict[str, Any]:
        request = {
            "type": event_type,
            "eventCreationTime": iso(now),
            "eventPublishingTime": iso(now),
            "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
        }
        envelope = self._base(request, now, new_session=False)
        envelope.pop("session", None)
        return envelope

    def connections_response(self, name: str, status: str, token: str, now: float) -> dict:
        """Alexa's answer to a skill's Connections.SendRequest (e.g. the reminders "AskFor"),
        in the session that asked."""
        request = {
            "type": "Connections.Response",
            "name": name,
            "status": {"code": "200", "message": "OK"},
            "payload": {"status": status, "isCardThrown": "false"},
            "token": token,
        }
        return self._base(request, now, new_session=self.session_id is None)

    def receive(self, response: dict[str, Any]) -> None:
        """Keep the session's attributes, or forget the session if the skill closed it."""
        self.attributes = dict(response.get("sessionAttributes") or {})
        body = response.get("response") or {}
        if body.get("shouldEndSession", True) is not False:
            self.session_id = None
