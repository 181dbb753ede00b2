"""Versioned, validating codec: Game <-> plain JSON-ready dicts.

Stored items and session attributes are untrusted input. ``decode`` accepts only what
``encode`` could have produced (types, ranges, sizes, phase invariants) and raises
``CodecError`` otherwise, so an adapter can recover to a safe phase instead of crashing.
Older schema versions are upgraded here, in ``_UPGRADES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .deck import REFLECTIONS
from .model import (
    LENGTHS,
    MAX_EVENING_DAYS,
    NAME_MAX,
    PAUSE_MAX,
    PAUSE_MIN,
    REMINDER_STATES,
    Answering,
    AskingName,
    CheckingIn,
    Closing,
    ConfirmForget,
    ConfirmVoice,
    Evening,
    EveningPhase,
    Game,
    History,
    Household,
    OfferReminder,
    Paused,
    Phase,
    Ready,
    Reflecting,
    Scene,
)

VERSION = 1
MAX_IDS = 5000  # more prompt ids than any deck will hold
MAX_ID_LEN = 40
MAX_NESTING = 4
CHECKIN_QUESTIONS = 5
MAX_LENGTH = max(LENGTHS.values())


class CodecError(ValueError):
    """Stored or session data that is not a valid game."""


Doc = dict[str, Any]

# --- encode --------------------------------------------------------------------------------


def encode(game: Game) -> Doc:
    h = game.household
    return {
        "v": VERSION,
        "household": {
            "names": list(h.names),
            "pause": h.pause_seconds,
            "length": h.length,
            "next_first": h.next_first,
            "comfort": h.comfort,
            "taught": h.taught_reentry,
            "reminder": h.reminder,
            "focus": [h.focus, h.focus_reflection],
            "voices": list(h.voices),
        },
        "history": encode_history(h.history),
        "phase": _encode_phase(game.phase),
    }


def encode_history(hist: History) -> Doc:
    return {
        "evenings": hist.evenings,
        "seen": list(hist.seen),
        "favourites": list(hist.favourites),
        "days": list(hist.evening_days),
        "talk": list(hist.talk),
    }


def _encode_evening(e: Evening) -> Doc:
    return {
        "started_at": e.started_at,
        "length": e.length,
        "first": e.first,
        "asked": list(e.asked),
        "skipped": list(e.skipped),
        "saved": list(e.saved),
        "shift": e.shift,
        "talk": list(e.talk),
        "favourites": e.favourites,
        "focus": [e.focus, e.reflection],
    }


def _encode_phase(phase: Phase) -> Doc:
    match phase:
        case Ready():
            return {"t": "ready"}
        case AskingName(slot=slot, then=then):
            return {"t": "asking_name", "slot": slot, "then": _encode_phase(then)}
        case Scene(evening=e, since=since):
            return {"t": "scene", "evening": _encode_evening(e), "since": since}
        case Answering(evening=e, turn=turn, since=since):
            return {"t": "answering", "evening": _encode_evening(e), "turn": turn, "since": since}
        case Reflecting(evening=e, turn=turn, kind=kind, since=since):
            return {
                "t": "reflecting",
                "evening": _encode_evening(e),
                "turn": turn,
                "kind": kind,
                "since": since,
            }
        case Closing(evening=e, turn=turn, since=since):
            return {"t": "closing", "evening": _encode_evening(e), "turn": turn, "since": since}
        case Paused(was=was, at=at):
            return {"t": "paused", "was": _encode_phase(was), "at": at}
        case ConfirmForget(back=back):
            return {"t": "confirm_forget", "back": _encode_phase(back)}
        case OfferReminder():
            return {"t": "offer_reminder"}
        case CheckingIn(index=index, theme=theme, reflection=reflection):
            return {"t": "checking_in", "index": index, "focus": [theme, reflection]}
        case ConfirmVoice(person=person, partner=who, then=then):
            return {
                "t": "confirm_voice",
                "person": person,
                "partner": who,
                "then": _encode_phase(then),
            }
    raise CodecError(f"cannot encode phase {type(phase).__name__}")


# --- decode --------------------------------------------------------------------------------


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CodecError(f"{what}: expected an object")
    return value


def _int(doc: Mapping[str, Any], key: str, lo: int, hi: int) -> int:
    value = doc.get(key)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)  # numbers read from DynamoDB arrive as Decimal
    if isinstance(value, bool) or not isinstance(value, int):
        raise CodecError(f"{key}: expected an integer")
    if not lo <= value <= hi:
        raise CodecError(f"{key}: out of range")  # never the value: it may not even print
    return value


def _bool(doc: Mapping[str, Any], key: str) -> bool:
    value = doc.get(key)
    if not isinstance(value, bool):
        raise CodecError(f"{key}: expected true or false")
    return value


def _str(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or len(value) > max_len:
        raise CodecError(f"{what}: expected a short string")
    return value


def _ids(doc: Mapping[str, Any], key: str, max_items: int = MAX_IDS) -> tuple[str, ...]:
    value = doc.get(key)
    if not isinstance(value, list) or len(value) > max_items:
        raise CodecError(f"{key}: expected a list of prompt ids")
    ids = tuple(_str(v, key, MAX_ID_LEN) for v in value)
    if any(not pid for pid in ids):
        raise CodecError(f"{key}: empty prompt id")
    return ids


def _pair(doc: Mapping[str, Any], key: str) -> tuple[int, int]:
    value = doc.get(key)
    if not isinstance(value, list) or len(value) != 2:
        raise CodecError(f"{key}: expected two numbers")
    pair = {"a": value[0], "b": value[1]}
    return (_int(pair, "a", 0, 10**9), _int(pair, "b", 0, 10**9))


TIME_MAX = 10**11  # epoch seconds, far future


def decode(doc: Any) -> Game:
    """A game from a stored or session document; raises CodecError on anything invalid."""
    doc = _obj(doc, "game")
    try:
        version = _int(doc, "v", 1, VERSION)
    except CodecError:
        raise CodecError("missing or unknown schema version") from None
    while version < VERSION:
        doc, version = _UPGRADES[version](doc), version + 1
    hh = _obj(doc.get("household"), "household")
    names_raw = hh.get("names")
    if not isinstance(names_raw, list) or len(names_raw) != 2:
        raise CodecError("names: expected two")
    names = (_str(names_raw[0], "name", NAME_MAX), _str(names_raw[1], "name", NAME_MAX))
    focus, focus_reflection = _focus(hh.get("focus", ["", ""]))
    voices_raw = hh.get("voices", ["", ""])
    if not isinstance(voices_raw, list) or len(voices_raw) != 2:
        raise CodecError("voices: expected two")
    voices = (
        _str(voices_raw[0], "voice", MAX_ID_LEN * 2),
        _str(voices_raw[1], "voice", MAX_ID_LEN * 2),
    )
    household = Household(
        names=names,
        pause_seconds=_int(hh, "pause", PAUSE_MIN, PAUSE_MAX),
        length=_int(hh, "length", 1, MAX_LENGTH),
        next_first=_int(hh, "next_first", 0, 1),
        comfort=_int(hh, "comfort", 1, 3),
        taught_reentry=_bool(hh, "taught"),
        history=decode_history(doc.get("history")),
        reminder=_choice(hh.get("reminder", "unasked"), REMINDER_STATES, "reminder"),
        focus=focus,
        focus_reflection=focus_reflection,
        voices=voices,
    )
    return Game(household, _decode_phase(doc.get("phase"), 0))


def decode_history(value: Any) -> History:
    hist = _obj(value, "history")
    days = hist.get("days")
    if not isinstance(days, list) or len(days) > MAX_EVENING_DAYS:
        raise CodecError("days: expected a short list")
    return History(
        evenings=_int(hist, "evenings", 0, 10**6),
        seen=_ids(hist, "seen"),
        favourites=_ids(hist, "favourites"),
        evening_days=tuple(_int({"d": d}, "d", 0, 10**6) for d in days),
        talk=_pair(hist, "talk"),
    )


THEME_MAX = 40


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise CodecError(f"{what}: unknown value")
    return str(value)


def _focus(value: Any) -> tuple[str, str]:
    """A (theme, reflection) choice; ("", "") when there is none."""
    if not isinstance(value, list) or len(value) != 2:
        raise CodecError("focus: expected two")
    theme = _str(value[0], "focus theme", THEME_MAX)
    reflection = _choice(value[1], ("", *REFLECTIONS), "focus reflection")
    if bool(theme) != bool(reflection):
        raise CodecError("focus: theme and reflection come together")
    return theme, reflection


def _decode_evening(value: Any) -> Evening:
    e = _obj(value, "evening")
    length = _int(e, "length", 1, MAX_LENGTH)
    asked = _ids(e, "asked", MAX_LENGTH)
    if len(asked) > length:
        raise CodecError("more prompts asked than the evening holds")
    focus, reflection = _focus(e.get("focus", ["", ""]))
    return Evening(
        started_at=_int(e, "started_at", 0, TIME_MAX),
        length=length,
        first=_int(e, "first", 0, 1),
        asked=asked,
        skipped=_ids(e, "skipped", 200),
        saved=_ids(e, "saved", MAX_LENGTH),
        shift=_int(e, "shift", -2, 2),
        talk=_pair(e, "talk"),
        favourites=_bool(e, "favourites"),
        focus=focus,
        reflection=reflection,
    )


def _decode_phase(value: Any, depth: int) -> Phase:
    if depth > MAX_NESTING:
        raise CodecError("phases nested too deeply")
    p = _obj(value, "phase")
    kind = p.get("t")
    decoder = _PHASES.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise CodecError("unknown phase")  # never quote stored text: messages reach logs
    return decoder(p, depth)


def _evening_phase(p: Mapping[str, Any], depth: int) -> EveningPhase:
    phase = _decode_phase(p, depth)
    if not isinstance(phase, Scene | Answering | Reflecting | Closing):
        raise CodecError("paused phase must be part of an evening")
    return phase


def _with_prompt(p: Mapping[str, Any]) -> Evening:
    e = _decode_evening(p.get("evening"))
    if not e.asked:
        raise CodecError("this phase needs a current prompt")
    return e


def _reflecting(p: Mapping[str, Any], depth: int) -> Reflecting:
    kind = p.get("kind")
    if kind not in REFLECTIONS:
        raise CodecError("unknown reflection kind")
    return Reflecting(_with_prompt(p), _int(p, "turn", 0, 1), kind, _int(p, "since", 0, TIME_MAX))


_PHASES: dict[str, Callable[[Mapping[str, Any], int], Phase]] = {
    "ready": lambda p, d: Ready(),
    "asking_name": lambda p, d: AskingName(
        _int(p, "slot", 0, 1), _decode_phase(p.get("then"), d + 1)
    ),
    "scene": lambda p, d: Scene(_decode_evening(p.get("evening")), _int(p, "since", 0, TIME_MAX)),
    "answering": lambda p, d: Answering(
        _with_prompt(p), _int(p, "turn", 0, 1), _int(p, "since", 0, TIME_MAX)
    ),
    "reflecting": _reflecting,
    "closing": lambda p, d: Closing(
        _with_prompt(p), _int(p, "turn", 0, 1), _int(p, "since", 0, TIME_MAX)
    ),
    "paused": lambda p, d: Paused(
        _evening_phase(_obj(p.get("was"), "was"), d + 1), _int(p, "at", 0, TIME_MAX)
    ),
    "confirm_forget": lambda p, d: ConfirmForget(_decode_phase(p.get("back"), d + 1)),
    "offer_reminder": lambda p, d: OfferReminder(),
    "checking_in": lambda p, d: CheckingIn(
        _int(p, "index", 0, CHECKIN_QUESTIONS - 1), *_focus(p.get("focus"))
    ),
    "confirm_voice": lambda p, d: ConfirmVoice(
        _str(p.get("person"), "person", MAX_ID_LEN * 2) or _no("person"),
        _int(p, "partner", 0, 1),
        _decode_phase(p.get("then"), d + 1),
    ),
}


def _no(what: str) -> str:
    raise CodecError(f"{what}: empty")


# Version n -> n+1 upgrades of stored documents. Version 1 is the first.
_UPGRADES: dict[int, Callable[[Mapping[str, Any]], Doc]] = {}
