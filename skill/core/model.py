"""The game's state: a household, its history, the evening in progress, and one type per phase.

Everything here is an immutable value. Names are kept as given ("" means the partner skipped
giving a name; the renderer then says "partner one" / "partner two").
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAUSE_DEFAULT = 60
PAUSE_MIN = 30
PAUSE_MAX = 180
LENGTHS = {"quick": 3, "standard": 5, "long": 8}
LENGTH_DEFAULT = LENGTHS["standard"]
NAME_MAX = 40
MAX_EVENING_DAYS = 62  # enough to answer "evenings this month"
REMINDER_STATES = ("unasked", "declined", "set")


@dataclass(frozen=True, slots=True)
class History:
    """What survives evenings; it changes only when an evening ends."""

    evenings: int = 0
    seen: tuple[str, ...] = ()  # prompt ids heard, least recent first, each once
    favourites: tuple[str, ...] = ()
    evening_days: tuple[int, ...] = ()  # epoch day of each finished evening, oldest first
    talk: tuple[int, int] = (0, 0)  # lifetime seconds of talk per partner


@dataclass(frozen=True, slots=True)
class Household:
    names: tuple[str, str] = ("", "")
    pause_seconds: int = PAUSE_DEFAULT
    length: int = LENGTH_DEFAULT
    next_first: int = 0  # partner who opens the next evening
    comfort: int = 1  # depth the next evening starts at (1 light, 2 personal, 3 deep)
    taught_reentry: bool = False
    history: History = field(default_factory=History)
    reminder: str = "unasked"  # the nightly-reminder offer: unasked, declined or set
    focus: str = ""  # theme the last check-in chose for the next evening ("" none)
    focus_reflection: str = ""  # reflection style the check-in chose ("" the prompt's own)
    voices: tuple[str, str] = ("", "")  # hashed voice-profile ids per partner ("" unknown)

    def voice_of(self, person: str) -> int | None:
        """The partner whose recognised voice this is, if known."""
        if person and person in self.voices:
            return self.voices.index(person)
        return None


@dataclass(frozen=True, slots=True)
class Evening:
    started_at: int
    length: int
    first: int  # partner who answers the evening's first prompt first
    asked: tuple[str, ...] = ()  # prompts asked tonight; the last one is the current prompt
    skipped: tuple[str, ...] = ()  # swapped away tonight: heard, but not counted
    saved: tuple[str, ...] = ()  # favourites saved tonight
    shift: int = 0  # "lighter please" / "go deeper" moves, net
    talk: tuple[int, int] = (0, 0)  # seconds per partner tonight
    favourites: bool = False  # an evening drawn from the couple's favourites
    focus: str = ""  # tonight's theme, chosen by a check-in ("" any)
    reflection: str = ""  # tonight's reflection style, chosen by a check-in ("" the prompt's)

    @property
    def current(self) -> str:
        return self.asked[-1]

    def opener(self, index: int) -> int:
        """Partner who answers prompt number ``index`` first: alternates every prompt."""
        return (self.first + index) % 2

    def speaker(self, turn: int) -> int:
        """Partner answering the current prompt on ``turn`` (0 first answer, 1 second)."""
        return (self.opener(len(self.asked) - 1) + turn) % 2


# --- phases: one type each, carrying exactly what the phase needs -------------------------


@dataclass(frozen=True, slots=True)
class Ready:
    """Between evenings: names known, asked whether to start."""


@dataclass(frozen=True, slots=True)
class AskingName:
    """Asking for partner ``slot``'s first name; ``then`` is where the game goes afterwards."""

    slot: int
    then: Phase


@dataclass(frozen=True, slots=True)
class Scene:
    """An evening is starting: phones down, face each other; asked if ready for the first one."""

    evening: Evening
    since: int


@dataclass(frozen=True, slots=True)
class Answering:
    """A partner is answering the current prompt during a listening pause."""

    evening: Evening
    turn: int
    since: int  # when the answer began (request timestamp)


@dataclass(frozen=True, slots=True)
class Reflecting:
    """After answer ``turn``, the listener reflects (a follow-up, a say-back, a celebration)."""

    evening: Evening
    turn: int
    kind: str
    since: int


@dataclass(frozen=True, slots=True)
class Closing:
    """Each partner names one thing they heard tonight and want to remember."""

    evening: Evening
    turn: int
    since: int


@dataclass(frozen=True, slots=True)
class Paused:
    """The session ended mid-evening; ``was`` is the phase to pick up, its talk already counted."""

    was: EveningPhase
    at: int


@dataclass(frozen=True, slots=True)
class OfferReminder:
    """The evening is over; asked "Want me to remind you tomorrow at this time?"."""


@dataclass(frozen=True, slots=True)
class CheckingIn:
    """A check-in: five yes/no reflections. Only the choice they lead to is kept, never the
    answers: ``theme`` and ``reflection`` are "" until an answer points somewhere."""

    index: int
    theme: str
    reflection: str


@dataclass(frozen=True, slots=True)
class ConfirmVoice:
    """A recognised voice not yet linked: asked "Is this {name}?" for ``partner``.
    ``person`` is the hashed voice-profile id; ``then`` is where the game goes next."""

    person: str
    partner: int
    then: Phase


@dataclass(frozen=True, slots=True)
class ConfirmForget:
    """Asked "Shall I forget everything about you?"; ``back`` is the phase if they say no."""

    back: Phase


EveningPhase = Scene | Answering | Reflecting | Closing
Phase = (
    Ready
    | AskingName
    | Scene
    | Answering
    | Reflecting
    | Closing
    | Paused
    | ConfirmForget
    | OfferReminder
    | CheckingIn
    | ConfirmVoice
)
EVENING_PHASES = (Scene, Answering, Reflecting, Closing)


@dataclass(frozen=True, slots=True)
class Game:
    household: Household
    phase: Phase

    @staticmethod
    def new() -> Game:
        return Game(Household(), AskingName(0, Ready()))


def clean_name(raw: str) -> str:
    """A first name as a person would write it: printable, trimmed, capitalised, bounded."""
    text = "".join(ch if ch.isprintable() else " " for ch in raw)
    text = " ".join(text.split())[:NAME_MAX].strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text
