"""One contract for every ProgressStore: SQLite in a temporary file, DynamoDB on DynamoDB Local.

Games are made by stepping the real core with the real English deck, so what is stored is
what the skill stores. The DynamoDB-only tests at the end check what the port cannot see:
the TTL attribute, the size (write units) of a turn, when the history item is written, and
how fast an unreachable store fails. No DynamoDB stub anywhere: where calls are counted, a
thin proxy forwards every call to a real client talking to DynamoDB Local.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from skill import content
from skill.core import Ctx, Game, step
from skill.core import events as ev
from skill.core.model import (
    Answering,
    AskingName,
    Closing,
    ConfirmForget,
    Paused,
    Ready,
    Reflecting,
    Scene,
)
from skill.service import GameService, Session
from skill.store.dynamodb import PERIOD_SECONDS, TTL_SECONDS, DynamoDbStore
from skill.store.port import ConcurrentUpdate, CorruptProgress, ProgressStore, StoreError
from skill.store.sqlite import SqliteStore
from tests.support import dynamodb_local as ddb_local
from tests.support.fixtures_dynamodb import LocalTable, client

DECK = content.prompts("en").deck
T0 = 1_800_000_000
MONTH = 30.44 * 86_400
LONG_A = "Maximiliana Wilhelmina Rosalind Fairfax"  # 39
LONG_B = "Zoë-Élodie Marguerite Saint-Exupéry Dubé"  # 40, accents are 2 bytes in UTF-8
assert len(LONG_A) <= 40 and len(LONG_B) == 40


# --- games, made by the core ----------------------------------------------------------------


class Driver:
    """Steps the core with a moving clock (as requests would)."""

    def __init__(self, game: Game | None = None, now: int = T0) -> None:
        self.game = game or Game.new()
        self.now = now

    def __call__(self, *events: ev.Event, after: int = 5) -> Game:
        for event in events:
            self.now += after
            self.game, _ = step(self.game, event, Ctx(self.now, self.now, DECK))
        return self.game

    def named(self, a: str = "Sam", b: str = "Alex") -> Driver:
        self(ev.Launch(), ev.GiveName(a), ev.GiveName(b))
        assert isinstance(self.game.phase, Ready)
        return self

    def until(self, done: Callable[[Game], bool], talk: int = 80) -> Driver:
        for _ in range(100):
            if done(self.game):
                return self
            self(ev.Next(), after=talk)
        raise AssertionError("the evening never got there")

    def finish_evening(self) -> Driver:
        self(ev.StartEvening(None), ev.Yes())
        return self.until(lambda g: isinstance(g.phase, Ready))


def asked(game: Game) -> tuple[str, ...]:
    phase = game.phase.was if isinstance(game.phase, Paused) else game.phase
    evening = getattr(phase, "evening", None)
    return evening.asked if evening is not None else ()


def mid_evening(a: str = LONG_A, b: str = LONG_B, prompts: int = 5) -> Game:
    """An 8-prompt evening, ``prompts`` asked, with a skip, two favourites, a shift, and a
    history of two earlier evenings: a busy but realistic game."""
    d = Driver().named(a, b)
    d(ev.SetPause(90))
    d.finish_evening().finish_evening()
    d(ev.StartEvening(8), ev.Yes())
    d(ev.Skip())  # swap the first prompt
    d(ev.SaveFavourite(), ev.Next())
    d.until(lambda g: len(asked(g)) >= 3)
    d(ev.Deeper(), ev.SaveFavourite())
    d.until(lambda g: len(asked(g)) >= prompts and isinstance(g.phase, Answering))
    return d.game


def every_phase() -> dict[str, Game]:
    games: dict[str, Game] = {"asking_name": Game.new()}
    d = Driver().named()
    games["ready"] = d.game
    d(ev.Yes())
    games["scene"] = d.game
    d(ev.Yes())
    games["answering"] = d.game
    d.until(lambda g: isinstance(g.phase, Reflecting))
    games["reflecting"] = d.game
    d(ev.SessionEnded())
    games["paused"] = d.game
    d(ev.Launch(), ev.Yes())
    d.until(lambda g: isinstance(g.phase, Closing))
    games["closing"] = d.game
    d(ev.Forget())
    games["confirm_forget"] = d.game
    kinds = {
        "asking_name": AskingName,
        "ready": Ready,
        "scene": Scene,
        "answering": Answering,
        "reflecting": Reflecting,
        "paused": Paused,
        "closing": Closing,
        "confirm_forget": ConfirmForget,
    }
    for name, game in games.items():
        assert isinstance(game.phase, kinds[name]), name
    return games


def walk(value: Any) -> Iterator[Any]:
    """Every leaf value of a game (dataclasses, tuples)."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from walk(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from walk(item)
    else:
        yield value


