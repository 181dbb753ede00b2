"""What can happen to a game: one type per kind of input. Adapters build these from requests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Launch:
    """The couple opened the skill."""


@dataclass(frozen=True, slots=True)
class GiveName:
    name: str


@dataclass(frozen=True, slots=True)
class Yes:
    pass


@dataclass(frozen=True, slots=True)
class No:
    pass


@dataclass(frozen=True, slots=True)
class Next:
    """Done talking, ready, next question."""


@dataclass(frozen=True, slots=True)
class Skip:
    pass


@dataclass(frozen=True, slots=True)
class Repeat:
    pass


@dataclass(frozen=True, slots=True)
class MoreTime:
    pass


@dataclass(frozen=True, slots=True)
class Lighter:
    pass


@dataclass(frozen=True, slots=True)
class Deeper:
    pass


@dataclass(frozen=True, slots=True)
class SetPause:
    seconds: int


@dataclass(frozen=True, slots=True)
class StartEvening:
    length: int | None = None  # number of prompts; None keeps the household's choice


@dataclass(frozen=True, slots=True)
class SaveFavourite:
    pass


@dataclass(frozen=True, slots=True)
class PlayFavourites:
    pass


@dataclass(frozen=True, slots=True)
class Stats:
    pass


@dataclass(frozen=True, slots=True)
class ChangeNames:
    pass


@dataclass(frozen=True, slots=True)
class StartOver:
    pass


@dataclass(frozen=True, slots=True)
class Forget:
    pass


@dataclass(frozen=True, slots=True)
class CheckIn:
    """ "Ask connection game for a check-in"."""


@dataclass(frozen=True, slots=True)
class MyTurn:
    """ "It's my turn", said by a recognised voice (the person comes in through Ctx)."""


@dataclass(frozen=True, slots=True)
class ReminderConsent:
    """Alexa's answer to our request for the reminders permission."""

    granted: bool


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop, cancel, go home: save and say goodbye."""


@dataclass(frozen=True, slots=True)
class Fallback:
    """Something was said that fits no intent (or a slot was missing)."""


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The device closed the session (silence, error, or the user left)."""


Event = (
    Launch
    | GiveName
    | Yes
    | No
    | Next
    | Skip
    | Repeat
    | MoreTime
    | Lighter
    | Deeper
    | SetPause
    | StartEvening
    | SaveFavourite
    | PlayFavourites
    | Stats
    | ChangeNames
    | StartOver
    | Forget
    | Help
    | Stop
    | Fallback
    | SessionEnded
    | CheckIn
    | MyTurn
    | ReminderConsent
)
