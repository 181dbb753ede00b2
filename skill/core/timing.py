"""Time rules: listening pauses, talk-time caps, when an interrupted evening goes stale."""

from __future__ import annotations

from .model import PAUSE_MAX, PAUSE_MIN

MAX_BREAK = 10  # Alexa: one <break> is at most 10 s
TALK_CAP = 15 * 60  # an answer cut off by the end of a session counts at most this long
STALE_AFTER = 12 * 60 * 60  # an interrupted evening is offered again within 12 hours
REFLECT_SECONDS = 30
CLOSING_SECONDS = 30
DAY = 24 * 60 * 60


def clamp_pause(seconds: int) -> int:
    return max(PAUSE_MIN, min(PAUSE_MAX, seconds))


def talk_seconds(since: int, now: int) -> int:
    """Seconds of talk between two request timestamps: never negative, capped."""
    return max(0, min(now - since, TALK_CAP))


def break_chunks(seconds: int) -> list[int]:
    """A pause as a chain of breaks, none longer than Alexa allows."""
    whole, rest = divmod(max(0, seconds), MAX_BREAK)
    return [MAX_BREAK] * whole + ([rest] if rest else [])


def epoch_day(timestamp: int) -> int:
    return timestamp // DAY


def ladder(index: int, length: int) -> int:
    """How far prompt ``index`` of ``length`` climbs above the evening's starting depth."""
    return (index * 3) // max(1, length)


def target_depth(comfort: int, index: int, length: int, shift: int) -> int:
    return max(1, min(3, comfort + ladder(index, length) + shift))