# --- the two stores -------------------------------------------------------------------------


@dataclass
class Harness:
    kind: str
    store: ProgressStore
    another: Callable[[], ProgressStore]  # a second store object on the same data
    write_corrupt: Callable[[str, int], None]  # an unreadable item at that version
    remaining: Callable[[str], int]  # items or rows still stored for a household


def sqlite_harness(path: Path) -> Harness:
    def write_corrupt(household_id: str, version: int) -> None:
        SqliteStore(path).households()  # creates the schema
        with sqlite3.connect(path) as db:
            db.execute(
                "INSERT OR REPLACE INTO progress (household_id, version, body) VALUES (?, ?, ?)",
                (household_id, version, '{"v": 1, "household": "nonsense"'),
            )

    def remaining(household_id: str) -> int:
        with sqlite3.connect(path) as db:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM progress WHERE household_id = ?", (household_id,)
            ).fetchone()
        return int(count)

    return Harness("sqlite", SqliteStore(path), lambda: SqliteStore(path), write_corrupt, remaining)


def dynamodb_harness(table: LocalTable) -> Harness:
    raw = client(table.endpoint)

    def write_corrupt(household_id: str, version: int) -> None:
        raw.put_item(
            TableName=table.table_name,
            Item={
                "pk": {"S": f"household#{household_id}"},
                "sk": {"S": "progress"},
                "version": {"N": str(version)},
                "hk": {"S": "0"},
                "expires_at": {"N": str(int(time.time()) + 3600)},
                "g": {"S": '{"v":1,"hh":"nonsense"'},
            },
        )

    def remaining(household_id: str) -> int:
        return len(query(table, household_id))

    def another() -> DynamoDbStore:
        return DynamoDbStore(table.table_name, client=client(table.endpoint))

    return Harness("dynamodb", another(), another, write_corrupt, remaining)


def query(table: LocalTable, household_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client(table.endpoint).query(
        TableName=table.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"household#{household_id}"}},
        ConsistentRead=True,
    )["Items"]
    return items


