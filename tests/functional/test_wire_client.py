"""The store contract's basics through the WireClient (the client the Lambda uses), on
DynamoDB Local: what it writes, botocore reads back, and its errors are the ones the store
turns into ConcurrentUpdate and StoreError. (DynamoDB Local does not check signatures:
tests/unit/test_wire_signing.py compares them with botocore's.)"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from skill.core import events as ev
from skill.store.dynamodb import (
    CONNECT_TIMEOUT_S,
    MAX_ATTEMPTS,
    READ_TIMEOUT_S,
    DynamoDbStore,
    WireClient,
)
from skill.store.port import ConcurrentUpdate, StoreError
from tests.functional.test_store_contract import (
    Driver,
    Recording,
    asked,
    by_sk,
    closed_port,
    household,
    mid_evening,
    query,
)
from tests.support.fixtures_dynamodb import (
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    LocalTable,
    client,
)


def wire(endpoint: str, *, connect_timeout: float = 2.0, read_timeout: float = 10.0) -> WireClient:
    # DynamoDB Local (a JVM) can be slower than DynamoDB: more read time than production's.
    return WireClient(
        endpoint,
        REGION,
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=1,
    )


def wire_store(table: LocalTable) -> DynamoDbStore:
    return DynamoDbStore(table.table_name, client=wire(table.endpoint))


def test_a_mid_evening_game_round_trips(dynamodb_table: LocalTable) -> None:
    hid, game = household(), mid_evening()
    assert game.household.history.evenings == 2 and len(asked(game)) == 5
    store = wire_store(dynamodb_table)

    version = store.save(hid, game, None)
    stored = store.load(hid)
    cold = wire_store(dynamodb_table).load(hid)
    by_botocore = DynamoDbStore(
        dynamodb_table.table_name, client=client(dynamodb_table.endpoint)
    ).load(hid)

    assert version == 1
    for found in (stored, cold, by_botocore):
        assert found is not None and found.game == game and found.version == 1
    assert store.load(household()) is None


def test_a_stale_version_is_a_concurrent_update(dynamodb_table: LocalTable) -> None:
    hid, d = household(), Driver().named()
    store, other = wire_store(dynamodb_table), wire_store(dynamodb_table)
    v1 = store.save(hid, d.game, None)
    v2 = other.save(hid, d(ev.SetPause(90)), v1)
    ours = d.game

    with pytest.raises(ConcurrentUpdate):  # PutItem's condition (ALL_OLD read back)
        store.save(hid, Driver().named("Kim", "Lee").game, v1)
    with pytest.raises(ConcurrentUpdate):  # insert-if-absent over an existing household
        store.save(hid, Driver().named("Kim", "Lee").game, None)
    store.load(hid)  # cache: (v2, no history)
    with_history = Driver().named("Kim", "Lee").finish_evening().game
    third = other.save(hid, Driver(ours)(ev.SetPause(60)), v2)
    with pytest.raises(ConcurrentUpdate) as caught:  # a transaction's CancellationReasons
        store.save(hid, with_history, v2)
    stored = wire_store(dynamodb_table).load(hid)

    assert third == v2 + 1
    assert isinstance(caught.value.__cause__, ClientError)
    assert caught.value.__cause__.response["Error"]["Code"] == "TransactionCanceledException"
    assert stored is not None and stored.version == third
    assert stored.game.household.pause_seconds == 60


def test_the_evening_end_transaction_writes_the_history_item(dynamodb_table: LocalTable) -> None:
    hid, d = household(), Driver().named()
    recording = Recording(wire(dynamodb_table.endpoint))
    store = DynamoDbStore(dynamodb_table.table_name, client=recording)
    version = store.save(hid, d.game, None)
    assert set(by_sk(query(dynamodb_table, hid))) == {"progress"}

    recording.reset()
    version = store.save(hid, d.finish_evening().game, version)
    items = by_sk(query(dynamodb_table, hid))

    assert recording.transactions == [[("Put", "progress"), ("Put", "history")]]
    assert set(items) == {"progress", "history"}
    assert items["progress"]["hk"] == items["history"]["hk"] != {"S": "0"}
    assert items["progress"]["version"] == {"N": str(version)} == {"N": "2"}
    stored = wire_store(dynamodb_table).load(hid)
    assert stored is not None and stored.game == d.game
    assert stored.game.household.history.evenings == 1


def test_delete_leaves_nothing(dynamodb_table: LocalTable) -> None:
    hid, other = household(), household()
    store = wire_store(dynamodb_table)
    game = Driver().named().finish_evening().game
    store.save(hid, game, None)
    store.save(other, game, None)
    assert len(query(dynamodb_table, hid)) == 2

    store.delete(hid)
    store.delete(hid)  # nothing left: no error

    assert query(dynamodb_table, hid) == []
    assert store.load(hid) is None
    assert len(query(dynamodb_table, other)) == 2
    assert store.save(hid, game, None) == 1


def test_a_closed_port_is_a_store_error_within_3_s() -> None:
    client = wire(
        f"http://127.0.0.1:{closed_port()}",
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    assert MAX_ATTEMPTS == 1
    store = DynamoDbStore("t", client=client)
    for call in (
        lambda: store.load("h"),
        lambda: store.save("h", Driver().named().game, None),
        lambda: store.save("h", Driver().named().finish_evening().game, 3),
        lambda: store.delete("h"),
    ):
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            call()
        assert time.monotonic() - started < 3
        assert not isinstance(caught.value, ConcurrentUpdate)
        assert isinstance(caught.value.__cause__, EndpointConnectionError)


def test_a_client_error_from_dynamodb_is_a_store_error(dynamodb_table: LocalTable) -> None:
    store = DynamoDbStore("connection-game-no-such-table", client=wire(dynamodb_table.endpoint))
    for call in (
        lambda: store.load("h"),
        lambda: store.save("h", Driver().named().game, None),  # PutItem
        lambda: store.save("h", Driver().named().finish_evening().game, None),  # transaction
        lambda: store.delete("h"),
    ):
        with pytest.raises(StoreError) as caught:
            call()
        assert not isinstance(caught.value, ConcurrentUpdate)
        cause = caught.value.__cause__
        assert isinstance(cause, ClientError)
        assert cause.response["Error"]["Code"] == "ResourceNotFoundException"
        assert cause.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "ResourceNotFoundException" in str(caught.value)
