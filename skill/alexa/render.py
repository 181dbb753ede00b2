"""Effects -> SSML. The one place speech is built: every value is escaped here.

A pause becomes chained ``<break time="10s"/>`` (Alexa allows at most 10 s each) ending in a
soft chime from Alexa's sound library. The question that keeps the session open is the last
sentence, and it is the reprompt too.

A partner marked as the recognised speaker of the request (``Partner(voice=True)``) is said
with Alexa's ``<alexa:name type="first" personId="..."/>`` when the adapter passes that
request's personId; everywhere else (plain text, cards, screens) the name is used.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape as _xml_escape

from skill import content
from skill.core.effects import (
    AskPrompt,
    Effect,
    End,
    Listen,
    Param,
    Partner,
    Pause,
    PromptRef,
    Say,
    Theme,
)
from skill.core.timing import break_chunks

CHIME = "soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01"
MAX_AUDIO = 5  # Alexa: at most five <audio> tags per response
MAX_SPEECH = 8000  # Alexa: speech must stay under 8,000 characters (checked by tests)
_PLACEHOLDER = re.compile(r"\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    """Text safe inside SSML: XML special characters escaped, illegal characters removed."""
    return _xml_escape(_NOT_XML.sub("", text))


def escape_attribute(text: str) -> str:
    """Text safe inside a double- or single-quoted SSML attribute value."""
    return _xml_escape(_NOT_XML.sub("", text), {'"': "&quot;", "'": "&apos;"})


@dataclass(frozen=True, slots=True)
class Rendered:
    speech: str  # inner SSML (no <speak> wrapper); "" when nothing is said
    reprompt: str | None  # inner SSML, present exactly when the session stays open
    end_session: bool | None  # True: close; False: open (a question was asked); None: unset
    text: str  # the same, as plain text (for cards, logs of length, the terminal device)


class Renderer:
    """Renders effects for one locale. Cheap to build; catalogs are cached per locale."""

    def __init__(self, locale: str | None, person_id: str | None = None) -> None:
        """``person_id``: the raw personId of this request's recognised speaker, if any. It is
        only ever written into this response's SSML, never stored or logged."""
        self.language, self.locale = content.resolve(locale)
        self.lines = content.speech(self.locale)
        self.book = content.prompts(self.language)
        self.person_id = person_id or None

    def _template(self, key: str, seed: int) -> str:
        raw = self.lines.get(key)
        if raw is None:
            raise KeyError(f"speech catalog {self.locale} has no line {key!r}")
        if isinstance(raw, list):
            raw = raw[random.Random(seed ^ zlib.crc32(key.encode())).randrange(len(raw))]
        return raw

    @staticmethod
    def _fill(
        raw: str,
        values: Mapping[str, Param],
        value: Callable[[Param | None], str],
        literal: Callable[[str], str],
    ) -> str:
        out: list[str] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(raw):
            out.append(literal(raw[pos : match.start()]))
            name, one, many = match.group(1), match.group(2), match.group(3)
            given = values.get(name)
            if one is not None:
                out.append(literal(one if given == 1 else many))
            else:
                out.append(value(given))
            pos = match.end()
        out.append(literal(raw[pos:]))
        return "".join(out)

    def line(self, key: str, params: Mapping[str, Param] | None = None, seed: int = 0) -> str:
        """One catalog line as plain text, parameters filled in (not yet escaped)."""
        return self._fill(self._template(key, seed), params or {}, self.value, str)

    def ssml(self, key: str, params: Mapping[str, Param] | None = None, seed: int = 0) -> str:
        """One catalog line as SSML: the text and every value escaped, the recognised
        speaker said by Alexa's ``alexa:name`` when this request has a personId."""
        return self._fill(self._template(key, seed), params or {}, self.ssml_value, escape)

    def ssml_value(self, value: Param | None) -> str:
        if isinstance(value, Partner) and value.voice and self.person_id:
            person = escape_attribute(self.person_id)
            return f'<alexa:name type="first" personId="{person}"/>'
        return escape(self.value(value))

    def value(self, value: Param | None) -> str:
        match value:
            case Partner(index=index, name=name):
                return name or self.line(f"partner.{index}")
            case PromptRef(prompt_id=pid, part="follow_up"):
                return self.book.follow_ups.get(pid, "")
            case PromptRef(prompt_id=pid):
                return self.book.texts.get(pid, "")
            case Theme(theme=theme):
                return self.book.themes.get(theme) or theme.replace("_", " ")
            case None:
                return ""
        return str(value)

    def render(self, effects: tuple[Effect, ...] | list[Effect], seed: int = 0) -> Rendered:
        parts: list[str] = []
        plain: list[str] = []
        reprompt: str | None = None
        end: bool | None = None
        audio = 0
        for effect in effects:
            match effect:
                case Say(key=key, params=params):
                    parts.append(self.ssml(key, params, seed))
                    plain.append(self.line(key, params, seed))
                case AskPrompt(prompt_id=pid):
                    text = self.book.texts.get(pid, "")
                    parts.append(f"<s>{escape(text)}</s>")
                    plain.append(text)
                case Pause(seconds=seconds):
                    breaks = "".join(f'<break time="{s}s"/>' for s in break_chunks(seconds))
                    chime = f'<audio src="{CHIME}"/>' if audio < MAX_AUDIO else ""
                    audio += 1 if chime else 0
                    parts.append(breaks + chime)
                    plain.append(f"[pause {seconds}s]")
                case Listen(key=key, params=params):
                    text = self.ssml(key, params, seed)
                    parts.append(text)
                    plain.append(self.line(key, params, seed))
                    reprompt, end = text, False
                case End():
                    end = True
        speech = " ".join(p for p in parts if p)
        return Rendered(speech, reprompt if end is False else None, end, " ".join(plain))