@pytest.fixture(params=["sqlite", "dynamodb"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "sqlite":
        return sqlite_harness(tmp_path / "progress.sqlite3")
    return dynamodb_harness(request.getfixturevalue("dynamodb_table"))


def household() -> str:
    return uuid.uuid4().hex[:40]


# --- the contract ----------------------------------------------------------------------------


def test_an_unknown_household_loads_as_none(harness: Harness) -> None:
    assert harness.store.load(household()) is None


def test_a_mid_evening_game_round_trips(harness: Harness) -> None:
    hid, game = household(), mid_evening()
    assert game.household.history.evenings == 2 and len(asked(game)) == 5

    version = harness.store.save(hid, game, None)
    stored = harness.store.load(hid)
    cold = harness.another().load(hid)  # a fresh object (another process) reads the same

    assert version == 1
    assert stored is not None and stored.game == game and stored.version == 1
    assert cold is not None and cold.game == game and cold.version == 1


def test_every_phase_round_trips(harness: Harness) -> None:
    for name, game in every_phase().items():
        hid = household()
        harness.store.save(hid, game, None)
        stored = harness.another().load(hid)
        assert stored is not None and stored.game == game, name


def test_numbers_come_back_as_int(harness: Harness) -> None:
    hid = household()
    harness.store.save(hid, mid_evening(), None)
    stored = harness.another().load(hid)

    assert stored is not None and type(stored.version) is int
    leaves = list(walk(stored.game))
    numbers = [v for v in leaves if isinstance(v, int | float | Decimal) and type(v) is not bool]
    assert len(numbers) > 15
    assert {type(v) for v in numbers} == {int}


def test_each_write_increments_the_version(harness: Harness) -> None:
    hid, d = household(), Driver()
    versions = [harness.store.save(hid, d(ev.Launch()), None)]
    for name in ("Sam", "Alex"):
        versions.append(harness.store.save(hid, d(ev.GiveName(name)), versions[-1]))
    stored = harness.store.load(hid)

    assert versions == [1, 2, 3]
    assert stored is not None and stored.version == 3 and stored.game == d.game


def test_a_stale_version_is_refused_and_changes_nothing(harness: Harness) -> None:
    hid, d = household(), Driver().named()
    v1 = harness.store.save(hid, d.game, None)
    v2 = harness.store.save(hid, d(ev.SetPause(90)), v1)
    ours = d.game

    with pytest.raises(ConcurrentUpdate):
        harness.store.save(hid, Driver().named("Kim", "Lee").game, v1)
    with pytest.raises(ConcurrentUpdate):
        harness.store.save(hid, Driver().named("Kim", "Lee").game, v2 + 5)
    stored = harness.store.load(hid)

    assert stored is not None and stored.version == v2 and stored.game == ours


def race(writers: list[Callable[[], int]]) -> tuple[list[int], list[BaseException]]:
    """Run the writers at once (threads released together); their results and errors."""
    barrier = threading.Barrier(len(writers))
    won: list[int] = []
    lost: list[BaseException] = []
    lock = threading.Lock()

    def run(write: Callable[[], int]) -> None:
        barrier.wait()
        try:
            result = write()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            with lock:
                lost.append(exc)
        else:
            with lock:
                won.append(result)

    threads = [threading.Thread(target=run, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return won, lost


def test_two_writers_at_one_version_exactly_one_wins(harness: Harness) -> None:
    hid, base = household(), Driver().named()
    version = harness.store.save(hid, base.game, None)
    games = [Driver(base.game)(ev.SetPause(30 + 10 * i)) for i in range(6)]
    stores = [harness.another() for _ in games]

    won, lost = race(
        [lambda s=s, g=g: s.save(hid, g, version) for s, g in zip(stores, games, strict=True)]
    )
    stored = harness.store.load(hid)

    assert won == [version + 1]
    assert len(lost) == 5 and all(isinstance(e, ConcurrentUpdate) for e in lost), lost
    assert stored is not None and stored.version == version + 1 and stored.game in games


def test_the_loser_reloads_and_reapplies_so_no_update_is_lost(harness: Harness) -> None:
    hid, base = household(), Driver().named()
    d = Driver(base.game)
    d(ev.Yes(), ev.Yes())  # an evening: the current prompt can be saved as a favourite
    version = harness.store.save(hid, d.game, None)
    device_a, device_b = harness.another(), harness.another()

    saved_favourite = Driver(d.game)(ev.SaveFavourite())
    longer_pause = Driver(d.game)(ev.SetPause(120))
    version_a = device_a.save(hid, saved_favourite, version)
    with pytest.raises(ConcurrentUpdate):
        device_b.save(hid, longer_pause, version)
    reloaded = device_b.load(hid)
    assert reloaded is not None and reloaded.version == version_a
    both = Driver(reloaded.game)(ev.SetPause(120))
    device_b.save(hid, both, reloaded.version)
    final = harness.store.load(hid)

    assert final is not None and final.game == both
    assert final.game.household.pause_seconds == 120
    assert asked(final.game)[-1] in final.game.phase.evening.saved  # type: ignore[union-attr]


@pytest.mark.parametrize("with_history", [False, True], ids=["new", "with-history"])
def test_insert_if_absent_has_one_winner(harness: Harness, with_history: bool) -> None:
    hid = household()
    base = Driver().named()
    if with_history:
        base.finish_evening()
    games = [Driver(base.game)(ev.SetPause(40 + 10 * i)) for i in range(5)]

    stores = [harness.another() for _ in games]
    won, lost = race(
        [lambda s=s, g=g: s.save(hid, g, None) for s, g in zip(stores, games, strict=True)]
    )
    stored = harness.store.load(hid)

    assert won == [1]
    assert len(lost) == 4 and all(isinstance(e, ConcurrentUpdate) for e in lost), lost
    assert stored is not None and stored.version == 1 and stored.game in games


def test_delete_removes_everything(harness: Harness) -> None:
    hid, other = household(), household()
    d = Driver().named().finish_evening()  # a history too (its own item in DynamoDB)
    d(ev.Yes(), ev.Yes())
    harness.store.save(hid, d.game, None)
    harness.store.save(other, d.game, None)
    assert harness.remaining(hid) == (2 if harness.kind == "dynamodb" else 1)

    harness.store.delete(hid)
    harness.store.delete(hid)  # nothing left: no error
    harness.store.delete(household())

    assert harness.remaining(hid) == 0
    assert harness.store.load(hid) is None
    assert harness.another().load(hid) is None
    assert harness.store.load(other) is not None  # only that household
    assert harness.store.save(hid, Game.new(), None) == 1  # starts over at version 1
    stored = harness.store.load(hid)
    assert stored is not None and stored.game == Game.new()


@pytest.mark.parametrize(
    "raw_name",
    [
        "Jo\"ann's",
        "</speak><audio src='x'/>",
        "Zoë & <Kim>",
        "😀 Lee 👩‍❤️‍👨",
        "Ana\x00Maria",
        '\\u0000 {"v": 2}',
        "A" * 300,
        "   ",
    ],
)
def test_hostile_names_round_trip_as_the_core_cleaned_them(harness: Harness, raw_name: str) -> None:
    hid = household()
    d = Driver()
    d(ev.Launch(), ev.GiveName(raw_name), ev.GiveName("Alex"))
    game = d.game

    harness.store.save(hid, game, None)
    stored = harness.another().load(hid)

    assert stored is not None and stored.game == game
    assert "\x00" not in stored.game.household.names[0]
    assert len(stored.game.household.names[0]) <= 40


def test_a_corrupt_item_raises_corrupt_progress_with_its_version(harness: Harness) -> None:
    hid = household()
    harness.write_corrupt(hid, 7)

    with pytest.raises(CorruptProgress) as caught:
        harness.store.load(hid)
    assert caught.value.version == 7
    # What the service does next: start afresh, overwriting the item at that version.
    assert harness.store.save(hid, Game.new(), caught.value.version) == 8
    stored = harness.another().load(hid)
    assert stored is not None and stored.game == Game.new() and stored.version == 8


# --- DynamoDB only --------------------------------------------------------------------------


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: UTF-8 attribute names plus value sizes (S, N, BOOL kinds)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode("utf-8"))
        [(kind, raw)] = value.items()
        if kind == "S":
            total += len(raw.encode("utf-8"))
        elif kind == "N":
            digits = raw.lstrip("-").replace(".", "").strip("0")
            total += (len(digits) + 1) // 2 + 1
        elif kind == "BOOL":
            total += 1
        else:
            raise AssertionError(f"unexpected attribute kind {kind}")
    return total


class Recording:
    """A real boto3 client, passed through, with its writes and reads noted. Optionally asks
    DynamoDB for the capacity each PutItem consumed."""

    def __init__(self, real: Any, *, capacity: bool = False) -> None:
        self._real = real
        self._capacity = capacity
        self.puts: list[str] = []  # sk of each PutItem attempted
        self.transactions: list[list[tuple[str, str]]] = []  # (action, sk) per transaction
        self.queries = 0
        self.put_items: list[dict[str, Any]] = []
        self.units: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.puts.append(kwargs["Item"]["sk"]["S"])
        self.put_items.append(kwargs["Item"])
        if self._capacity:
            kwargs["ReturnConsumedCapacity"] = "TOTAL"
        answer = self._real.put_item(**kwargs)
        if self._capacity:
            self.units.append(answer["ConsumedCapacity"]["CapacityUnits"])
        return answer

    def transact_write_items(self, **kwargs: Any) -> Any:
        noted = []
        for entry in kwargs["TransactItems"]:
            [(action, body)] = entry.items()
            key = body.get("Item") or body.get("Key")
            noted.append((action, key["sk"]["S"]))
        self.transactions.append(noted)
        return self._real.transact_write_items(**kwargs)

    def query(self, **kwargs: Any) -> Any:
        self.queries += 1
        return self._real.query(**kwargs)

    def history_writes(self) -> int:
        return self.puts.count("history") + sum(
            ("Put", "history") in t or ("Delete", "history") in t for t in self.transactions
        )

    def reset(self) -> None:
        self.puts.clear()
        self.transactions.clear()
        self.put_items.clear()
        self.units.clear()
        self.queries = 0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def recording_store(
    table: LocalTable, *, capacity: bool = False, clock: Clock | None = None
) -> tuple[DynamoDbStore, Recording]:
    recording = Recording(client(table.endpoint), capacity=capacity)
    store = DynamoDbStore(table.table_name, client=recording, now=clock or time.time)
    return store, recording


def by_sk(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["sk"]["S"]: item for item in items}


def test_items_are_one_progress_and_one_history_per_household(
    dynamodb_table: LocalTable,
) -> None:
    hid = household()
    store, recording = recording_store(dynamodb_table)
    store.save(hid, mid_evening(), None)

    items = by_sk(query(dynamodb_table, hid))
    loaded = store.load(hid)

    assert set(items) == {"progress", "history"}
    assert items["progress"]["pk"] == {"S": f"household#{hid}"}
    assert set(items["progress"]) == {"pk", "sk", "version", "hk", "expires_at", "g"}
    assert set(items["history"]) == {"pk", "sk", "hk", "expires_at", "h"}
    assert items["progress"]["hk"] == items["history"]["hk"]
    assert LONG_A in items["progress"]["g"]["S"]  # names live with the progress ...
    assert LONG_A not in items["history"]["h"]["S"]  # ... not in the history
    assert json.loads(items["history"]["h"]["S"])["ev"] == 2
    assert loaded is not None and recording.queries == 1  # a load is one Query


def test_ttl_expires_both_items_13_months_after_the_last_write(
    dynamodb_table: LocalTable,
) -> None:
    hid, clock = household(), Clock(T0 + 12_345)
    store, _ = recording_store(dynamodb_table, clock=clock)
    store.save(hid, mid_evening(), None)

    items = by_sk(query(dynamodb_table, hid))
    progress_ttl = int(items["progress"]["expires_at"]["N"])
    history_ttl = int(items["history"]["expires_at"]["N"])

    assert progress_ttl == int(clock.now) + TTL_SECONDS
    assert 12.9 * MONTH < progress_ttl - clock.now < 13.1 * MONTH
    # The history lives at least as long as the progress, never more than a month longer.
    assert progress_ttl <= history_ttl <= progress_ttl + PERIOD_SECONDS

    clock.now += 86_400  # a turn a day later pushes the progress's expiry along
    stored = store.load(hid)
    assert stored is not None
    store.save(hid, Driver(stored.game)(ev.Next()), stored.version)
    later = by_sk(query(dynamodb_table, hid))
    assert int(later["progress"]["expires_at"]["N"]) == progress_ttl + 86_400
    assert int(later["history"]["expires_at"]["N"]) >= progress_ttl + 86_400


def test_every_turn_of_an_8_prompt_evening_writes_under_1_kb(dynamodb_table: LocalTable) -> None:
    hid = household()
    store, recording = recording_store(dynamodb_table, capacity=True)
    d = Driver().named(LONG_A, LONG_B)
    d.finish_evening()
    version = store.save(hid, d.game, None)
    recording.reset()

    d(ev.StartEvening(8))
    version = store.save(hid, d.game, version)
    turns = [ev.Yes(), ev.Skip(), ev.SaveFavourite(), ev.Deeper()] + [ev.Next()] * 40
    for event in turns:
        before = d.game
        d(event, after=80)
        if d.game != before and isinstance(d.game.phase, Answering | Reflecting | Closing):
            version = store.save(hid, d.game, version)
        if len(asked(d.game)) == 6 and isinstance(d.game.phase, Answering):
            d(ev.SessionEnded())  # paused: the largest shape, the evening inside another
            version = store.save(hid, d.game, version)
            d(ev.Launch(), ev.Yes())
            version = store.save(hid, d.game, version)
        if isinstance(d.game.phase, Closing):
            break
    sizes = [item_size(item) for item in recording.put_items]

    assert len(sizes) > 15 and recording.puts == ["progress"] * len(sizes)
    assert max(sizes) < 1024, max(sizes)
    assert recording.units == [1.0] * len(sizes)  # DynamoDB Local's own count
    print(f"progress item sizes: min {min(sizes)} max {max(sizes)} bytes")


def test_history_is_written_once_per_evening_not_per_turn(dynamodb_table: LocalTable) -> None:
    hid = household()
    store, recording = recording_store(dynamodb_table)
    service = GameService(store)
    ctx_now = [T0]

    def play(event: ev.Event, session: Session | None, after: int = 60) -> Session:
        ctx_now[0] += after
        turn = service.play(hid, event, Ctx(ctx_now[0], ctx_now[0], DECK), session)
        assert turn.notice is None, turn.notice
        assert turn.session is not None
        return turn.session

    session = play(ev.Launch(), None)
    for event in (ev.GiveName("Sam"), ev.GiveName("Alex"), ev.Yes(), ev.Yes()):
        session = play(event, session)
    assert recording.history_writes() == 0  # an empty history needs no item

    turns = 0
    while not isinstance(session.game.phase, Ready):
        session = play(ev.Next(), session)
        turns += 1
    assert turns > 8
    assert recording.history_writes() == 1  # the evening ended
    assert recording.transactions == [[("Put", "progress"), ("Put", "history")]]

    recording.reset()
    for event in (ev.Yes(), ev.Yes(), ev.Next(), ev.Next()):
        session = play(event, session)
    assert recording.history_writes() == 0
    assert recording.puts == ["progress"] * 4 and recording.transactions == []

    # Every turn on another store object (another Lambda container) with nothing cached:
    # a turn that leaves the history alone still writes the progress only, and the turn that
    # ends the evening still writes the history (the progress's condition catches it).
    colds: list[Recording] = []
    while not isinstance(session.game.phase, Ready):
        cold_store, cold = recording_store(dynamodb_table)
        service = GameService(cold_store)
        session = play(ev.Next(), session)
        colds.append(cold)
    assert len(colds) > 8
    assert [c.history_writes() for c in colds] == [0] * (len(colds) - 1) + [1]
    assert all(c.puts == ["progress"] and c.queries == 0 for c in colds[:-1])
    stored = DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))
    loaded = stored.load(hid)
    assert loaded is not None and loaded.game == session.game
    assert loaded.game.household.history.evenings == 2


def test_the_history_item_is_refreshed_once_a_period_so_it_outlives_the_progress(
    dynamodb_table: LocalTable,
) -> None:
    hid, clock = household(), Clock()
    store, recording = recording_store(dynamodb_table, clock=clock)
    d = Driver().named().finish_evening()
    version = store.save(hid, d.game, None)
    first = int(by_sk(query(dynamodb_table, hid))["history"]["expires_at"]["N"])
    recording.reset()

    clock.now += PERIOD_SECONDS + 1  # a month later, the same history
    version = store.save(hid, d(ev.SetPause(90)), version)
    clock.now += 60
    version = store.save(hid, d(ev.SetPause(120)), version)
    refreshed = int(by_sk(query(dynamodb_table, hid))["history"]["expires_at"]["N"])

    assert recording.history_writes() == 1  # once in the new period, not on every turn
    assert refreshed >= first + PERIOD_SECONDS
    assert refreshed >= int(clock.now) + TTL_SECONDS
    stored = store.load(hid)
    assert stored is not None and stored.game == d.game


def test_a_changed_history_is_not_lost_when_the_cache_is_stale(dynamodb_table: LocalTable) -> None:
    """Delete and re-create behind this object's back: its cached version number is reused."""
    hid = household()
    store = DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))
    other = DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))
    with_history = Driver().named().finish_evening().game
    assert store.save(hid, with_history, None) == 1
    other.delete(hid)
    assert other.save(hid, Game.new(), None) == 1  # version 1 again, empty history

    # The cache says "version 1 has this history": the write must not trust it.
    assert store.save(hid, with_history, 1) == 2
    stored = other.load(hid)

    assert stored is not None and stored.game == with_history


