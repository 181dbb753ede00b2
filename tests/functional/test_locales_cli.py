"""`connection-game play --fast --locale de-DE`, driven by piped German input."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EXE = Path(sys.executable).with_name("connection-game")


def play(locale: str, lines: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "SKILL_ID")}
    env.update(CONNECTION_GAME_DB=str(db), NO_COLOR="1")
    out = subprocess.run(
        [str(EXE), "play", "--fast", "--locale", locale],
        input="\n".join(lines) + "\n",
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    out.stdout = " ".join(out.stdout.split())  # the device wraps speech at 80 columns
    return out


def test_a_german_evening_by_piped_input(tmp_path: Path) -> None:
    db = tmp_path / "play.sqlite3"
    script = [
        "Sam",
        "ich heiße Alex",
        "stell die pause auf anderthalb minuten",
        "einen kurzen abend",
        "ja",
        *["weiter"] * 12,
    ]
    out = play("de-DE", script, db)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    text = out.stdout
    assert "Willkommen bei Zeit zu zweit" in text
    assert "Wie heißt einer von euch mit Vornamen?" in text
    assert "Danke, Sam. Und wie heißt dein Gegenüber?" in text
    assert "Danke, Sam und Alex." in text or "Schön, euch kennenzulernen, Sam und Alex." in text
    assert "Erledigt: 90 Sekunden Redezeit pro Runde." in text, "anderthalb minuten understood"
    assert "Bereit für die erste Frage?" in text
    assert text.count("(Listening pause, 90 s") >= 6, "three prompts, both partners"
    assert "von Alex gehört" in text or "von Sam gehört" in text, "closing round"
    assert "Damit habt ihr 1 Abend zu zweit verbracht." in text
    assert "Sorry" not in text and "Entschuldigung" not in text, "every line was understood"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM progress").fetchone()[0] == 1


def test_an_unknown_locale_plays_in_english(tmp_path: Path) -> None:
    out = play("pt-BR", ["Sam", "Alex", "start a quick evening", "yes", "stop"], tmp_path / "p.db")
    assert out.returncode == 0, out.stderr
    assert "Welcome to Connection Game" in out.stdout
    assert "Thank you, Sam and Alex." in out.stdout or "Lovely to meet you" in out.stdout
    assert "(Listening pause, 60 s" in out.stdout
