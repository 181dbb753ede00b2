"""`connection-game play --voice-out` with the real espeak-ng: one WAV holding the evening's
speech, every listening pause at its real length (even under --fast) and the chimes.

These tests need espeak-ng. Without it they fail (they do not skip): install it with
`apt-get install espeak-ng` (.ci/run does this on CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

EXE = Path(sys.executable).with_name("connection-game")


def need_espeak() -> None:
    assert shutil.which("espeak-ng"), (
        "espeak-ng is not installed; the voice tests need it: apt-get install espeak-ng"
    )


def play(tmp_path: Path, script: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(EXE), "play", "--fast", "--db", str(tmp_path / "db.sqlite3"), *args],
        input="\n".join(script) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_voice_out_records_speech_full_pauses_and_chimes(tmp_path: Path) -> None:
    need_espeak()
    wav = tmp_path / "evening.wav"
    script = ["Sam", "Alex", "start a quick evening", "yes", "next", "next", "stop"]
    out = play(tmp_path, script, "--voice-out", str(wav))
    assert out.returncode == 0, out.stderr
    assert f"Recording the evening to {wav}" in " ".join(out.stdout.split())
    pauses = [int(s) for s in re.findall(r"\(Listening pause, (\d+) s", out.stdout)]
    assert pauses.count(60) >= 2, out.stdout
    chimes = out.stdout.count("* soft chime *")

    with wave.open(str(wav), "rb") as recording:
        assert (recording.getnchannels(), recording.getsampwidth()) == (1, 2)
        rate = recording.getframerate()
        assert rate == 22050
        seconds = recording.getnframes() / rate
        samples = array("h")
        samples.frombytes(recording.readframes(recording.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()

    # loud stretches: speech and chimes; the pauses are digital silence
    voiced = sum(1 for v in samples if abs(v) > 300) / rate
    silent = sum(1 for v in samples if v == 0) / rate
    assert seconds >= sum(pauses) + 20, "the pauses at full length, plus the speech"
    assert seconds <= sum(pauses) + 240
    assert silent >= sum(pauses), "every listening pause is really silent, at its SSML length"
    assert voiced >= 10, "Alexa's speech is in the recording"
    assert chimes >= 3
    assert max(abs(v) for v in samples) < 32767, "nothing clips"


def test_voice_out_without_voice_still_records_and_says_so(tmp_path: Path) -> None:
    need_espeak()
    wav = tmp_path / "short.wav"
    out = play(tmp_path, ["stop"], "--no-voice", "--voice-out", str(wav))
    assert out.returncode == 0, out.stderr
    with wave.open(str(wav), "rb") as recording:
        seconds = recording.getnframes() / recording.getframerate()
    assert 3 <= seconds <= 30, "the welcome, spoken"