def test_a_progress_without_its_history_is_corrupt_and_recoverable(
    dynamodb_table: LocalTable,
) -> None:
    hid = household()
    store = DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))
    store.save(hid, Driver().named().finish_evening().game, None)
    raw = client(dynamodb_table.endpoint)
    raw.delete_item(
        TableName=dynamodb_table.table_name,
        Key={"pk": {"S": f"household#{hid}"}, "sk": {"S": "history"}},
    )

    with pytest.raises(CorruptProgress) as caught:
        store.load(hid)
    assert caught.value.version == 1
    assert store.save(hid, Game.new(), 1) == 2
    stored = store.load(hid)
    assert stored is not None and stored.game == Game.new()
    assert set(by_sk(query(dynamodb_table, hid))) == {"progress"}  # the stale history is gone


def test_an_item_without_a_readable_version_is_corrupt_at_version_0(
    dynamodb_table: LocalTable,
) -> None:
    hid = household()
    client(dynamodb_table.endpoint).put_item(
        TableName=dynamodb_table.table_name,
        Item={"pk": {"S": f"household#{hid}"}, "sk": {"S": "progress"}, "version": {"S": "x"}},
    )
    store = DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))

    with pytest.raises(CorruptProgress) as caught:
        store.load(hid)
    assert caught.value.version == 0
    assert store.save(hid, Game.new(), 0) == 1
    stored = store.load(hid)
    assert stored is not None and stored.version == 1


