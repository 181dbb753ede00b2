"""Concurrency: two Echos of one household and many households at once, on real stores.

Threads drive the skill the way the web service or two Lambda containers would: two
``SkillApp`` objects (two "containers"), one thread per device, every request a real
envelope. Each device keeps its own session, so its copy of the game goes stale whenever
the other device writes; the store's conditional writes and the service's reload / re-apply /
retry-once must then resolve it as specified:

    every turn a device was answered normally is reflected in the final stored game, and a
    turn that is not reflected was answered "another device just changed your game".

The turns are "skip this question" in the middle of an answer: each accepted one adds
exactly one prompt to the evening's ``skipped`` list, so the final state counts them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.handlers import household_key
from skill.config import Settings
from skill.core import events as ev
from skill.core.model import Answering
from skill.service import GameService
from skill.store.dynamodb import DynamoDbStore
from skill.store.port import ProgressStore
from skill.store.sqlite import SqliteStore
from skill.wiring import SkillApp
from tests.support.echo import START, Echo, Reply
from tests.support.fixtures_dynamodb import LocalTable, client

BUSY = "another device just changed your game"
HOUSEHOLDS = 20
SKIPS = 8  # per device


@dataclass
class Device:
    echo: Echo
    accepted: int = 0
    busy: int = 0
    errors: list[str] = field(default_factory=list)


def stores(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], ProgressStore]:
    if kind == "sqlite":
        return lambda: SqliteStore(tmp_path / "progress.sqlite3")
    table: LocalTable = request.getfixturevalue("dynamodb_table")
    return lambda: DynamoDbStore(table.table_name, client=client(table.endpoint))


@pytest.fixture(params=["dynamodb", "sqlite"])
def containers(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[SkillApp, SkillApp, Callable[[], ProgressStore]]]:
    make = stores(request.param, tmp_path, request)
    yield SkillApp(Settings(), store=make()), SkillApp(Settings(), store=make()), make


def _start(device: Device) -> None:
    echo = device.echo
    echo.launch()
    echo.intent("NameIntent", name="Sam")
    echo.intent("NameIntent", name="Alex")
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")


def _skip(device: Device) -> None:
    reply: Reply = device.echo.intent("SkipIntent")  # check_reply runs inside
    if BUSY in reply.text:
        device.busy += 1
    else:
        device.accepted += 1
    assert reply.open, reply.text


def _household(app_a: SkillApp, app_b: SkillApp, user: str, barrier_timeout: float) -> list[Device]:
    a = Device(Echo(app_a.handle, user_id=user, start=START))
    b = Device(Echo(app_b.handle, user_id=user, start=START))
    _start(a)  # kitchen sets the evening up; answering the first prompt now
    a.echo.advance(5)
    b.echo.now = a.echo.now
    together = threading.Barrier(2, timeout=barrier_timeout)

    def run(device: Device) -> None:
        try:
            for _ in range(SKIPS):
                device.echo.advance(5)
                together.wait()  # both devices send at the same moment
                _skip(device)
        except threading.BrokenBarrierError:
            device.errors.append("the other device failed")
        except Exception as exc:  # noqa: BLE001 - reported below
            device.errors.append(f"{type(exc).__name__}: {exc}")
            together.abort()

    threads = [threading.Thread(target=run, args=(d,)) for d in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a, b]


def test_many_households_with_two_devices_each_lose_no_update(
    containers: tuple[SkillApp, SkillApp, Callable[[], ProgressStore]],
) -> None:
    app_a, app_b, make_store = containers
    users = [f"amzn1.ask.account.CONC{uuid.uuid4().hex[:8]}" for _ in range(HOUSEHOLDS)]
    results: dict[str, list[Device]] = {}
    failures: list[str] = []

    def one(user: str) -> None:
        try:
            results[user] = _household(app_a, app_b, user, barrier_timeout=30)
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{user}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    errors = [e for devices in results.values() for d in devices for e in d.errors]
    assert errors == [], errors[:5]

    store = make_store()
    conflicts = 0
    for user in users:
        a, b = results[user]
        stored = store.load(household_key(user))
        assert stored is not None
        phase = stored.game.phase
        assert isinstance(phase, Answering) and phase.turn == 0
        accepted = a.accepted + b.accepted
        assert len(phase.evening.skipped) == accepted, (
            f"{accepted} skips answered normally, {len(phase.evening.skipped)} stored"
        )
        assert accepted + a.busy + b.busy == 2 * SKIPS
        conflicts += a.busy + b.busy
    total = sum(d.accepted + d.busy for devices in results.values() for d in devices)
    assert total == HOUSEHOLDS * 2 * SKIPS
    print(f"\n{HOUSEHOLDS} households x 2 devices: {total} concurrent skips, {conflicts} told busy")


class RacingStore(DynamoDbStore):
    """A real DynamoDB store whose next ``races`` writes each lose a real race: just before
    writing, another device's turn is written to the same household (through its own store
    and service), so the conditional write fails on DynamoDB itself."""

    def __init__(self, table: LocalTable, other: Callable[[], None], races: int) -> None:
        super().__init__(table.table_name, client=client(table.endpoint))
        self.other = other
        self.races = races

    def save(self, household_id: str, game: Any, expected_version: int | None) -> int:
        if self.races > 0:
            self.races -= 1
            self.other()
        return super().save(household_id, game, expected_version)


def test_a_device_that_loses_the_race_twice_is_told_and_nothing_is_merged_wrongly(
    dynamodb_table: LocalTable,
) -> None:
    user = "amzn1.ask.account.RACE"
    kitchen_app = SkillApp(
        Settings(),
        store=DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint)),
    )
    kitchen = Echo(kitchen_app.handle, user_id=user)
    _start(Device(kitchen))
    other_service = GameService(
        DynamoDbStore(dynamodb_table.table_name, client=client(dynamodb_table.endpoint))
    )
    living_skips = []

    def living_room_skips() -> None:
        from skill import content
        from skill.core import Ctx

        stored = other_service.store.load(household_key(user))
        turn = other_service.play(
            household_key(user),
            ev.Skip(),
            Ctx(int(kitchen.now.timestamp()), len(living_skips), content.prompts("en").deck),
            None,
        )
        assert turn.changed and stored is not None
        living_skips.append(turn)

    racing = RacingStore(dynamodb_table, living_room_skips, races=2)
    kitchen_app.service.store = racing
    kitchen.advance(5)
    reply = kitchen.intent("SkipIntent")
    assert BUSY in reply.text and reply.open
    stored = racing.load(household_key(user))
    assert stored is not None and isinstance(stored.game.phase, Answering)
    assert len(stored.game.phase.evening.skipped) == 2, "the two living-room skips, not ours"
    # The kitchen goes on from what is stored: its next skip is accepted and counted.
    kitchen.advance(5)
    reply = kitchen.intent("SkipIntent")
    assert BUSY not in reply.text
    stored = racing.load(household_key(user))
    assert stored is not None and len(stored.game.phase.evening.skipped) == 3  # type: ignore[union-attr]

    # One lost race only: reload, re-apply, written: both turns count.
    racing.races = 1
    kitchen.advance(5)
    reply = kitchen.intent("SkipIntent")
    assert BUSY not in reply.text
    stored = racing.load(household_key(user))
    assert stored is not None and len(stored.game.phase.evening.skipped) == 5  # type: ignore[union-attr]
