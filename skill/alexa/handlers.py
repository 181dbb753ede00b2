"""ask-sdk-core handlers: thin classes in one ordered list, specific to generic.

``can_handle`` looks only at the request's shape. Every handler turns the request into one
game event and hands it to ``GameAdapter.run``, which calls the service and renders.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import zlib
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill import content
from skill.core import Ctx
from skill.core import events as ev
from skill.core.codec import CodecError, decode, encode
from skill.core.effects import AskPrompt, Effect, Partner, Pause, Say, SetReminder
from skill.core.model import Answering
from skill.service import MAX_PENDING, GameService, Notice, Session
from skill.store.port import StoreError

from . import apl
from .intents import HANDLED, intent_event
from .render import Renderer

log = logging.getLogger("skill.alexa")
SESSION_KEY = "game"
MAX_SESSION_GAME = 12 * 1024  # characters of JSON; a real game is a few hundred to ~4 KB
_KEEP: Any = object()


def household_key(user_id: str) -> str:
    """A stable, non-reversible id for the household behind an Alexa user id: the store
    never sees raw user ids."""
    return hashlib.sha256(f"connection-game:{user_id}".encode()).hexdigest()[:40]


_PERSON_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")


def person_key(person_id: str) -> str:
    """A stable, non-reversible id for a recognised voice profile: the game keeps only this,
    never the raw personId."""
    return hashlib.sha256(f"connection-game:person:{person_id}".encode()).hexdigest()[:40]


def person_id(envelope: Any) -> str | None:
    """The raw personId of a recognised speaker (``context.System.person``), or None. Used only
    to build this request's ``alexa:name`` SSML and its hashed key; never stored or logged.
    Anything that does not look like an id is untrusted input and ignored."""
    system = getattr(getattr(envelope, "context", None), "system", None)
    value = getattr(getattr(system, "person", None), "person_id", None)
    if isinstance(value, str) and _PERSON_ID.fullmatch(value):
        return value
    return None


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


# Request timestamps outside these years are not Alexa's (a Lambda does not check them the
# way the web verifier does): the server clock stands in, so no game gets a 1969 or year-9999
# time it could not store and read back.
EARLIEST_TIME = 1_420_070_400  # 2015-01-01
LATEST_TIME = 4_102_444_800  # 2100-01-01


def request_time(envelope: Any) -> int:
    stamp = getattr(getattr(envelope, "request", None), "timestamp", None)
    try:
        seconds = int(stamp.timestamp())
    except (AttributeError, TypeError, ValueError, OverflowError, OSError):
        return int(time.time())
    return seconds if EARLIEST_TIME <= seconds <= LATEST_TIME else int(time.time())


def request_seed(envelope: Any) -> int:
    request_id = getattr(getattr(envelope, "request", None), "request_id", None)
    return zlib.crc32(str(request_id or request_time(envelope)).encode())


_LOCALE = re.compile(r"([a-z]{2,3})(?:[-_]([A-Z]{2}))?", re.IGNORECASE)


def locale_of(envelope: Any) -> str | None:
    """The request's locale as "ll-RR" (or "ll"), or None for anything else: the locale is
    untrusted, and the catalogs are read and cached per locale."""
    locale = getattr(getattr(envelope, "request", None), "locale", None)
    match = _LOCALE.fullmatch(locale) if isinstance(locale, str) else None
    if match is None:
        return None
    language, region = match.group(1).lower(), match.group(2)
    return f"{language}-{region.upper()}" if region else language


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
            if version is not None and (
                isinstance(version, bool)
                or not isinstance(version, int)
                or not 0 <= version < 2**53  # a store's version; SQLite's integers are 64-bit
            ):
                raise CodecError("bad version")
            return Session(
                decode(raw.get("g")), version, raw.get("dirty") is True, _pending(raw.get("pend"))
            )
        except CodecError as exc:
            log.warning("session attributes rejected (%s); reloading from the store", exc)
            return None

    def run(self, hi: HandlerInput, event: ev.Event) -> Response:
        started = time.perf_counter()
        envelope = hi.request_envelope
        raw_person = person_id(envelope)
        renderer = Renderer(locale_of(envelope), raw_person)
        seed = request_seed(envelope)
        ctx = Ctx(
            now=request_time(envelope),
            seed=seed,
            deck=content.prompts(renderer.language).deck,
            person=person_key(raw_person) if raw_person else "",
        )
        turn = self.service.play(household_id(envelope), event, ctx, self.session(hi))
        effects = turn.effects
        if turn.notice is Notice.RECOVERED:
            effects = (Say("error.recovered"), *effects)
        if turn.session is not None:
            own_session_attributes(
                hi,
                {
                    "g": encode(turn.session.game),
                    "ver": turn.session.version,
                    "dirty": turn.session.dirty,
                    **({"pend": list(turn.session.pending)} if turn.session.pending else {}),
                },
            )
        else:
            own_session_attributes(hi, None)
        effects, directives = self._reminder(hi, event, effects, renderer, seed)
        out = renderer.render(effects, seed)
        builder = hi.response_builder
        if out.speech and not isinstance(event, ev.SessionEnded):
            builder.speak(out.speech)
            if out.reprompt is not None:
                builder.ask(out.reprompt)
        if out.end_session is not None and not isinstance(event, ev.SessionEnded):
            builder.set_should_end_session(out.end_session)
        for directive in directives:
            builder.add_directive(directive)
        self._screen(hi, turn.session, effects, renderer, seed)
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

    @staticmethod
    def _reminder(
        hi: HandlerInput,
        event: ev.Event,
        effects: tuple[Effect, ...],
        renderer: Renderer,
        seed: int,
    ) -> tuple[tuple[Effect, ...], list[Any]]:
        """Carry out a ``SetReminder``: say it is set, or that it failed (the rest of the turn
        stays), or hand over to Alexa's permission prompt (the rest of the turn is dropped:
        no goodbye, the answer comes back as a Connections.Response)."""
        for index, effect in enumerate(effects):
            if not isinstance(effect, SetReminder):
                continue
            before, after = effects[:index], effects[index + 1 :]
            from . import reminders  # imports requests (~40 ms): only this turn needs it

            outcome = reminders.create(
                hi,
                effect.seconds,
                renderer.locale,
                renderer.line("reminder.text", seed=seed),
                may_ask=not isinstance(event, ev.ReminderConsent),
            )
            if outcome is reminders.Outcome.ASK:
                return before, [reminders.ask_for_permission()]
            key = "reminder.set" if outcome is reminders.Outcome.CREATED else "reminder.failed"
            return (*before, Say(key), *after), []
        return effects, []

    @staticmethod
    def _screen(
        hi: HandlerInput,
        session: Session | None,
        effects: tuple[Effect, ...],
        renderer: Renderer,
        seed: int,
    ) -> None:
        """A response that asks a prompt carries it on a card for the Alexa app, and on devices
        with a screen, the turn screen (whose turn, the prompt, the countdown)."""
        index = next((i for i, e in enumerate(effects) if isinstance(e, AskPrompt)), None)
        if index is None:
            return
        asked = effects[index]
        assert isinstance(asked, AskPrompt)
        prompt = renderer.book.texts.get(asked.prompt_id, "")
        title = renderer.line("card.title", seed=seed)
        builder = hi.response_builder
        builder.set_card(SimpleCard(title=title, content=prompt))
        if not apl.supports_apl(hi.request_envelope):
            return
        cut = next((i for i in range(index, len(effects)) if isinstance(effects[i], Pause)), None)
        pause = effects[cut] if cut is not None else None
        seconds = pause.seconds if isinstance(pause, Pause) else 0
        words = len(renderer.render(effects[:cut], seed).text.split()) if cut else 0
        speaker = listener = ""
        game = session.game if session is not None else None
        if game is not None and isinstance(game.phase, Answering):
            names, phase = game.household.names, game.phase
            who = phase.evening.speaker(phase.turn)
            speaker = renderer.line("apl.turn", {"speaker": Partner(who, names[who])}, seed)
            other = 1 - who
            listener = renderer.line("apl.listening", {"listener": Partner(other, names[other])})
        builder.add_directive(
            apl.turn_screen(
                title=title,
                speaker=speaker,
                listener=listener,
                prompt=prompt,
                pause_seconds=seconds,
                lead=apl.lead_seconds(words),
            )
        )


def own_session_attributes(hi: HandlerInput, game: Any = _KEEP) -> None:
    """Session attributes hold this skill's game and nothing else.

    Whatever else a session brings back (unknown keys, an oversized or foreign value) is not
    echoed: it would travel on every turn and could push a response past Alexa's 24 KB.
    ``game`` is the new game attribute, None for none, or (default) the one the request
    brought if it is an object of a plausible size.
    """
    if hi.request_envelope.session is None:
        return
    if game is _KEEP:
        game = hi.attributes_manager.session_attributes.get(SESSION_KEY)
        if not isinstance(game, dict) or len(json.dumps(game)) > MAX_SESSION_GAME:
            game = None
    hi.attributes_manager.session_attributes = {} if game is None else {SESSION_KEY: game}


_DIGEST = re.compile(r"[0-9a-f]{16}")


def _pending(raw: Any) -> tuple[str, ...]:
    """Digests of unconfirmed writes (see skill.service); anything malformed counts as none."""
    if not isinstance(raw, list) or len(raw) > MAX_PENDING:
        return ()
    if not all(isinstance(d, str) and _DIGEST.fullmatch(d) for d in raw):
        return ()
    return tuple(raw)


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
            _intent_name(handler_input) in HANDLED
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = handler_input.request_envelope.request.intent
        return self.adapter.run(handler_input, intent_event(intent.name, intent.slots))


def _intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name; None for an IntentRequest without an intent (then: Fallback)."""
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    name = getattr(intent, "name", None)
    return name if isinstance(name, str) else None


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
        error_type = getattr(getattr(request, "error", None), "object_type", None)
        error = getattr(error_type, "value", None)
        if error:
            # The type only: Alexa's error message quotes the response, names included.
            log.warning("session ended: reason=%s error=%s", reason, error)
        self.adapter.run(handler_input, ev.SessionEnded())
        return handler_input.response_builder.response


