"""The terminal Echo as a person uses it: `connection-game play` on a real pseudo-terminal
(80 columns, TERM=xterm), driven with pexpect. Pauses run under --fast (60 s take 3 s on a
terminal), the keys act during them."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pexpect

EXE = Path(sys.executable).with_name("connection-game")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def spawn(db: Path, *extra: str, colour: bool = False) -> tuple[pexpect.spawn, io.StringIO]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TABLE_NAME", "SKILL_ID", "NO_COLOR", "COLUMNS", "LINES")
    }
    env["TERM"] = "xterm"
    if not colour:
        env["NO_COLOR"] = "1"
    child = pexpect.spawn(
        str(EXE),
        ["play", "--fast", "--no-voice", "--db", db.name, *extra],
        cwd=db.parent,  # a short store path: every line must fit 80 columns
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=20,
    )
    seen = io.StringIO()
    child.logfile_read = seen
    return child, seen


def begin_evening(child: pexpect.spawn) -> None:
    for question, answer in [
        ("first name", "Sam"),
        ("partner's first name", "Alex"),
        ("evening", "start a quick evening"),
        ("first question", "yes"),
    ]:
        child.expect(question.replace(" ", r"\s+"))  # speech wraps at 80 columns
        child.expect("You: ")
        child.sendline(answer)


def countdown(child: pexpect.spawn, name: str) -> str:
    """Wait for a countdown for ``name``: its title, the key help, then the bar. Returns the
    prompt shown (wrapped lines joined)."""
    child.expect(rf"{name}'s turn: ([\s\S]+?)\r\n  (?:\x1b\[2m)?Keys: Enter next, m more time")
    prompt = " ".join(child.match.group(1).split())
    child.expect(rf"\r  (?:\x1b\[1m)?{name}(?:\x1b\[0m)?  [01]:\d\d \[")
    return prompt


def screen_lines(transcript: str) -> list[str]:
    """What the terminal shows, line by line, each in-place update of the bar on its own."""
    return [ANSI.sub("", part) for line in transcript.split("\n") for part in line.split("\r")]


def test_keys_during_a_pause_act_like_speaking_to_the_echo(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    child, seen = spawn(db)
    child.expect(f"Progress: embedded store {db.name}")
    begin_evening(child)

    first = countdown(child, "Sam")
    child.expect(r"\r  Sam  0:5\d \[")  # the bar counts down in place
    child.send("m")
    child.expect("You: more time")
    child.expect("Take your time|No rush")
    assert countdown(child, "Sam") == first, "more time: the same turn goes on"

    child.send("r")
    child.expect("You: repeat")
    child.expect("here it is again")
    assert countdown(child, "Sam") == first

    child.send("s")
    child.expect("You: skip")
    child.expect("Here's a different one|Let's try another")
    second = countdown(child, "Sam")
    assert second != first, "skip: a different prompt"

    child.send("\r")
    child.expect("You: next")
    countdown(child, "Alex")  # Alex's answer, or a moment of reflection for Alex

    child.send("q")
    child.expect("You: stop")
    child.expect("saved")
    child.expect("Goodbye. Your progress is saved.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    transcript = seen.getvalue()
    assert "\x1b[" not in transcript, "NO_COLOR: no escape sequences at all"
    assert "* soft chime *" not in transcript, "every pause was ended by a key"
    too_long = [line for line in screen_lines(transcript) if len(line) > 80]
    assert not too_long
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == 1


def test_a_pause_that_runs_out_chimes_and_asks_and_ctrl_c_leaves_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    child, seen = spawn(db, colour=True)
    begin_evening(child)
    countdown(child, "Sam")
    child.expect("Listening pause, 60 s: over")  # nobody pressed a key: 3 s under --fast
    child.expect(r"\* soft chime \*")
    child.expect(r"turn\?")  # "Alex, ready for your turn?" / "Ready for Alex's turn?"
    child.expect("You: ")
    child.sendline("yes")
    countdown(child, "Alex")
    child.sendintr()
    child.expect("Goodbye. Your progress is saved.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130

    transcript = seen.getvalue()
    assert "\x1b[1mSam\x1b[0m" in transcript, "with colour the speaker's name is bold"
    too_long = [line for line in screen_lines(transcript) if len(line) > 80]
    assert not too_long


def test_piped_pauses_say_whose_turn_in_plain_lines(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}
    out = subprocess.run(
        [str(EXE), "play", "--fast", "--db", str(tmp_path / "db.sqlite3")],
        input="Sam\nAlex\nstart a quick evening\nyes\nmore time\nstop\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    titles = re.findall(r"^  Sam's turn: (.+)$", out.stdout, re.MULTILINE)
    assert len(titles) == 2 and titles[0] == titles[1]
    assert out.stdout.count("(Listening pause, 60 s, shortened by --fast)") == 2
    assert "\x1b[" not in out.stdout and "\r" not in out.stdout, "piped: no bar, no escapes"


def test_voice_without_espeak_explains_how_to_get_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}
    env["PATH"] = str(tmp_path)  # nothing to find here: no espeak-ng, no aplay
    db = str(tmp_path / "db.sqlite3")
    spoken = subprocess.run(
        [str(EXE), "play", "--fast", "--voice", "--db", db],
        input="stop\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert spoken.returncode == 0, spoken.stderr
    assert "Voice: off (to hear Alexa: apt-get install espeak-ng)" in spoken.stdout
    assert "What's the first name" in spoken.stdout, "the game goes on in text"
    recorded = subprocess.run(
        [str(EXE), "play", "--fast", "--voice-out", str(tmp_path / "x.wav"), "--db", db],
        input="stop\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert recorded.returncode == 2
    assert "--voice-out needs espeak-ng: apt-get install espeak-ng" in recorded.stderr
    assert not (tmp_path / "x.wav").exists()


def test_forget_names_the_store_and_a_household_starts_over(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}

    def play(household: str, script: str) -> str:
        args = [str(EXE), "play", "--fast", "--household", household, "--db", str(db)]
        done = subprocess.run(args, input=script, capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return " ".join(done.stdout.split())  # a long store path goes on a line of its own

    assert f"Progress: embedded store {db}" in play("ours", "Sam\nAlex\nno\n")
    assert "Sam and Alex" in play("ours", "no\n")
    forgot = subprocess.run(
        [str(EXE), "forget", "--household", "ours", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert forgot.returncode == 0
    assert f"Forgot household 'ours' in the embedded store {db}." in forgot.stdout
    assert "What's the first name" in play("ours", "stop\n")
