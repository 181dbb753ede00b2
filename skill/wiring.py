"""The composition root: picks the store, builds the skill, serves envelopes as dicts."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from skill.alexa.intents import untrusted_slots
from skill.alexa.skill import build_skill
from skill.config import Settings
from skill.service import GameService
from skill.store.port import ProgressStore

log = logging.getLogger("skill")
EMPTY_RESPONSE: dict[str, Any] = {"version": "1.0", "response": {}}


class ForeignSkill(Exception):
    """The request names another skill's application id."""


class InvalidEnvelope(Exception):
    """The request body is not an Alexa request envelope."""


def make_store(settings: Settings) -> ProgressStore:
    if settings.table_name:
        from skill.store.dynamodb import DynamoDbStore

        return DynamoDbStore(settings.table_name)
    from skill.store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path())


class SkillApp:
    """One skill object for every entry point: Lambda, the web service, the terminal device."""

    def __init__(self, settings: Settings, store: ProgressStore | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else make_store(settings)
        self.service = GameService(self.store)
        self.skill: CustomSkill = build_skill(self.service, settings.skill_id)
        self.serializer = Serializer()
        self.skill.serializer = self.serializer

    def application_id(self, envelope: dict[str, Any]) -> str | None:
        for path in (("context", "System", "application"), ("session", "application")):
            node: Any = envelope
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and isinstance(node.get("applicationId"), str):
                return str(node["applicationId"])
        return None

    def handle(self, envelope: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """Serve one request envelope. Raises ForeignSkill for another skill's request and
        InvalidEnvelope for a body that is not a request envelope."""
        if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
            raise InvalidEnvelope("not an Alexa request envelope")
        skill_id = self.settings.skill_id
        if skill_id is not None and self.application_id(envelope) != skill_id:
            raise ForeignSkill("request for another skill")
        if skill_id is not None and not _has_context_application_id(envelope):
            # The SDK checks context.System.application only; Alexa always sends it.
            raise InvalidEnvelope("no application id in context.System")
        serializer = self.serializer
        try:
            request = serializer.envelope(untrusted_slots(envelope))
        except Exception as exc:  # the SDK raises several types for malformed fields
            raise InvalidEnvelope(f"malformed request envelope: {type(exc).__name__}") from exc
        if request.request is None or request.context is None:
            raise InvalidEnvelope("request envelope without request or context")
        try:
            response = self.skill.invoke(request_envelope=request, context=context)
        except AskSdkException as exc:
            raise ForeignSkill(str(exc)) from exc
        return serializer.serialize(response)  # type: ignore[no-any-return]


_CLASSES: dict[str, Any] = {}  # model class by name
_FIELDS: dict[type, list[tuple[str, str]]] = {}  # model class -> (attribute, JSON key)
_PRIMITIVE = (str, bool, int, float, bytes)


class Serializer(DefaultSerializer):
    """ask-sdk-core's serializer without the per-request costs it need not have (measured by
    tests/bench/bench_lambda.py; same output):

    - the request is built from the envelope as parsed, not dumped to JSON and parsed again;
    - ISO 8601 timestamps are read by the standard library (dateutil, ~30 us a parse and
      ~9 ms to import, only for a form the standard library cannot read);
    - a model class is resolved once per name, not by ``__import__`` for every object;
    - a response object's (attribute, JSON key) pairs are worked out once per class, not for
      every object (the SDK also rewrites the class's ``attribute_map`` each time).

    Three of these reach private (name-mangled) members of DefaultSerializer: should a
    release of the SDK rename them, the SDK's own code runs instead and nothing else changes.
    """

    def envelope(self, payload: dict[str, Any]) -> RequestEnvelope:
        deserialize = getattr(self, "_DefaultSerializer__deserialize", None)
        if deserialize is None:
            return self.deserialize(payload=json.dumps(payload), obj_type=RequestEnvelope)
        return deserialize(payload, RequestEnvelope)

    def serialize(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, _PRIMITIVE):
            return obj
        if isinstance(obj, dict):
            return {key: self.serialize(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self.serialize(item) for item in obj]
        fields = _FIELDS.get(type(obj))
        if fields is None:
            types = getattr(obj, "deserialized_types", None)
            if not isinstance(types, dict) or isinstance(obj, (tuple, date, Enum, Decimal)):
                return super().serialize(obj)  # tuples, dates, enums, decimals: the SDK's way
            names = getattr(obj, "attribute_map", None) or {}
            fields = _FIELDS[type(obj)] = [(attr, names.get(attr, attr)) for attr in types]
        out = {}
        for attr, key in fields:
            value = getattr(obj, attr)
            if value is not None:
                out[key] = self.serialize(value)
        return out

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, str):
            try:
                parsed = datetime.fromisoformat(payload)
            except ValueError:
                pass
            else:
                return parsed.date() if obj_type is date else parsed
        return super()._DefaultSerializer__deserialize_datetime(payload, obj_type)

    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        found = _CLASSES.get(class_name)
        if found is None:
            found = super()._DefaultSerializer__load_class_from_name(class_name)
            _CLASSES[class_name] = found
        return found


def _has_context_application_id(envelope: dict[str, Any]) -> bool:
    node: Any = envelope
    for key in ("context", "System", "application"):
        node = node.get(key) if isinstance(node, dict) else None
    return isinstance(node, dict) and isinstance(node.get("applicationId"), str)


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("skill").setLevel(settings.log_level)
    # The AWS SDK logs whole requests at DEBUG (stored games, names included): whatever the
    # root level (Lambda's log-level setting changes it), it says nothing below WARNING.
    for noisy in ("boto3", "botocore", "s3transfer", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
