"""`connection-game play --fast` as a person would run it, driven by piped input."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EXE = Path(sys.executable).with_name("connection-game")


def run(
    args: list[str], lines: list[str], db: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}
    env.update(CONNECTION_GAME_DB=str(db), NO_COLOR="1")
    out = subprocess.run(
        [str(EXE), *args],
        input="\n".join(lines) + "\n",
        text=True,
        capture_output=True,
        env=env,
        timeout=timeout,
    )
    out.stdout = " ".join(out.stdout.split())  # the device wraps speech at 80 columns
    return out


def test_a_short_evening_by_piped_input(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    script = ["Sam", "it's Alex", "start a quick evening", "yes"] + ["next"] * 12
    out = run(["play", "--fast"], script, db)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"Progress: embedded store {db}" in text
    assert "What's the first name of one of you?" in text
    assert "Thank you, Sam and Alex." in text or "Lovely to meet you, Sam and Alex." in text
    assert text.count("(Listening pause, 60 s") >= 6
    assert "one thing you heard" in text
    assert "That makes 1 evening together." in text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == 1


def test_silence_ends_the_session_and_a_one_shot_resumes(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    script = [
        "Sam",
        "Alex",
        "yes",
        "yes",
        "",
        "",
        "ask connection game for the next question",
        "stop",
    ]
    out = run(["play", "--fast"], script, db)
    assert out.returncode == 0, out.stderr
    assert "the session ended after silence" in out.stdout
    after = out.stdout.split("the session ended after silence", 1)[1]
    assert "Listening pause" in after, "the one-shot continued the evening"
    again = run(["play", "--fast"], ["yes", "stop"], db)
    assert "Pick up where you left off?" in again.stdout


def test_households_are_kept_apart_and_can_be_forgotten(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    run(["play", "--fast", "--household", "a"], ["Sam", "Alex", "no"], db)
    other = run(["play", "--fast", "--household", "b"], ["stop"], db)
    assert "What's the first name" in other.stdout
    same = run(["play", "--fast", "--household", "a"], ["no"], db)
    assert "Sam and Alex" in same.stdout
    forgot = run(["forget", "--household", "a"], [], db)
    assert forgot.returncode == 0 and "Forgot household 'a'" in forgot.stdout
    fresh = run(["play", "--fast", "--household", "a"], ["stop"], db)
    assert "What's the first name" in fresh.stdout


def test_an_unusable_store_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = run(["play", "--fast", "--db", str(blocker / "x.sqlite3")], ["stop"], tmp_path / "unused")
    assert out.returncode == 2
    assert "connection-game: cannot open the game store" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_reminder_offer_gets_an_answer_on_a_terminal(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    script = ["Sam", "Alex", "start a quick evening", "yes"] + ["next"] * 9 + ["yes", "yes"]
    out = run(["play", "--fast"], script, db)
    assert out.returncode == 0, out.stderr
    assert "Want me to remind you tomorrow at this time?" in out.stdout
    assert "a terminal Echo has no reminders service, so it answers no" in out.stdout
    assert "You can allow reminders for Connection Game in the Alexa app" in out.stdout
