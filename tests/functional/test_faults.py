"""DynamoDB faults, for real: a paused server, a stopped one, a slow network, refused
connections. Nothing here is a mock: the Lambda talks to its own DynamoDB Local (on disk,
so it can be stopped and started again) through a small TCP proxy on loopback
(tests/support/tcp_proxy.py) that can delay, swallow or refuse.

What must hold, on every request: an answer within Alexa's 8 s. Mid-evening, when the store
is away, the evening goes on from the session (marked dirty) and the couple hears exactly
what they would have heard with a healthy store: every reply is compared with a reference
run of the same envelopes on an embedded store. Once DynamoDB answers again the next request
writes the progress, and the stored game equals the reference's: no turn lost.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill.alexa.handlers import SESSION_KEY, ForgetFailed, household_key
from skill.config import Settings
from skill.store.dynamodb import DynamoDbStore
from skill.store.sqlite import SqliteStore
from skill.wiring import SkillApp
from tests.conftest import load_lambda_module
from tests.support import dynamodb_local as ddb_local
from tests.support.dynamodb_disk import start_on_disk
from tests.support.echo import Echo, Reply
from tests.support.fixtures_dynamodb import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    client,
    create_table,
    table_definition,
)
from tests.support.tcp_proxy import TcpProxy

ALEXA_LIMIT_S = 8.0
ALARMING = re.compile(r"sorry|error|went wrong|can't reach|couldn't read|try again", re.I)


# --------------------------------------------------------------------------- harness


@dataclass
class Server:
    """The fault tests' own DynamoDB Local (never the session's), restartable on disk."""

    db_dir: Path
    process: ddb_local.DynamoDBLocal

    @property
    def port(self) -> int:
        return self.process.port

    def healthy(self) -> None:
        if not self.process.running:
            self.process = start_on_disk(self.db_dir, port=self.port)
        self.process.resume()

    def restart(self) -> None:
        self.process.stop()
        self.process = start_on_disk(self.db_dir, port=self.port)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db_dir = tmp_path_factory.mktemp("dynamodb-faults")
    made = Server(db_dir, start_on_disk(db_dir))
    try:
        yield made
    finally:
        made.process.stop()


@dataclass
class Timed:
    """A handler that records each request's wall time."""

    handler: Callable[[dict[str, Any]], dict[str, Any]]
    times: list[float] = field(default_factory=list)

    def __call__(self, envelope: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self.handler(envelope)
        finally:
            self.times.append(time.perf_counter() - started)
            assert self.times[-1] < ALEXA_LIMIT_S, f"answered after {self.times[-1]:.1f} s"


@dataclass
class Mirrored:
    """Sends each envelope to the Lambda under test and, with the reference's own session
    attributes, to a reference skill on a healthy embedded store."""

    tested: Timed
    reference: Callable[[dict[str, Any]], dict[str, Any]]
    ref_attributes: dict[str, Any] = field(default_factory=dict)
    pairs: list[tuple[Reply, Reply]] = field(default_factory=list)

    def __call__(self, envelope: dict[str, Any]) -> dict[str, Any]:
        answer = self.tested(envelope)
        mirrored = copy.deepcopy(envelope)
        session = mirrored.get("session")
        if session is not None:
            if session.get("new"):
                self.ref_attributes = {}
            else:
                session["attributes"] = self.ref_attributes
        reference = Reply(self.reference(mirrored))
        if reference.open:
            self.ref_attributes = dict(reference.envelope.get("sessionAttributes") or {})
        self.pairs.append((Reply(answer), reference))
        return answer


@dataclass
class Rig:
    server: Server
    proxy: TcpProxy
    table: str
    module: ModuleType
    reference_store: SqliteStore
    reference_app: SkillApp

    def echo(self, user: str, **kwargs: Any) -> tuple[Echo, Mirrored]:
        mirrored = Mirrored(
            Timed(lambda e: self.module.lambda_handler(e, None)), self.reference_app.handle
        )
        return Echo(mirrored, user_id=user, **kwargs), mirrored

    def stored(self, user: str) -> Any:
        store = DynamoDbStore(self.table, client=client(f"http://127.0.0.1:{self.server.port}"))
        return store.load(household_key(user))

    def reference(self, user: str) -> Any:
        return self.reference_store.load(household_key(user))


@pytest.fixture
def rig(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    server.healthy()
    table = f"connection-game-faults-{uuid.uuid4().hex[:10]}"
    create_table(f"http://127.0.0.1:{server.port}", table, table_definition())
    with TcpProxy(("127.0.0.1", server.port), lifetime=120) as proxy:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "SKILL_ID", "LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.endpoint)
        monkeypatch.setenv("AWS_REGION", REGION)
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        monkeypatch.setenv("TABLE_NAME", table)
        monkeypatch.setenv("CONNECTION_GAME_DB", str(tmp_path / "must-not-exist.sqlite3"))
        reference_store = SqliteStore(tmp_path / "reference.sqlite3")
        reference_app = SkillApp(Settings(), store=reference_store)
        yield Rig(server, proxy, table, load_lambda_module(), reference_store, reference_app)
    server.healthy()
    assert not (tmp_path / "must-not-exist.sqlite3").exists()


def dirty(echo: Echo) -> bool | None:
    game = echo.attributes.get(SESSION_KEY)
    return game.get("dirty") if isinstance(game, dict) else None


def play(echo: Echo, turns: int, *, talk: float = 70) -> list[Reply]:
    """``turns`` answers (or fewer if the evening ends)."""
    replies = []
    for _ in range(turns):
        echo.advance(talk)
        replies.append(echo.intent("NextIntent"))
        if not replies[-1].open:
            break
    return replies


def evenings(echo: Echo) -> int | None:
    game = echo.attributes.get(SESSION_KEY)
    try:
        return int(game["g"]["history"]["evenings"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def play_to_end(echo: Echo, talk: float = 70) -> list[Reply]:
    """Answers until the evening is over (the session closes or history counts it)."""
    replies: list[Reply] = []
    before = evenings(echo)
    for _ in range(60):
        replies += play(echo, 1, talk=talk)
        if not replies[-1].open or evenings(echo) != before:
            return replies
    raise AssertionError("the evening never ended")


def start_evening(echo: Echo) -> list[Reply]:
    return [
        echo.launch(),
        echo.intent("NameIntent", name="Marisol"),
        echo.intent("NameIntent", name="Thaddeus"),
        echo.intent("AMAZON.YesIntent"),
        echo.intent("AMAZON.YesIntent"),
    ]


def assert_same_evening(mirrored: Mirrored) -> None:
    """Every reply the couple heard is the one a healthy store would have given."""
    for index, (heard, reference) in enumerate(mirrored.pairs):
        assert heard.text == reference.text, (
            f"reply {index} differs:\n{heard.text}\n{reference.text}"
        )
        assert heard.open == reference.open


def assert_calm(replies: list[Reply]) -> None:
    for reply in replies:
        assert not ALARMING.search(reply.text), reply.text


def run_outage(
    rig: Rig,
    user: str,
    *,
    outage: Callable[[], None],
    recover: Callable[[], None],
    during_turns: int = 3,
) -> dict[str, int]:
    echo, mirrored = rig.echo(user)
    before = start_evening(echo) + play(echo, 2)
    assert dirty(echo) is False
    outage()
    during = play(echo, during_turns)
    assert all(r.open for r in during), "the evening went on"
    assert dirty(echo) is True, "the outage was real: the progress is held in the session"
    assert_calm(during)
    recover()
    after = play(echo, 1)
    assert dirty(echo) is False, "the first request that reached DynamoDB wrote the progress"
    after += play_to_end(echo)  # the history item is written too
    assert_same_evening(mirrored)
    stored, reference = rig.stored(user), rig.reference(user)
    assert stored is not None and reference is not None
    assert stored.game == reference.game, "the stored evening holds every turn"
    assert stored.game.household.history.evenings == 1
    assert max(mirrored.tested.times) < ALEXA_LIMIT_S
    return {
        "before": len(before),
        "during": len(during),
        "after": len(after),
        "slowest_ms": round(max(mirrored.tested.times) * 1000),
    }


# --------------------------------------------------------------------------- outages


def test_paused_dynamodb_mid_evening_loses_nothing(rig: Rig, capsys: Any) -> None:
    """SIGSTOP: connections are accepted by the kernel and never answered (read timeouts).
    The writes sent during the pause wait in the kernel and one of them lands on resume."""
    counts = run_outage(
        rig,
        "amzn1.ask.account.PAUSED",
        outage=rig.server.process.pause,
        recover=rig.server.process.resume,
    )
    with capsys.disabled():
        print(f"\npaused DynamoDB: turns {counts}")


def test_stopped_and_restarted_dynamodb_mid_evening_loses_nothing(rig: Rig) -> None:
    """The server process is stopped (connections refused by the OS), then started again
    on the same port with its data."""
    run_outage(
        rig,
        "amzn1.ask.account.STOPPED",
        outage=rig.server.process.stop,
        recover=rig.server.healthy,
    )


def test_refused_connections_mid_evening_lose_nothing(rig: Rig) -> None:
    run_outage(rig, "amzn1.ask.account.REFUSED", outage=rig.proxy.refuse, recover=rig.proxy.restore)


def test_slow_responses_that_arrive_too_late_lose_nothing(rig: Rig) -> None:
    """Each answer from DynamoDB is held back longer than the client waits: the writes land,
    but the skill never hears so. Later requests find their own write already stored."""

    def slow() -> None:
        rig.proxy.delay = 4.0

    run_outage(rig, "amzn1.ask.account.SLOW", outage=slow, recover=rig.proxy.restore)


def test_a_slow_but_working_dynamodb_is_waited_for(rig: Rig) -> None:
    """Answers held back 0.6 s each: slower turns, all within Alexa's limit, all written."""
    echo, mirrored = rig.echo("amzn1.ask.account.SLUGGISH")
    start_evening(echo)
    rig.proxy.delay = 0.6
    replies = play(echo, 3)
    assert dirty(echo) is False
    assert_calm(replies)
    assert min(mirrored.tested.times[-3:]) >= 0.6, "the delay was real"
    rig.proxy.restore()
    assert_same_evening(mirrored)
    assert rig.stored(echo.user_id).game == rig.reference(echo.user_id).game


# --------------------------------------------------------------------------- session start


def test_a_launch_that_cannot_load_apologises_quickly_and_changes_nothing(rig: Rig) -> None:
    echo, mirrored = rig.echo("amzn1.ask.account.LAUNCH")
    start_evening(echo)
    play(echo, 2)
    echo.intent("AMAZON.StopIntent")
    before = rig.stored(echo.user_id)
    rig.proxy.refuse()
    reply = echo.launch()
    assert not reply.open and "can't reach your saved game" in reply.text
    assert mirrored.tested.times[-1] < ALEXA_LIMIT_S
    rig.proxy.restore()
    rig.proxy.hang()  # accepted, never answered: the load times out
    reply = echo.launch()
    assert not reply.open and "can't reach your saved game" in reply.text
    assert mirrored.tested.times[-1] < ALEXA_LIMIT_S
    rig.proxy.restore()
    assert rig.stored(echo.user_id) == before
    reply = echo.launch()
    assert reply.open and "Pick up where you left off?" in reply.text


def test_skill_disabled_during_an_outage_fails_so_alexa_retries_it(rig: Rig) -> None:
    echo, _ = rig.echo("amzn1.ask.account.DISABLED")
    start_evening(echo)
    echo.intent("AMAZON.StopIntent")
    rig.proxy.refuse()
    started = time.perf_counter()
    with pytest.raises(ForgetFailed):
        echo.skill_disabled()
    assert time.perf_counter() - started < ALEXA_LIMIT_S
    assert rig.stored(echo.user_id) is not None
    rig.proxy.restore()
    echo.skill_disabled()  # Alexa delivers the event again
    assert rig.stored(echo.user_id) is None
    items = client(f"http://127.0.0.1:{rig.server.port}").scan(TableName=rig.table)["Items"]
    assert items == []


def test_unsaved_turns_that_meet_another_devices_change_are_announced(rig: Rig) -> None:
    """The kitchen Echo cannot reach DynamoDB and plays on from its session; meanwhile the
    living-room Echo (its own container, a working network) changes the game. When the
    kitchen reaches DynamoDB again its unsaved turns cannot be merged: it says "another
    device just changed your game" and goes on from the stored game; the living room's
    turns are all kept."""
    user = "amzn1.ask.account.TWOHOMES"
    kitchen, _ = rig.echo(user)
    start_evening(kitchen)
    play(kitchen, 1)
    kitchen.intent("AMAZON.StopIntent")  # paused mid-evening, stored
    kitchen.launch()
    rig.proxy.refuse()
    kitchen.intent("AMAZON.YesIntent")  # resumes, unsaved
    play(kitchen, 2)
    assert dirty(kitchen) is True

    endpoint = f"http://127.0.0.1:{rig.server.port}"
    living_app = SkillApp(Settings(), store=DynamoDbStore(rig.table, client=client(endpoint)))
    living = Echo(living_app.handle, user_id=user, start=kitchen.now)
    living.launch()
    living.intent("AMAZON.YesIntent")
    living.advance(70)
    living.intent("NextIntent")
    expected = rig.stored(user)
    assert expected is not None

    rig.proxy.restore()
    kitchen.advance(70)
    reply = kitchen.intent("NextIntent")
    assert "another device just changed your game" in reply.text and reply.open
    assert dirty(kitchen) is False
    assert rig.stored(user) == expected, "the living room's turns are kept as they were"
    kitchen.advance(70)
    reply = kitchen.intent("NextIntent")
    assert not ALARMING.search(reply.text)
    after = rig.stored(user)
    assert after is not None and after.version == expected.version + 1


class SlowDisk(SqliteStore):
    """The embedded store on a disk that takes ``delay`` seconds per call."""

    def __init__(self, path: Path, delay: float) -> None:
        super().__init__(path)
        self.delay = delay
        self.calls = 0

    def _slow(self) -> None:
        self.calls += 1
        time.sleep(self.delay)

    def load(self, household_id: str) -> Any:
        self._slow()
        return super().load(household_id)

    def save(self, household_id: str, game: Any, expected_version: int | None) -> int:
        self._slow()
        return super().save(household_id, game, expected_version)


def test_no_store_call_starts_after_the_budget(tmp_path: Path) -> None:
    """A slow store and a conflict (load, save, reload, save again): once the request's
    store budget is spent no further call starts; the turn is played and kept in the
    session, and the next request writes it."""
    from skill import content
    from skill.core import Ctx
    from skill.core import events as ev
    from skill.service import GameService, Notice

    deck = content.prompts("en").deck
    path = tmp_path / "slow.sqlite3"
    fast = GameService(SqliteStore(path))
    now = int(time.time())
    session = None
    for event in (ev.Launch(), ev.GiveName("Sam"), ev.GiveName("Alex"), ev.Yes(), ev.Yes()):
        now += 5
        turn = fast.play("hh", event, Ctx(now, now, deck), session)
        session = turn.session
    assert session is not None
    other = fast.play("hh", ev.Skip(), Ctx(now + 1, 1, deck), session)  # another device
    assert other.changed

    slow_disk = SlowDisk(path, delay=0.4)
    slow = GameService(slow_disk, budget_s=0.6)
    started = time.perf_counter()
    turn = slow.play("hh", ev.Skip(), Ctx(now + 2, 2, deck), session)  # stale: conflicts
    elapsed = time.perf_counter() - started
    assert slow_disk.calls == 2, "save (conflict), reload; the second save did not start"
    assert elapsed < 0.6 + 0.4 + 0.3
    assert turn.notice is Notice.UNSAVED and turn.session is not None and turn.session.dirty
    assert not ALARMING.search(" ".join(type(e).__name__ for e in turn.effects))

    after = fast.play("hh", ev.Skip(), Ctx(now + 3, 3, deck), turn.session)
    assert after.session is not None and not after.session.dirty
    assert all(getattr(e, "key", "") != "error.busy" for e in after.effects)
    stored = SqliteStore(path).load("hh")
    assert stored is not None and after.session.game == stored.game
    # The other device's skip, the slow one (re-applied on top of it) and this one.
    assert len(stored.game.phase.evening.skipped) == 3  # type: ignore[union-attr]