class ReminderConsentHandler(_GameHandler):
    """Alexa's answer to our "AskFor" reminders permission request (Connections.Response)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return is_request_type("Connections.Response")(handler_input) and (
            getattr(request, "name", None) == "AskFor"
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        payload = getattr(handler_input.request_envelope.request, "payload", None)
        status = payload.get("status") if isinstance(payload, dict) else None
        # ACCEPTED grants; DENIED, NOT_ANSWERED or anything unexpected does not.
        return self.adapter.run(handler_input, ev.ReminderConsent(status == "ACCEPTED"))


class SkillPermissionHandler(AbstractRequestHandler):
    """The user changed this skill's permissions in the Alexa app (out of session). Nothing is
    stored: the next reminder request reads the permission from its own envelope."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.SkillPermissionAccepted")(
            handler_input
        ) or is_request_type("AlexaSkillEvent.SkillPermissionChanged")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        log.info("request=%s noted", get_request_type(handler_input))
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


class OwnSessionAttributes(AbstractResponseInterceptor):
    """Every handled response carries this skill's session attributes and nothing else,
    whichever handler made it (the exception handler, which interceptors skip, does the
    same itself)."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        own_session_attributes(handler_input)


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
        own_session_attributes(handler_input)
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
        ReminderConsentHandler(adapter),
        SkillPermissionHandler(),
        SkillDisabledHandler(adapter),
        OtherRequestHandler(),
    ]
