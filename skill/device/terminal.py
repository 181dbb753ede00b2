"""A terminal Echo: says what Alexa says, counts down listening pauses, reads what you say.

It behaves like a device: utterances become intents through the interaction model, requests
are real envelopes with timestamps, the session closes when the skill says so, and an empty
line is silence (Alexa reprompts once, then the session ends). With espeak-ng it speaks aloud;
during a listening pause on a terminal, single keys speak for you (Enter next, m more time,
s skip, r repeat, q stop), ending the pause early as talking to an Echo would.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any, TextIO

from skill.wiring import SkillApp

from .countdown import KEY_HELP, Key, Turn, bar_line, cbreak, clock, read_key, turn_of
from .envelopes import Device
from .nlu import FALLBACK, LAUNCH, Understanding
from .speech import Text, segments
from .voice import Chime, Rest, Speak, Voice

FAST_FACTOR = 0.002  # --fast, piped: a 60 s pause takes 0.12 s
FAST_FACTOR_TTY = 0.05  # --fast on a terminal: 60 s take 3 s, time enough to press a key
STOP = "AMAZON.StopIntent"
PIPED_EVERY = 10.0  # seconds between the plain progress lines of a pause when piped
SHORT_BREAK_CAP = 1.0  # without a voice, a short break in speech is waited at most this long


def terminal_user_id(household: str) -> str:
    """The Alexa user id this terminal Echo sends for a household name."""
    return f"amzn1.ask.account.terminal.{household}"


def colour_wanted(stream: TextIO) -> bool:
    """ANSI styling only on a terminal, and never with NO_COLOR set (no-color.org) or TERM=dumb."""
    return (
        stream.isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") not in ("", "dumb")
    )


def _ask_for(response: dict[str, Any]) -> str | None:
    """The token of a Connections.SendRequest "AskFor" directive in a response, if any."""
    for directive in (response.get("response") or {}).get("directives") or []:
        if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
            return str(directive.get("token") or "")
    return None


class Terminal:
    def __init__(
        self,
        app: SkillApp,
        *,
        household: str = "home",
        locale: str = "en-US",
        fast: bool = False,
        voice: Voice | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app = app
        self.fast = fast
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.clock = clock
        self.sleep = sleep
        self.offset = 0.0  # virtual time skipped by --fast pauses
        self.nlu = Understanding.for_locale(locale)
        self.voice = voice or Voice(espeak=None, locale=locale)
        self.device = Device(
            user_id=terminal_user_id(household),
            locale=locale,
            application_id=app.settings.skill_id or Device.application_id,
        )
        self.interactive = self.stdin.isatty() and self.stdout.isatty()
        self.scale = (FAST_FACTOR_TTY if self.interactive else FAST_FACTOR) if fast else 1.0
        self.width = min(80, shutil.get_terminal_size((80, 24)).columns)
        self.colour = colour_wanted(self.stdout)
        encoding = (getattr(self.stdout, "encoding", None) or "ascii").lower()
        self.fancy = self.interactive and encoding.replace("-", "") == "utf8"
        self.silences = 0
        self.last_said = ""
        self.turn: Turn | None = None

    # --- output ----------------------------------------------------------------------------

    def emit(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def say(self, text: str, prefix: str = "Alexa: ") -> None:
        wrapped = textwrap.fill(
            text, width=self.width, initial_indent=prefix, subsequent_indent=" " * len(prefix)
        )
        self.emit(wrapped)

    def now(self) -> float:
        return self.clock() + self.offset

    def countdown(self, seconds: float, turn: Turn | None) -> tuple[Key | None, float]:
        """A listening pause: a live bar and keys on a terminal, a few lines when piped.
        Returns the key pressed (None if the pause ran out) and the pause's length as the
        device lived it (its full length, or until the key; --fast counts virtual time)."""
        title = turn.title() if turn else "Listening"
        name = turn.name if turn else None
        self.emit(
            textwrap.fill(title, width=self.width, initial_indent="  ", subsequent_indent="    ")
        )
        about = f"Listening pause, {int(round(seconds))} s"
        if not self.interactive:
            return None, self._piped_pause(seconds, about)
        self.emit("  " + self.style(f"Keys: {KEY_HELP}", "2"))
        wait = seconds * self.scale
        start = self.clock()
        said: Key | None = None
        shown = ""
        fd = self.stdin.fileno()
        try:
            with cbreak(fd):
                while (elapsed := self.clock() - start) < wait:
                    left = seconds * (1 - elapsed / wait)
                    line = bar_line(name, left, seconds, self.width, self.fancy)
                    if line != shown:
                        self._draw(line, name)
                        shown = line
                    said = read_key(fd, min(wait - elapsed, 0.1 if self.fast else 0.25))
                    if said is not None:
                        break
        finally:
            self.stdout.write("\r" + " " * (self.width - 1) + "\r")
            self.stdout.flush()
        lived = seconds if said is None else min(seconds, (self.clock() - start) / self.scale)
        self.offset += lived - min(wait, self.clock() - start)
        if said is None:
            self.emit(f"  {about}: over")
        return said, lived

    def _draw(self, line: str, name: str | None) -> None:
        if self.colour and name:
            label = name[:20]
            line = line.replace(label, self.style(label, "1"), 1)
        self.stdout.write("\r" + line)
        self.stdout.flush()

    def _piped_pause(self, seconds: float, about: str) -> float:
        if self.fast:
            self.emit(f"  ({about}, shortened by --fast)")
            self.sleep(seconds * self.scale)
            self.offset += seconds * (1 - self.scale)
            return seconds
        self.emit(f"  ({about}...)")
        left = seconds
        while left > 0:
            step = min(PIPED_EVERY, left)
            self.sleep(step)
            left -= step
            if left > 0:
                self.emit(f"  {clock(left)} left")
        self.emit("  (pause over)")
        return seconds

    def show(self, response: dict[str, Any]) -> Key | None:
        """Say a response. A key pressed during a listening pause ends it, and the rest of
        the speech, as talking over an Echo does: the key is returned."""
        speech = (response.get("response") or {}).get("outputSpeech") or {}
        ssml = speech.get("ssml") or speech.get("text") or ""
        if not ssml:
            return None
        steps = self.voice.plan(segments(ssml), self.scale)
        said: list[Text] = []  # since the last pause
        i = 0
        while i < len(steps):
            step = steps[i]
            if isinstance(step, Speak):
                run: list[Speak] = []
                while i < len(steps) and isinstance(steps[i], Speak):
                    run.append(steps[i])  # type: ignore[arg-type]
                    i += 1
                text = " ".join(s.segment.text for s in run)
                self.say(text)
                self.last_said = text
                for s in run:
                    self.voice.speak(s)
                said.extend(s.segment for s in run)
                continue
            i += 1
            if isinstance(step, Rest) and step.listening:
                self.turn = turn_of(said, self.turn)
                said = []
                key, lived = self.countdown(step.seconds, self.turn)
                self.voice.silence(lived)
                if key is not None:
                    return key
            elif isinstance(step, Rest):
                playing = self.voice.player is not None
                self.sleep(step.wait if playing or self.fast else min(step.wait, SHORT_BREAK_CAP))
                self.voice.silence(step.seconds)
            elif isinstance(step, Chime):
                self.emit("  * soft chime *")
                self.voice.chime()
        return None

    # --- input -----------------------------------------------------------------------------

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.app.handle(envelope)
        ask = _ask_for(response)
        if ask is None:
            self.device.receive(response)
            return response
        # The skill asked Alexa for a permission. A real Echo would ask the couple; this one
        # has no reminders service to grant, so it answers as a person saying no would.
        if (response.get("response") or {}).get("outputSpeech"):
            self.show(response)
        self.emit("  (Alexa would ask you now to allow reminders; a terminal Echo has no")
        self.emit("   reminders service, so it answers no.)")
        answer = self.device.connections_response("AskFor", "DENIED", ask, self.now())
        response = self.app.handle(answer)
        self.device.receive(response)
        return response

    def read(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\n")
        self.emit(f"{prompt}{line}")
        return line

    def reprompt(self, response: dict[str, Any]) -> Key | None:
        reprompt = ((response.get("response") or {}).get("reprompt") or {}).get("outputSpeech")
        if reprompt:
            return self.show({"response": {"outputSpeech": reprompt}})
        return None

    def goodbye(self) -> int:
        self.emit("\nGoodbye. Your progress is saved.")
        return 0

    def run(self) -> int:
        try:
            return self._run()
        finally:
            self.voice.close()

    def _run(self) -> int:
        household = self.device.user_id.rsplit(".", 1)[-1]
        self.emit(f"Connection Game, on a terminal Echo. Household: {household}.")
        self.emit("Type what you would say to Alexa. An empty line is silence; Ctrl-D leaves.\n")
        last = self.send(self.device.launch(self.now()))
        key = self.show(last)
        while True:
            in_session = self.device.session_id is not None
            prompt = "You: " if in_session else "(session closed) You: "
            if key is not None:  # said during a pause: the session is open, as on an Echo
                self.emit(f"{prompt}{key.label}")
                self.silences = 0
                last = self.send(self.device.intent(key.intent, self.now()))
                if key.intent == STOP:
                    self.show(last)
                    if self.device.session_id is not None:
                        self.send(self.device.session_ended(self.now(), "USER_INITIATED"))
                    return self.goodbye()
                key = self.show(last)
                continue
            line = self.read(prompt)
            if line is None or (not in_session and line.strip().lower() in ("", "q", "quit")):
                if in_session:
                    self.send(self.device.session_ended(self.now(), "USER_INITIATED"))
                return self.goodbye()
            if not line.strip():
                self.silences += 1
                if self.silences == 1:
                    key = self.reprompt(last)
                    continue
                self.send(self.device.session_ended(self.now()))
                self.silences = 0
                self.emit("  (the session ended after silence; say: open connection game)")
                continue
            self.silences = 0
            match = self.nlu.understand(line)
            if match.intent == LAUNCH:
                envelope = self.device.launch(self.now())
            else:
                envelope = self.device.intent(
                    match.intent, self.now(), match.slots, one_shot=not in_session
                )
                if match.intent == FALLBACK and os.environ.get("CONNECTION_GAME_DEBUG"):
                    self.emit("  (not understood: FallbackIntent)")
            last = self.send(envelope)
            key = self.show(last)
