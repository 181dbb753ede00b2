"""The terminal Echo's voice: espeak-ng for speech, real silences, a chime made here.

SSML segments become a *plan* (pure, tested without a speaker): ``Speak`` steps carry the
espeak-ng command line for their text and style, ``Rest`` steps a silence (its SSML length for
the recording, and the time actually waited, shorter under --fast), ``Chime`` steps Alexa's
sound-library chimes. ``Voice`` carries a plan out: synthesises with ``espeak-ng --stdout``,
plays through aplay or paplay when one is installed (and silently not at all otherwise: CI has
no sound card), and appends everything to one WAV file for ``--voice-out``. All audio shares one
format, 22050 Hz mono 16-bit (what espeak-ng produces); other WAV input is converted here with
the standard library.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import wave
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .speech import Segment, Silence, Sound, Style, Text

RATE = 22050  # Hz, mono, 16-bit signed little-endian
ESPEAK = "espeak-ng"
INSTALL_HINT = "apt-get install espeak-ng"
NORMAL_WPM = 175  # espeak-ng's default speed
LISTENING = 3.0  # silences this long or longer are listening pauses (shown as a countdown)

_VOICES = {
    "en-us": "en-us",
    "en-ca": "en-us",
    "en-gb": "en-gb",
    "en-au": "en-gb",
    "en-in": "en-gb",
    "de-de": "de",
    "es-es": "es",
    "es-mx": "es-419",
    "es-us": "es-419",
    "fr-fr": "fr-fr",
    "fr-ca": "fr-fr",
    "it-it": "it",
    "ja-jp": "ja",
    "pt-br": "pt-br",
    "hi-in": "hi",
    "nl-nl": "nl",
    "ar-sa": "ar",
}


class VoiceError(RuntimeError):
    """espeak-ng could not be run or produced no audio."""


# --- the plan (pure) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Speak:
    segment: Text
    argv: tuple[str, ...]  # text goes to stdin (--stdin), never on the command line


@dataclass(frozen=True, slots=True)
class Rest:
    seconds: float  # the SSML length: what a recording of the evening contains
    wait: float  # real seconds to wait (shortened under --fast)
    listening: bool  # a listening pause: the terminal shows a countdown and takes keys


@dataclass(frozen=True, slots=True)
class Chime:
    src: str


Step = Speak | Rest | Chime


def espeak_voice(locale: str) -> str:
    """The espeak-ng voice for an Alexa locale ("en-US" -> "en-us")."""
    key = locale.lower().replace("_", "-")
    return _VOICES.get(key, key.split("-", 1)[0])


def espeak_argv(style: Style, voice: str = "en-us", program: str = ESPEAK) -> tuple[str, ...]:
    """espeak-ng options for a style: rate -> -s (words/min), pitch -> -p, volume -> -a."""
    speed = max(80, min(450, round(NORMAL_WPM * style.rate / 100)))
    pitch = max(0, min(99, round(50 * (1 + style.pitch / 100))))
    amplitude = 0 if style.volume <= -60 else round(100 * 10 ** (style.volume / 20))
    amplitude = max(0, min(200, amplitude))
    return (program, "-v", voice, "-s", str(speed), "-p", str(pitch), "-a", str(amplitude),
            "--stdout", "--stdin")  # fmt: skip


def plan(
    parts: Sequence[Segment], *, voice: str = "en-us", scale: float = 1.0, program: str = ESPEAK
) -> list[Step]:
    """What the device does for a response: ``scale`` < 1 shortens waits (--fast), never the
    recorded length of a silence."""
    steps: list[Step] = []
    for part in parts:
        match part:
            case Text(style=style):
                steps.append(Speak(part, espeak_argv(style, voice, program)))
            case Silence(seconds=seconds):
                steps.append(Rest(seconds, seconds * scale, seconds >= LISTENING))
            case Sound(src=src):
                steps.append(Chime(src))
    return steps


# --- sound made here -------------------------------------------------------------------------


def _pcm(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def chime_pcm(
    seconds: float = 0.9, freq: float = 1046.5, peak: float = 0.35, rate: int = RATE
) -> bytes:
    """A soft bell: a decaying sine with a quieter, faster-decaying overtone, a 5 ms attack
    and a faded tail, so it starts and ends at zero and never comes near clipping."""
    n = int(rate * seconds)
    attack, fade = int(rate * 0.005), int(rate * 0.05)
    samples = array("h", bytes(2 * n))
    for i in range(n):
        t = i / rate
        tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.exp(-t / 0.08) * math.sin(
            2 * math.pi * 2.76 * freq * t
        )
        envelope = math.exp(-t / 0.25) * min(1.0, i / attack) * min(1.0, (n - 1 - i) / fade)
        samples[i] = round(32767 * peak * envelope * tone / 1.3)
    return _pcm(samples)


def silence_pcm(seconds: float, rate: int = RATE) -> bytes:
    return bytes(2 * int(round(seconds * rate)))


def write_wav(target: str | Path | io.BufferedIOBase, pcm: bytes, rate: int = RATE) -> None:
    with wave.open(target, "wb") as out:  # type: ignore[arg-type]
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)


def to_pcm(wav_bytes: bytes, rate: int = RATE) -> bytes:
    """Any PCM WAV (espeak-ng's --stdout included, whose header gives no length) ->
    mono 16-bit at ``rate``."""
    with wave.open(io.BytesIO(wav_bytes), "rb") as src:
        channels, width, source_rate = src.getnchannels(), src.getsampwidth(), src.getframerate()
        raw = src.readframes(sys.maxsize)
    frames = len(raw) // (width * channels)
    if width == 2 and channels == 1 and source_rate == rate:
        return raw[: 2 * frames]  # espeak-ng's own format: nothing to do
    values: list[int]
    if width == 1:
        values = [(b - 128) << 8 for b in raw[: frames * channels]]
    else:
        values = [
            int.from_bytes(raw[i + width - 2 : i + width], "little", signed=True)
            for i in range(0, frames * channels * width, width)
        ]
    if channels > 1:
        values = [
            sum(values[i : i + channels]) // channels for i in range(0, len(values), channels)
        ]
    if source_rate != rate and values:
        step, count = source_rate / rate, int(len(values) * rate / source_rate)
        last = len(values) - 1
        resampled = []
        for j in range(count):
            x = j * step
            i = int(x)
            a, b = values[min(i, last)], values[min(i + 1, last)]
            resampled.append(round(a + (b - a) * (x - i)))
        values = resampled
    return _pcm(array("h", values))


# --- carrying a plan out ---------------------------------------------------------------------


def find_player(which: Callable[[str], str | None] = shutil.which) -> list[str] | None:
    """A command that plays raw 22050 Hz mono 16-bit PCM from stdin, or None."""
    if aplay := which("aplay"):
        return [aplay, "-q", "-t", "raw", "-f", "S16_LE", "-r", str(RATE), "-c", "1"]
    if paplay := which("paplay"):
        return [paplay, "--raw", "--format=s16le", f"--rate={RATE}", "--channels=1"]
    return None


class Voice:
    """Speech, silences and chimes: played when a player exists, recorded when asked."""

    def __init__(
        self,
        *,
        espeak: str | None,
        player: list[str] | None = None,
        out: Path | None = None,
        locale: str = "en-US",
        run: Callable[..., Any] = subprocess.run,
    ) -> None:
        self.espeak = espeak
        self.player = player if espeak else None
        self.voice = espeak_voice(locale)
        self.run = run
        self.out: wave.Wave_write | None = None
        self.recorded = 0  # frames
        if out is not None:
            self.out = wave.open(str(out), "wb")  # noqa: SIM115 (open all evening)
            self.out.setnchannels(1)
            self.out.setsampwidth(2)
            self.out.setframerate(RATE)

    @property
    def active(self) -> bool:
        """Anything to do with audio at all: playing or recording."""
        return self.player is not None or self.out is not None

    def plan(self, parts: Sequence[Segment], scale: float = 1.0) -> list[Step]:
        return plan(parts, voice=self.voice, scale=scale, program=self.espeak or ESPEAK)

    def synthesise(self, step: Speak) -> bytes:
        try:
            done = self.run(
                list(step.argv), input=step.segment.text.encode(), capture_output=True, timeout=60
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise VoiceError(f"espeak-ng failed: {exc}") from exc
        if done.returncode != 0 or len(done.stdout) <= 44:
            detail = done.stderr.decode(errors="replace").strip()
            raise VoiceError(f"espeak-ng produced no audio ({detail or done.returncode})")
        return to_pcm(done.stdout)

    def speak(self, step: Speak) -> None:
        if self.espeak and self.active:
            self._emit(self.synthesise(step))

    def silence(self, seconds: float) -> None:
        """Record a silence (the terminal does the waiting)."""
        if self.out is not None and seconds > 0:
            chunk = silence_pcm(1.0)
            whole, rest = divmod(seconds, 1.0)
            for _ in range(int(whole)):
                self._record(chunk)
            self._record(silence_pcm(rest))

    def chime(self) -> None:
        if self.active:
            self._emit(_CHIME.pcm())

    def _emit(self, pcm: bytes) -> None:
        self._record(pcm)
        self._play(pcm)

    def _record(self, pcm: bytes) -> None:
        if self.out is not None and pcm:
            self.out.writeframes(pcm)
            self.recorded += len(pcm) // 2

    def _play(self, pcm: bytes) -> None:
        if self.player is None:
            return
        try:
            done = self.run(
                self.player,
                input=pcm,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=len(pcm) / 2 / RATE + 5,
            )
            ok = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if not ok:
            self.player = None  # no sound card (CI, ssh): carry on silently

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


class _Chime:
    def __init__(self) -> None:
        self._pcm: bytes | None = None

    def pcm(self) -> bytes:
        if self._pcm is None:
            self._pcm = chime_pcm()
        return self._pcm


_CHIME = _Chime()


def setup(
    mode: bool | None,
    out: Path | None,
    *,
    interactive: bool,
    locale: str = "en-US",
    which: Callable[[str], str | None] = shutil.which,
) -> tuple[Voice, str | None]:
    """The voice for ``--voice`` (True), ``--no-voice`` (False) or neither (None: speak when
    espeak-ng is installed and a person is at the terminal), and a line to show at start.
    ``--voice-out`` needs espeak-ng and raises VoiceError without it."""
    espeak = which(ESPEAK)
    wanted = mode is True or (mode is None and interactive)
    if out is not None and espeak is None:
        raise VoiceError(f"--voice-out needs espeak-ng: {INSTALL_HINT}")
    if not wanted:
        return Voice(espeak=espeak, out=out, locale=locale), None
    if espeak is None:
        return Voice(espeak=None, locale=locale), f"Voice: off (to hear Alexa: {INSTALL_HINT})"
    player = find_player(which)
    if player is None:
        notice = "Voice: espeak-ng, but no aplay or paplay to play it (text only)"
    else:
        notice = f"Voice: espeak-ng ({espeak_voice(locale)}), --no-voice for text only"
    return Voice(espeak=espeak, player=player, out=out, locale=locale), notice
