"""Alexa requests -> game events: intent names, slot values, durations, lengths.

Slot values are untrusted input: anything missing or malformed becomes ``Fallback`` so the
game answers with a question instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from skill.core import events as ev
from skill.core.model import LENGTHS

SIMPLE: dict[str, Callable[[], ev.Event]] = {
    "NextIntent": ev.Next,
    "SkipIntent": ev.Skip,
    "MoreTimeIntent": ev.MoreTime,
    "LighterIntent": ev.Lighter,
    "DeeperIntent": ev.Deeper,
    "SaveFavouriteIntent": ev.SaveFavourite,
    "PlayFavouritesIntent": ev.PlayFavourites,
    "StatsIntent": ev.Stats,
    "ChangeNamesIntent": ev.ChangeNames,
    "ForgetUsIntent": ev.Forget,
    "CheckInIntent": ev.CheckIn,
    "MyTurnIntent": ev.MyTurn,
    "AMAZON.YesIntent": ev.Yes,
    "AMAZON.NoIntent": ev.No,
    "AMAZON.RepeatIntent": ev.Repeat,
    "AMAZON.StartOverIntent": ev.StartOver,
    "AMAZON.HelpIntent": ev.Help,
    "AMAZON.StopIntent": ev.Stop,
    "AMAZON.CancelIntent": ev.Stop,
    "AMAZON.NavigateHomeIntent": ev.Stop,
    "AMAZON.FallbackIntent": ev.Fallback,
}
WITH_SLOTS = ("NameIntent", "SetPauseIntent", "StartEveningIntent")
HANDLED = (*SIMPLE, *WITH_SLOTS)

_DURATION = re.compile(
    r"^P(?:(?P<d>\d{1,3})D)?(?:T(?:(?P<h>\d{1,3})H)?(?:(?P<m>\d{1,4})M)?(?:(?P<s>\d{1,5})S)?)?$"
)


def untrusted_slots(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope with its intent's slots as Alexa sends them, or without them.

    The SDK's deserializer turns a mistyped slot value into its Python text (an object
    becomes "{'a': 1}", a number "7"), which would then pass for a spoken name. So, before
    it runs: slots that are not an object of objects are dropped, and so is a slot value that
    is not a string. Only the changed path is copied; the caller's envelope is left as is.
    """
    request = envelope.get("request")
    intent = request.get("intent") if isinstance(request, dict) else None
    if not isinstance(intent, dict) or "slots" not in intent:
        return envelope
    raw = intent["slots"]
    slots: dict[str, Any] = {}
    if isinstance(raw, dict):
        for key, slot in raw.items():
            if not isinstance(slot, dict):
                continue
            if "value" in slot and not isinstance(slot["value"], str):
                slot = {k: v for k, v in slot.items() if k not in ("value", "slotValue")}
            slots[key] = slot
    if slots == raw:
        return envelope
    return {**envelope, "request": {**request, "intent": {**intent, "slots": slots}}}


def slot_value(slots: Any, name: str) -> str | None:
    """A slot's spoken value, or None. Tolerates missing, null and mistyped slots."""
    if not isinstance(slots, dict):
        return None
    slot = slots.get(name)
    value = getattr(slot, "value", None) if slot is not None else None
    if isinstance(value, str) and value.strip():
        return value
    return None


def slot_resolution(slots: Any, name: str) -> str | None:
    """The entity id that entity resolution matched for a custom slot, if any."""
    if not isinstance(slots, dict) or slots.get(name) is None:
        return None
    try:
        for authority in slots[name].resolutions.resolutions_per_authority or []:
            if authority.status and str(authority.status.code.value) == "ER_SUCCESS_MATCH":
                return str(authority.values[0].value.id)
    except (AttributeError, IndexError, TypeError):
        return None
    return None


def duration_seconds(iso: str | None) -> int | None:
    """Seconds in an ISO-8601 duration as Alexa sends it ("PT2M", "PT90S"); None if not one."""
    if not iso:
        return None
    match = _DURATION.match(iso.strip().upper())
    if not match or iso.strip().upper() in ("P", "PT"):
        return None
    d, h, m, s = (int(match.group(k) or 0) for k in "dhms")
    return ((d * 24 + h) * 60 + m) * 60 + s


def length_of(value: str | None) -> int | None:
    if value is None:
        return None
    return LENGTHS.get(value.strip().lower())


def intent_event(name: str, slots: Any) -> ev.Event:
    factory = SIMPLE.get(name)
    if factory is not None:
        return factory()
    if name == "NameIntent":
        value = slot_value(slots, "name")
        return ev.GiveName(value) if value else ev.Fallback()
    if name == "SetPauseIntent":
        seconds = duration_seconds(slot_value(slots, "duration"))
        return ev.SetPause(seconds) if seconds else ev.Fallback()
    if name == "StartEveningIntent":
        key = slot_resolution(slots, "length") or slot_value(slots, "length")
        return ev.StartEvening(length_of(key))
    return ev.Fallback()
