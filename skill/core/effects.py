"""What the game asks a front end to do: data only, no text, no SSML, no I/O.

A front end renders a step's effects in order. ``Say`` names a line in the speech catalog;
``AskPrompt`` names a prompt in the deck; ``Pause`` is a listening pause ending in a soft
sound; ``Listen`` is the question that keeps the session open (always last when present);
``End`` closes the session; ``Erase`` asks the shell to delete everything stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner as a speech parameter: the renderer says the name, or "partner one/two"."""

    index: int
    name: str
    voice: bool = False  # this partner is the recognised speaker of the request


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme's spoken name as a speech parameter."""

    theme: str


@dataclass(frozen=True, slots=True)
class PromptRef:
    """A prompt's text (or its written follow-up question) as a speech parameter."""

    prompt_id: str
    part: str = "text"


Param = str | int | Partner | PromptRef | Theme
Params = Mapping[str, Param]


@dataclass(frozen=True, slots=True)
class Say:
    key: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AskPrompt:
    prompt_id: str


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: int


@dataclass(frozen=True, slots=True)
class Listen:
    key: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetReminder:
    """Create a reminder ``seconds`` from now. The front end says whether it worked (or asks
    Alexa for the reminders permission first)."""

    seconds: int


@dataclass(frozen=True, slots=True)
class End:
    pass


@dataclass(frozen=True, slots=True)
class Erase:
    pass


Effect = Say | AskPrompt | Pause | Listen | SetReminder | End | Erase
