"""The terminal Echo's voice: SSML -> a plan of espeak-ng calls, silences and chimes; the chime
made with the standard library; audio converted to one format; playback that never blocks."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import wave
from array import array
from pathlib import Path
from typing import Any

import pytest

from skill.device.speech import Silence, Sound, Style, Text, segments
from skill.device.voice import (
    INSTALL_HINT,
    RATE,
    Chime,
    Rest,
    Speak,
    Voice,
    VoiceError,
    chime_pcm,
    espeak_argv,
    espeak_voice,
    plan,
    setup,
    to_pcm,
    write_wav,
)

CHIME = "soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01"
TURN = (
    "Sam, you start. Alex, your only job is to listen: no fixing, no advice. "
    "<s>Where would you go on a free day?</s>"
    + '<break time="10s"/>' * 6
    + f'<audio src="{CHIME}"/> Ready for Alex&apos;s turn?'
)
NORMAL = ("espeak-ng", "-v", "en-us", "-s", "175", "-p", "50", "-a", "100", "--stdout", "--stdin")


def samples(pcm: bytes) -> array[int]:
    values = array("h")
    values.frombytes(pcm)
    return values


def wav_bytes(pcm: bytes, rate: int = RATE, channels: int = 1, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


# --- SSML -> segments ------------------------------------------------------------------------


def test_the_prompt_is_marked_and_breaks_merge_into_one_silence() -> None:
    assert segments(TURN) == [
        Text("Sam, you start. Alex, your only job is to listen: no fixing, no advice."),
        Text("Where would you go on a free day?", prompt=True),
        Silence(60.0),
        Sound(CHIME),
        Text("Ready for Alex's turn?"),
    ]


def test_prosody_and_emphasis_nest_into_a_style() -> None:
    ssml = (
        'a <prosody rate="slow" pitch="+10%" volume="loud">b '
        '<emphasis level="strong">c</emphasis></prosody> <emphasis level="reduced">d</emphasis>'
        ' <prosody rate="50%" volume="-6dB" pitch="x-low">e</prosody>'
        ' <sub alias="Connection Game">CG</sub>'
    )
    parts = segments(ssml)
    assert [p.text for p in parts if isinstance(p, Text)] == [
        "a",
        "b",
        "c",
        "d",
        "e",
        "Connection Game",
    ]
    styles = [p.style for p in parts if isinstance(p, Text)]
    assert styles[0] == Style()
    assert styles[1] == Style(80.0, 10.0, 4.5)
    assert styles[2] == Style(pytest.approx(68.0), 20.0, 8.5)
    assert styles[3] == Style(pytest.approx(110.0), -5.0, -4.0)
    assert styles[4] == Style(50.0, -30.0, -6.0)
    assert styles[5] == Style()


# --- segments -> plan ------------------------------------------------------------------------


def test_a_turn_becomes_espeak_calls_a_listening_rest_and_a_chime() -> None:
    steps = plan(segments(TURN))
    assert [type(s) for s in steps] == [Speak, Speak, Rest, Chime, Speak]
    assert all(s.argv == NORMAL for s in steps if isinstance(s, Speak))
    assert steps[1].segment.prompt  # type: ignore[union-attr]
    assert steps[2] == Rest(seconds=60.0, wait=60.0, listening=True)
    assert steps[3] == Chime(CHIME)


def test_fast_shortens_the_wait_never_the_recorded_silence() -> None:
    steps = plan(segments(TURN + '<break time="500ms"/>'), scale=0.05)
    rests = [s for s in steps if isinstance(s, Rest)]
    assert rests == [Rest(60.0, pytest.approx(3.0), True), Rest(0.5, pytest.approx(0.025), False)]


@pytest.mark.parametrize(
    ("style", "options"),
    [
        (Style(), ["-s", "175", "-p", "50", "-a", "100"]),
        (Style(80.0, 10.0, 4.5), ["-s", "140", "-p", "55", "-a", "168"]),
        (Style(10.0, -200.0, 30.0), ["-s", "80", "-p", "0", "-a", "200"]),  # clamped
        (Style(400.0, 150.0, -96.0), ["-s", "450", "-p", "99", "-a", "0"]),  # silent
    ],
)
def test_styles_map_to_espeak_rate_pitch_and_amplitude(style: Style, options: list[str]) -> None:
    argv = espeak_argv(style, "en-gb")
    assert argv[:3] == ("espeak-ng", "-v", "en-gb")
    assert list(argv[3:9]) == options
    assert argv[-2:] == ("--stdout", "--stdin")  # text on stdin: a "-" in speech is no option


def test_emphasis_reaches_the_espeak_call() -> None:
    steps = plan(segments('<emphasis level="strong">listen</emphasis>'), voice="de")
    assert steps[0].argv[:9] == ("espeak-ng", "-v", "de", "-s", "149", "-p", "55", "-a", "158")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("locale", "voice"),
    [("en-US", "en-us"), ("en-GB", "en-gb"), ("en-AU", "en-gb"), ("de-DE", "de"), ("pt-PT", "pt")],
)
def test_locales_pick_an_espeak_voice(locale: str, voice: str) -> None:
    assert espeak_voice(locale) == voice


# --- the chime -------------------------------------------------------------------------------


def test_the_chime_is_a_valid_short_wav_without_clipping() -> None:
    buffer = io.BytesIO()
    write_wav(buffer, chime_pcm())
    buffer.seek(0)
    with wave.open(buffer, "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        duration = wav.getnframes() / wav.getframerate()
        values = samples(wav.readframes(wav.getnframes()))
    assert 0.5 <= duration <= 1.5
    peak = max(abs(v) for v in values)
    assert 0.1 * 32767 < peak < 0.5 * 32767, "soft, audible, far from clipping"
    assert abs(values[0]) < 100 and abs(values[-1]) < 100, "no click at either end"

    def rms(chunk: array[int]) -> float:
        return math.sqrt(sum(v * v for v in chunk) / len(chunk))

    tenth = RATE // 10
    assert rms(values[:tenth]) > 5 * rms(values[-2 * tenth : -tenth]), "it decays"
    crossings = sum(
        1
        for a, b in zip(values[tenth : 2 * tenth], values[tenth + 1 : 2 * tenth + 1], strict=True)
        if a < 0 <= b
    )
    assert 90 <= crossings <= 120, "about 1 kHz: a bell, not a buzz"


# --- one audio format ------------------------------------------------------------------------


def test_espeak_output_with_a_streaming_header_is_read_to_its_end() -> None:
    pcm = array("h", [0, 1000, -1000, 32767] * 100).tobytes()
    data = bytearray(wav_bytes(pcm))
    data[4:8] = struct.pack("<I", 0x7FFFF024)  # what espeak-ng --stdout writes: unknown length
    data[40:44] = struct.pack("<I", 0x7FFFF000)
    assert to_pcm(bytes(data)) == pcm


def test_other_formats_are_converted_to_mono_16_bit_at_22050() -> None:
    stereo = array("h", [v for i in range(1000) for v in (i * 20, -i * 20)]).tobytes()
    assert set(samples(to_pcm(wav_bytes(stereo, rate=RATE, channels=2)))) == {0}
    mono = array("h", [i * 10 for i in range(1000)]).tobytes()
    doubled = samples(to_pcm(wav_bytes(mono, rate=RATE // 2)))
    assert len(doubled) == 2000
    assert doubled[2] == 10 and doubled[3] == 15  # linear interpolation
    eight_bit = bytes([128, 255, 0, 128])
    assert list(samples(to_pcm(wav_bytes(eight_bit, width=1)))) == [0, 127 << 8, -128 << 8, 0]


# --- carrying a plan out ---------------------------------------------------------------------


class FakeRun:
    """subprocess.run stand-in: espeak-ng returns a WAV of ``speech_seconds``; the player fails
    (no sound card) unless told otherwise."""

    def __init__(self, player_ok: bool = False, speech_seconds: float = 0.5) -> None:
        self.calls: list[tuple[list[str], bytes]] = []
        self.player_ok = player_ok
        self.speech = wav_bytes(array("h", [500] * int(RATE * speech_seconds)).tobytes())

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append((argv, kwargs.get("input", b"")))
        if argv[0] == "espeak-ng":
            return subprocess.CompletedProcess(argv, 0, self.speech, b"")
        assert "timeout" in kwargs, "playback is always bounded"
        return subprocess.CompletedProcess(argv, 0 if self.player_ok else 1, b"", b"")


def test_a_recording_holds_speech_full_silences_and_chimes(tmp_path: Path) -> None:
    out = tmp_path / "evening.wav"
    run = FakeRun()
    voice = Voice(espeak="espeak-ng", out=out, run=run)
    for step in voice.plan(segments(TURN), scale=0.002):
        if isinstance(step, Speak):
            voice.speak(step)
        elif isinstance(step, Rest):
            voice.silence(step.seconds)
        else:
            voice.chime()
    voice.close()
    assert [input for argv, input in run.calls] == [
        b"Sam, you start. Alex, your only job is to listen: no fixing, no advice.",
        b"Where would you go on a free day?",
        b"Ready for Alex's turn?",
    ]
    with wave.open(str(out), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds == pytest.approx(3 * 0.5 + 60 + len(chime_pcm()) / 2 / RATE, abs=0.01)


def test_a_failing_player_is_dropped_silently_and_nothing_is_synthesised_for_nobody() -> None:
    run = FakeRun(player_ok=False)
    voice = Voice(espeak="espeak-ng", player=["aplay"], run=run)
    step = plan(segments("Hello."))[0]
    assert isinstance(step, Speak)
    voice.speak(step)
    assert voice.player is None
    voice.speak(step)  # no player, no recording: nothing to do
    assert [argv[0] for argv, _ in run.calls] == ["espeak-ng", "aplay"]


def test_espeak_producing_nothing_is_a_clear_error() -> None:
    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(argv, 0, b"", b"Error: voice does not exist")

    voice = Voice(espeak="espeak-ng", player=["aplay"], run=run)
    with pytest.raises(VoiceError, match="voice does not exist"):
        voice.speak(plan(segments("Hello."))[0])  # type: ignore[arg-type]


def test_setup_hints_at_apt_get_when_espeak_is_missing(tmp_path: Path) -> None:
    def nothing(name: str) -> str | None:
        return None

    voice, notice = setup(None, None, interactive=True, which=nothing)
    assert not voice.active and notice is not None and INSTALL_HINT in notice
    assert INSTALL_HINT == "apt-get install espeak-ng"
    assert setup(False, None, interactive=True, which=nothing)[1] is None
    assert setup(None, None, interactive=False, which=nothing)[1] is None  # piped: text only
    with pytest.raises(VoiceError, match="apt-get install espeak-ng"):
        setup(None, tmp_path / "x.wav", interactive=False, which=nothing)


def test_setup_prefers_aplay_then_paplay() -> None:
    def only(*names: str):  # noqa: ANN202
        return lambda name: f"/usr/bin/{name}" if name in names else None

    voice, notice = setup(None, None, interactive=True, which=only("espeak-ng", "aplay", "paplay"))
    assert voice.player and voice.player[0] == "/usr/bin/aplay" and "espeak-ng" in (notice or "")
    voice, _ = setup(True, None, interactive=False, which=only("espeak-ng", "paplay"))
    assert voice.player and voice.player[0] == "/usr/bin/paplay"
    voice, notice = setup(True, None, interactive=False, which=only("espeak-ng"))
    assert voice.player is None and "no aplay or paplay" in (notice or "")
    voice, _ = setup(False, None, interactive=True, which=only("espeak-ng", "aplay"))
    assert voice.player is None
