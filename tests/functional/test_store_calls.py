"""How often the skill touches its store: one read per session, one write per change."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from skill.config import Settings
from skill.store.sqlite import SqliteStore
from skill.wiring import SkillApp
from tests.support.echo import Echo


class Counting:
    """A real store that counts the calls made to it."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str):
        self.calls[name] += 1
        return getattr(self.store, name)


def test_one_read_per_session_and_writes_only_on_change(tmp_path: Path) -> None:
    store = Counting(SqliteStore(tmp_path / "p.sqlite3"))
    app = SkillApp(Settings(), store=store)  # type: ignore[arg-type]
    echo = Echo(app.handle)
    echo.launch()
    echo.intent("NameIntent", name="sam")
    echo.intent("NameIntent", name="alex")
    echo.intent("AMAZON.YesIntent")
    assert store.calls == {"load": 1, "save": 3}
    store.calls.clear()
    echo.intent("AMAZON.HelpIntent")
    echo.intent("AMAZON.RepeatIntent")
    echo.intent("StatsIntent")
    assert store.calls == {}, "help, repeat and stats neither read nor write"
    echo.intent("AMAZON.YesIntent")
    echo.intent("MoreTimeIntent")
    assert store.calls == {"save": 1}
    echo.end()
    echo.launch()
    assert store.calls["load"] == 1, "a new session reads once"