def test_nothing_happens_at_import_or_construction() -> None:
    code = (
        "import sys\n"
        "from skill.store.dynamodb import DynamoDbStore\n"
        "store = DynamoDbStore('no-such-table')\n"
        "assert 'boto3' not in sys.modules, 'boto3 imported at import time'\n"
        "print('ok')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}  # no region, no credentials
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.fixture
def unreachable_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


def closed_port() -> int:
    return ddb_local.free_port()  # bound, then closed: nothing listens there


@pytest.mark.usefixtures("unreachable_env")
def test_an_unreachable_store_fails_fast_with_store_error() -> None:
    store = DynamoDbStore("t", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    calls: list[Callable[[], object]] = [
        lambda: store.load("h"),
        lambda: store.save("h", Game.new(), None),
        lambda: store.save("h", Driver().named().finish_evening().game, 3),
        lambda: store.delete("h"),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            call()
        assert time.monotonic() - started < 5
        assert not isinstance(caught.value, ConcurrentUpdate)
        assert caught.value.__cause__ is not None  # the driver's error, kept


def test_missing_credentials_are_a_store_error(
    monkeypatch: pytest.MonkeyPatch, unreachable_env: None
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    store = DynamoDbStore("t", endpoint_url=f"http://127.0.0.1:{closed_port()}")

    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        store.load("h")
    assert time.monotonic() - started < 5
    assert type(caught.value.__cause__).__name__ == "NoCredentialsError"


def test_a_frozen_server_times_out_inside_alexas_budget(
    dynamodb_env: LocalTable, dynamodb_local: ddb_local.DynamoDBLocal
) -> None:
    # The store's own client (its timeouts and retries), from the environment as on Lambda.
    store = DynamoDbStore(dynamodb_env.table_name)
    store.save("h", Game.new(), None)  # client made, connection open: then the server stops
    dynamodb_local.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            store.load("h")
        elapsed = time.monotonic() - started
    finally:
        dynamodb_local.resume()
    assert elapsed < 7, elapsed  # the Lambda's timeout; Alexa waits 8 s
    assert type(caught.value.__cause__).__name__ in {"ReadTimeoutError", "ConnectTimeoutError"}
    assert store.load("h") is not None  # and it works again once the server is back
