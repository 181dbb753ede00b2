"""ask-sdk-core handlers: thin classes in one ordered list, specific to generic.

``can_handle`` looks only at the request's shape. Every handler turns the request into one
game event and hands it to ``GameAdapter.run``, which calls the service and renders.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from typing import Any

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, get_request_type, is_request_type
from ask_sdk_model import Response

from skill import content
from skill.core import Ctx
from skill.core import events as ev
from skill.core.codec import CodecError, decode, encode
from skill.core.effects import Say
from skill.service import GameService, Notice, Session
from skill.store.port import StoreError

from .intents import HANDLED, intent_event
from .render import Renderer

log = logging.getLogger("skill.alexa")
SESSION_KEY = "game"


def household_key(user_id: str) -> str:
    """A stable, non-reversible id for the household behind an Alexa user id: the store
    never sees raw user ids."""
    return hashlib.sha256(f"connection-game:{user_id}".encode()).hexdigest()[:40]


def household_id(envelope: Any) -> str:
    """The household key for a request envelope (session-scoped if it names no user)."""
    user_id = ""
    system = getattr(getattr(envelope, "context", None), "system", None)
    user = getattr(system, "user", None) or getattr(
        getattr(envelope, "session", None), "user", None
    )
    if user is not None and isinstance(getattr(user, "user_id", None), str):
        user_id = user.user_id
    if not user_id:
        session_id = getattr(getattr(envelope, "session", None), "session_id", None) or "none"
        user_id = f"anonymous:{session_id}"
    return hashlib.sha256(f"connection-game:{user_id}".encode()).hexdigest()[:40]


def request_time(envelope: Any) -> int:
    stamp = getattr(getattr(envelope, "request", None), "timestamp", None)
    try:
        return int(stamp.timestamp())
    except (AttributeError, TypeError, ValueError, OverflowError, OSError):
        return int(time.time())


def request_seed(envelope: Any) -> int:
    request_id = getattr(getattr(envelope, "request", None), "request_id", None)
    return zlib.crc32(str(request_id or request_time(envelope)).encode())


def locale_of(envelope: Any) -> str | None:
    locale = getattr(getattr(envelope, "request", None), "locale", None)
    return locale if isinstance(locale, str) else None


class GameAdapter:
    """Request in, service call, rendered response out. Shared by all handlers."""

    def __init__(self, service: GameService) -> None:
        self.service = service

    def session(self, hi: HandlerInput) -> Session | None:
        envelope = hi.request_envelope
        if envelope.session is None or envelope.session.new:
            return None
        raw = hi.attributes_manager.session_attributes.get(SESSION_KEY)
        if not isinstance(raw, dict):
            return None
        try:
            version = raw.get("ver")
            if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
                raise CodecError("bad version")
            return Session(decode(raw.get("g")), version, raw.get("dirty") is True)
        except CodecError as exc:
            log.warning("session attributes rejected (%s); reloading from the store", exc)
            return None

    def run(self, hi: HandlerInput, event: ev.Event) -> Response:
        started = time.perf_counter()
        envelope = hi.request_envelope
        renderer = Renderer(locale_of(envelope))
        seed = request_seed(envelope)
        ctx = Ctx(
            now=request_time(envelope), seed=seed, deck=content.prompts(renderer.language).deck
        )
        turn = self.service.play(household_id(envelope), event, ctx, self.session(hi))
        effects = turn.effects
        if turn.notice is Notice.RECOVERED:
            effects = (Say("error.recovered"), *effects)
        if turn.session is not None:
            hi.attributes_manager.session_attributes[SESSION_KEY] = {
                "g": encode(turn.session.game),
                "ver": turn.session.version,
                "dirty": turn.session.dirty,
            }
        out = renderer.render(effects, seed)
        builder = hi.response_builder
        if out.speech and not isinstance(event, ev.SessionEnded):
            builder.speak(out.speech)
            if out.reprompt is not None:
                builder.ask(out.reprompt)
        if out.end_session is not None and not isinstance(event, ev.SessionEnded):
            builder.set_should_end_session(out.end_session)
        log.info(
            "request=%s event=%s phase=%s changed=%s notice=%s ms=%.1f",
            get_request_type(hi),
            type(event).__name__,
            type(turn.session.game.phase).__name__ if turn.session else "-",
            turn.changed,
            turn.notice.value if turn.notice else "-",
            (time.perf_counter() - started) * 1000,
        )
        return builder.response


class _GameHandler(AbstractRequestHandler):
    def __init__(self, adapter: GameAdapter) -> None:
        self.adapter = adapter


class LaunchRequestHandler(_GameHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.adapter.run(handler_input, ev.Launch())


class IntentHandler(_GameHandler):
    """Every intent the interaction model declares (the mapping lives in intents.py)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input) and (
            get_intent_name(handler_input) in HANDLED
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = handler_input.request_envelope.request.intent
        return self.adapter.run(handler_input, intent_event(intent.name, intent.slots))


class UnknownIntentHandler(_GameHandler):
    """An intent this skill does not declare (a stale model, a test): like Fallback."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.adapter.run(handler_input, ev.Fallback())


class SessionEndedRequestHandler(_GameHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(getattr(request, "reason", None), "value", None)
        error = getattr(getattr(request, "error", None), "message", None)
        if error:
            log.warning("session ended: reason=%s error=%s", reason, error)
        self.adapter.run(handler_input, ev.SessionEnded())
        return handler_input.response_builder.response


class SkillDisabledHandler(_GameHandler):
    """The skill was disabled on this account: delete everything about the household."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        try:
            self.adapter.service.forget(household_id(handler_input.request_envelope))
        except StoreError as exc:
            # Fail the event (not a spoken apology) so Alexa delivers it again.
            raise ForgetFailed("could not delete a disabled household") from exc
        log.info("request=AlexaSkillEvent.SkillDisabled household deleted")
        return handler_input.response_builder.response


class OtherRequestHandler(AbstractRequestHandler):
    """Request types this skill does not use get an empty, valid response."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("request=%s ignored", get_request_type(handler_input))
        return handler_input.response_builder.response


class ForgetFailed(Exception):
    """Deleting a household for a SkillDisabled event failed; the event must be retried."""


class ErrorHandler(AbstractExceptionHandler):
    """Last resort: apologise and keep the game going. A failed SkillDisabled deletion is
    not caught, so the event fails and is delivered again."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return not isinstance(exception, ForgetFailed)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error(
            "unhandled %s in %s",
            type(exception).__name__,
            get_request_type(handler_input),
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        if is_request_type("LaunchRequest")(handler_input) or is_request_type("IntentRequest")(
            handler_input
        ):
            renderer = Renderer(locale_of(handler_input.request_envelope))
            sorry = renderer.render([Say("error.sorry")]).speech
            question = renderer.render([Say("error.question")]).speech
            handler_input.response_builder.speak(f"{sorry} {question}").ask(question)
        return handler_input.response_builder.response


def handlers(adapter: GameAdapter) -> list[AbstractRequestHandler]:
    """The dispatch order: specific to generic, catch-all last (first match wins)."""
    return [
        LaunchRequestHandler(adapter),
        IntentHandler(adapter),
        UnknownIntentHandler(adapter),
        SessionEndedRequestHandler(adapter),
        SkillDisabledHandler(adapter),
        OtherRequestHandler(),
    ]
