"""The listening pause on screen: whose turn, the prompt, a bar, and single keys.

Whose turn and the prompt are read from what Alexa said just before the pause, as a person
would: the prompt is the ``<s>`` sentence (or else the last sentence), the speaker the name
that leads a sentence ("Sam, you start."). A pause with neither ("Take your time.") continues
the turn before it.
"""

from __future__ import annotations

import os
import re
import select
import termios
import tty
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from .speech import Text


@dataclass(frozen=True, slots=True)
class Key:
    """A key pressed during a pause: the intent the device sends (the same in every locale),
    and how the transcript shows it."""

    label: str
    intent: str


_NEXT = Key("next", "NextIntent")
KEYS = {
    "\r": _NEXT,
    "\n": _NEXT,
    "m": Key("more time", "MoreTimeIntent"),
    "s": Key("skip", "SkipIntent"),
    "r": Key("repeat", "AMAZON.RepeatIntent"),
    "q": Key("stop", "AMAZON.StopIntent"),
}
KEY_HELP = "Enter next, m more time, s skip, r repeat, q stop"

_CAP = "A-ZÀ-ÖØ-Þ"  # a capital letter, accented ones included
_NAME = rf"(?P<name>partner (?:one|two)|[{_CAP}][\w'’-]*(?: [{_CAP}][\w'’-]*)?)"
_LEAD = re.compile(rf"^(?:[^:]*:\s+)?{_NAME},\s+(?P<rest>.*)$")  # "Sam, you start."
_TRAIL = re.compile(rf"^\w+ \w+, {_NAME}[.!?]$")  # "Now you, Sam."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NOT_NAMES = {
    "Alexa", "Also", "First", "Great", "Hello", "Here", "Hi", "Lovely", "Next", "No", "Now",
    "OK", "Okay", "Right", "So", "Sure", "Thanks", "Then", "Well", "Welcome", "Yes",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Turn:
    name: str | None
    prompt: str

    def title(self) -> str:
        who = f"{self.name}'s turn" if self.name else "Listening"
        return f"{who}: {self.prompt}" if self.prompt else who


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.strip()) if s]


def _named(sentence: str) -> tuple[str, str] | None:
    """(name, the rest) for "Sam, you start." or "Now you, Sam."; None for other sentences."""
    for pattern in (_LEAD, _TRAIL):
        found = pattern.match(sentence)
        if found and found.group("name") not in _NOT_NAMES:
            rest = found.groupdict().get("rest") or ""
            return found.group("name"), rest[:1].upper() + rest[1:]
    return None


def speaker(text: str) -> str | None:
    """The first name that leads a sentence, or closes a short one ("Now you, Sam.")."""
    for sentence in sentences(text):
        if named := _named(sentence):
            return named[0]
    return None


def turn_of(said: Sequence[Text], previous: Turn | None = None) -> Turn | None:
    """Whose turn a listening pause is, from the speech since the last pause: the ``<s>``
    prompt, or else what is asked of the person named ("Alex, ask Sam one question." ->
    "Ask Sam one question.") and what follows it."""
    parts = sentences(" ".join(t.text for t in said))
    prompt = " ".join(t.text for t in said if t.prompt)
    for index, sentence in enumerate(parts):
        if named := _named(sentence):
            name, rest = named
            if not prompt:
                prompt = " ".join(p for p in (rest, *parts[index + 1 :]) if p) or sentence
            return Turn(name, prompt)
    if prompt:
        return Turn(None, prompt)
    if previous is not None:
        return previous  # "Take your time.": the same turn goes on
    return Turn(None, parts[-1]) if parts else None


def clock(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))  # 59.2 s left shows 1:00, as a kitchen timer does
    return f"{whole // 60}:{whole % 60:02d}"


def bar_line(name: str | None, left: float, total: float, width: int, fancy: bool) -> str:
    """One line, at most ``width - 1`` columns (the last column would wrap on some terminals):
    "  Sam  0:42 [#######.......]"."""
    label = (name or "Listening")[:20]
    head = f"  {label}  {clock(left)} "
    room = max(4, width - 1 - len(head) - 2)
    done = round(room * (1 - max(0.0, left) / total)) if total > 0 else room
    full, empty = ("█", "░") if fancy else ("#", ".")
    return f"{head}[{full * done}{empty * (room - done)}]"


@contextmanager
def cbreak(fd: int) -> Iterator[None]:
    """Single keys without Enter or echo; the terminal is restored always (Ctrl-C too)."""
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_key(fd: int, timeout: float) -> Key | None:
    """The key pressed within ``timeout`` seconds, if it is one of ours (others are ignored)."""
    ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
    if not ready:
        return None
    data = os.read(fd, 64).decode(errors="ignore")
    if not data:
        return None
    if data.startswith("\x1b"):
        return None  # arrow keys and friends
    for char in data:
        if char.lower() in KEYS:
            return KEYS[char.lower()]
    return None
