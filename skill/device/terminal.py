"""A terminal Echo: prints what Alexa says, counts down listening pauses, reads what you say.

It behaves like a device: utterances become intents through the interaction model, requests
are real envelopes with timestamps, the session closes when the skill says so, and an empty
line is silence (Alexa reprompts once, then the session ends).
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any, TextIO

from skill.wiring import SkillApp

from .envelopes import Device
from .nlu import FALLBACK, LAUNCH, Understanding
from .speech import Silence, Sound, Text, segments

FAST_FACTOR = 0.002  # --fast: a 60 s pause takes 0.12 s
PAUSE_MIN_SHOWN = 3.0  # shorter silences are just the rhythm of speech


def terminal_user_id(household: str) -> str:
    """The Alexa user id this terminal Echo sends for a household name."""
    return f"amzn1.ask.account.terminal.{household}"


class Terminal:
    def __init__(
        self,
        app: SkillApp,
        *,
        household: str = "home",
        locale: str = "en-US",
        fast: bool = False,
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
        self.device = Device(
            user_id=terminal_user_id(household),
            locale=locale,
            application_id=app.settings.skill_id or Device.application_id,
        )
        self.interactive = self.stdin.isatty() and self.stdout.isatty()
        self.width = min(80, shutil.get_terminal_size((80, 24)).columns)
        self.silences = 0
        self.last_said = ""

    # --- output ----------------------------------------------------------------------------

    def say(self, text: str, prefix: str = "Alexa: ") -> None:
        wrapped = textwrap.fill(
            text, width=self.width, initial_indent=prefix, subsequent_indent=" " * len(prefix)
        )
        print(wrapped, file=self.stdout, flush=True)

    def now(self) -> float:
        return self.clock() + self.offset

    def countdown(self, seconds: float) -> None:
        """A listening pause: a live bar on a terminal, a line or two when piped."""
        about = f"Listening pause, {int(round(seconds))} s"
        if self.fast:
            print(f"  ({about}, shortened by --fast)", file=self.stdout, flush=True)
            self.sleep(seconds * FAST_FACTOR)
            self.offset += seconds * (1 - FAST_FACTOR)
            return
        if not self.interactive:
            print(f"  ({about}...)", file=self.stdout, flush=True)
            self.sleep(seconds)
            print("  (pause over)", file=self.stdout, flush=True)
            return
        end = self.clock() + seconds
        bar_width = max(10, self.width - 40)
        while (left := end - self.clock()) > 0:
            done = int(bar_width * (1 - left / seconds))
            bar = "#" * done + "." * (bar_width - done)
            line = f"\r  {int(left) // 60}:{int(left) % 60:02d} [{bar}]"
            self.stdout.write(line + "  Enter: done ")
            self.stdout.flush()
            ready, _, _ = select.select([self.stdin], [], [], min(1.0, left))
            if ready:
                self.stdin.readline()
                break
        self.stdout.write("\r" + " " * (self.width - 1) + "\r")
        self.stdout.flush()

    def show(self, response: dict[str, Any]) -> None:
        speech = (response.get("response") or {}).get("outputSpeech") or {}
        ssml = speech.get("ssml") or speech.get("text") or ""
        if not ssml:
            return
        for part in segments(ssml):
            match part:
                case Text(text=text):
                    self.say(text)
                    self.last_said = text
                case Silence(seconds=seconds) if seconds >= PAUSE_MIN_SHOWN:
                    self.countdown(seconds)
                case Silence(seconds=seconds):
                    self.sleep(seconds * FAST_FACTOR if self.fast else min(seconds, 1.0))
                case Sound():
                    print("  * soft chime *", file=self.stdout, flush=True)

    # --- input -----------------------------------------------------------------------------

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.app.handle(envelope)
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
        print(f"{prompt}{line}", file=self.stdout, flush=True)
        return line

    def reprompt(self, response: dict[str, Any]) -> None:
        reprompt = ((response.get("response") or {}).get("reprompt") or {}).get("outputSpeech")
        if reprompt:
            self.show({"response": {"outputSpeech": reprompt}})

    def run(self) -> int:
        household = self.device.user_id.rsplit(".", 1)[-1]
        print(
            f"Connection Game, on a terminal Echo. Household: {household}.",
            file=self.stdout,
        )
        print(
            "Type what you would say to Alexa. An empty line is silence; Ctrl-D leaves.\n",
            file=self.stdout,
            flush=True,
        )
        last = self.send(self.device.launch(self.now()))
        self.show(last)
        while True:
            in_session = self.device.session_id is not None
            line = self.read("You: " if in_session else "(session closed) You: ")
            if line is None or (not in_session and line.strip().lower() in ("", "q", "quit")):
                if in_session:
                    self.send(self.device.session_ended(self.now(), "USER_INITIATED"))
                print("\nGoodbye. Your progress is saved.", file=self.stdout, flush=True)
                return 0
            if not line.strip():
                self.silences += 1
                if self.silences == 1:
                    self.reprompt(last)
                    continue
                self.send(self.device.session_ended(self.now()))
                self.silences = 0
                print(
                    "  (the session ended after silence; say: open connection game)",
                    file=self.stdout,
                    flush=True,
                )
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
                    print("  (not understood: FallbackIntent)", file=self.stdout)
            last = self.send(envelope)
            self.show(last)
