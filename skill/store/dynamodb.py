"""The AWS store: our own small boto3 adapter on one DynamoDB table (see template.yaml).

Items (one partition per household, ``pk = "household#<id>"``)::

    sk "progress"  version N · hk S · expires_at N · g S   written on every turn that changes
    sk "history"   hk S · expires_at N · h S                written when an evening ends

- ``g`` is the game as ``skill.core.codec.encode`` makes it, minus ``history``; ``h`` is the
  history (``encode_history``). Both are compact JSON text with short keys (``_SHORT``).
  JSON text rather than native DynamoDB maps: numbers stay ints with no Decimal round trip,
  the codec's validation applies unchanged, and the bytes are fewer (a map pays for every
  attribute name and element). Every progress item of an 8-prompt evening with two
  40-character names measures 360-560 bytes (tests/functional/test_store_contract.py); with
  names of forty 4-byte emoji, every prompt saved and two skipped, 900: one write unit a turn.
- ``hk`` ties the two items together: a digest of the history plus the 30-day period the
  history item was written in (``"0"`` for an empty history, which needs no item). The
  progress item says which history belongs to it; a load that finds the other one (a read
  racing a write) reads again.
- ``expires_at`` (the table's TTL attribute) expires a household 13 months after its last
  write. The history item is rewritten at least once per 30-day period while the household
  plays, and always lives at least as long as the progress item.

Writes are conditional on ``version`` (a second Echo in the home gets ConcurrentUpdate, and
the service reloads and re-applies). A turn writes the progress item only, with one PutItem
that also requires the stored ``hk`` to be the one this game carries, so an unchanged
history is never rewritten and a changed one is never dropped, whatever this object has
cached. When the history changed (an evening ended, or its period rolled over), both items
go in one TransactWriteItems (governed by the PutItem/DeleteItem permissions, no other IAM
action). A small per-household cache of the last ``(version, hk)`` seen only picks which of
the two writes to try first.

Nothing happens at import; the client is created on first use. Driver errors become
StoreError (``from exc``). Neither names nor household ids are logged or put in messages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from skill.core.codec import CodecError, decode, encode, encode_history
from skill.core.model import Game, History

from .port import ConcurrentUpdate, CorruptProgress, Stored, StoreError

log = logging.getLogger(__name__)

TTL_SECONDS = 396 * 86_400  # 13 months (13 x 30.44 days, rounded up)
PERIOD_SECONDS = 30 * 86_400  # the history item is rewritten at least once per period
NO_HISTORY = "0"  # hk of an empty history: no history item is needed
PROGRESS, HISTORY = "progress", "history"
CACHE_SIZE = 1024

# Short JSON keys for the stored documents (codec key -> stored key). Keys not listed are
# stored as they are; a codec key that would read back as another one is refused.
_SHORT = {
    "v": "v",
    "household": "hh",
    "names": "n",
    "pause": "p",
    "length": "l",
    "next_first": "nf",
    "comfort": "c",
    "taught": "tr",
    "phase": "ph",
    "t": "t",
    "slot": "sl",
    "then": "th",
    "evening": "e",
    "since": "s",
    "started_at": "sa",
    "first": "f",
    "asked": "a",
    "skipped": "sk",
    "saved": "sv",
    "shift": "sh",
    "talk": "tk",
    "favourites": "fv",
    "turn": "tu",
    "kind": "k",
    "was": "w",
    "at": "at",
    "back": "b",
    "evenings": "ev",
    "seen": "se",
    "days": "d",
}
_LONG = {short: key for key, short in _SHORT.items()}
assert len(_LONG) == len(_SHORT), "short keys must be unique"


def _rekey(value: Any, table: dict[str, str], refuse: dict[str, str] | None = None) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if refuse is not None and key not in table and key in refuse:
                raise ValueError(f"codec key {key!r} collides with a short key")
            out[table.get(key, key)] = _rekey(item, table, refuse)
        return out
    if isinstance(value, list):
        return [_rekey(item, table, refuse) for item in value]
    return value


def _dump(doc: dict[str, Any]) -> str:
    short = _rekey(doc, _SHORT, refuse=_LONG)
    text = json.dumps(short, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escape it rather than fail the write
        text = json.dumps(short, separators=(",", ":"), ensure_ascii=True)
    return text


def _load_json(text: str) -> Any:
    return _rekey(json.loads(text), _LONG)


def history_key(history_doc: dict[str, Any], now: float) -> str:
    """``hk``: which history, written in which period ("0": the empty history)."""
    if history_doc == _EMPTY_HISTORY:
        return NO_HISTORY
    canonical = json.dumps(history_doc, sort_keys=True, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode("utf-8"), digest_size=6).hexdigest()
    return f"{digest}.{int(now // PERIOD_SECONDS)}"


def _history_expires_at(key: str) -> int:
    period = int(key.rsplit(".", 1)[1])
    return (period + 1) * PERIOD_SECONDS + TTL_SECONDS  # >= any progress write in the period


_EMPTY_HISTORY = encode_history(History())


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "")
    return ""


class DynamoDbStore:
    """Progress in a DynamoDB table: two items per household, conditional writes."""

    def __init__(
        self,
        table_name: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.table_name = table_name
        self.endpoint_url = endpoint_url
        self._now = now
        self._client = client
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[int, str]] = OrderedDict()  # (version, hk)

    # --- driver ---------------------------------------------------------------------------

    def _dynamodb(self) -> Any:
        """The boto3 DynamoDB client, created on first use (never at import)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        config = Config(
            connect_timeout=1,
            read_timeout=2,
            retries={"mode": "standard", "total_max_attempts": 2},
        )
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
        try:
            return boto3.session.Session().client(
                "dynamodb", region_name=region, endpoint_url=self.endpoint_url, config=config
            )
        except BotoCoreError as exc:
            raise StoreError(f"cannot create a DynamoDB client: {type(exc).__name__}") from exc

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call; driver errors become StoreError (ClientError kept as cause)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._dynamodb(), operation)(TableName=self.table_name, **kwargs)
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise  # the caller decides
            raise StoreError(f"DynamoDB {operation} failed: {_code(exc) or 'error'}") from exc
        except BotoCoreError as exc:  # its text may quote parameters: the type name only
            raise StoreError(f"DynamoDB {operation} failed: {type(exc).__name__}") from exc

    def _transact(self, items: list[dict[str, Any]]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for item in items:
            next(iter(item.values()))["TableName"] = self.table_name
        try:
            self._dynamodb().transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if _code(exc) == "TransactionCanceledException" and (
                "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons
            ):
                raise ConcurrentUpdate("household changed while writing") from exc
            raise StoreError(f"DynamoDB transact_write_items failed: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"DynamoDB transact_write_items failed: {type(exc).__name__}") from exc

    # --- cache ----------------------------------------------------------------------------

    def _remember(self, household_id: str, version: int, key: str) -> None:
        with self._lock:
            self._known[household_id] = (version, key)
            self._known.move_to_end(household_id)
            while len(self._known) > CACHE_SIZE:
                self._known.popitem(last=False)

    def _recall(self, household_id: str) -> tuple[int, str] | None:
        with self._lock:
            return self._known.get(household_id)

    def _forget(self, household_id: str) -> None:
        with self._lock:
            self._known.pop(household_id, None)

    # --- the port -------------------------------------------------------------------------

    @staticmethod
    def _pk(household_id: str) -> dict[str, str]:
        return {"S": f"household#{household_id}"}

    def _query(self, household_id: str) -> dict[str, dict[str, Any]]:
        answer = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": self._pk(household_id)},
            ConsistentRead=True,
        )
        return {
            str(item.get("sk", {}).get("S")): item
            for item in answer.get("Items", [])
            if isinstance(item, dict)
        }

    def _read(
        self, household_id: str
    ) -> tuple[int, str, dict[str, Any], dict[str, Any] | None] | None:
        """(version, hk, progress, history) of a household whose two items agree, or None."""
        for attempt in range(2):
            items = self._query(household_id)
            progress = items.get(PROGRESS)
            if progress is None:
                return None
            version = _version(progress)
            key = progress.get("hk", {}).get("S")
            if version is None or not isinstance(key, str):
                raise CorruptProgress("stored progress has no version or history key", version or 0)
            if key == NO_HISTORY:
                return version, key, progress, None
            history = items.get(HISTORY)
            if history is not None and history.get("hk") == {"S": key}:
                return version, key, progress, history
            if attempt:
                raise CorruptProgress("stored history does not match the progress", version)
            # The query ran between the two items of a transaction: read again.
        raise AssertionError("unreachable")

    def load(self, household_id: str) -> Stored | None:
        found = self._read(household_id)
        if found is None:
            self._forget(household_id)
            return None
        version, key, progress, history = found
        try:
            doc = _load_json(progress["g"]["S"])
            if not isinstance(doc, dict):
                raise CodecError("stored progress is not an object")
            doc["history"] = _EMPTY_HISTORY if history is None else _load_json(history["h"]["S"])
            game = decode(doc)
        except (KeyError, TypeError, ValueError) as exc:  # CodecError is a ValueError
            raise CorruptProgress(f"stored game is unreadable: {exc}", version) from exc
        self._remember(household_id, version, key)
        return Stored(game, version)

    def save(self, household_id: str, game: Game, expected_version: int | None) -> int:
        from botocore.exceptions import ClientError

        now = self._now()
        doc = encode(game)
        history_doc = doc.pop("history")
        key = history_key(history_doc, now)
        new_version = 1 if expected_version is None else expected_version + 1
        progress = {
            "pk": self._pk(household_id),
            "sk": {"S": PROGRESS},
            "version": {"N": str(new_version)},
            "hk": {"S": key},
            "expires_at": {"N": str(int(now) + TTL_SECONDS)},
            "g": {"S": _dump(doc)},
        }
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", {}
        elif expected_version == 0:  # overwriting an item whose version was unreadable
            condition = "attribute_exists(pk) AND NOT attribute_type(version, :num)"
            values = {":num": {"S": "N"}}
        else:
            condition, values = "version = :expected", {":expected": {"N": str(expected_version)}}

        known = self._recall(household_id)
        if expected_version is None:
            history_changed = key != NO_HISTORY
        else:  # a cold cache tries the progress alone: its condition catches a changed history
            history_changed = known is not None and known[0] == expected_version and known[1] != key
        if not history_changed and expected_version != 0:
            fast: dict[str, Any] = {"ConditionExpression": condition}
            if expected_version is not None:
                fast["ConditionExpression"] = f"{condition} AND hk = :hk"
                fast["ExpressionAttributeValues"] = values | {":hk": {"S": key}}
            try:
                self._call(
                    "put_item", Item=progress, ReturnValuesOnConditionCheckFailure="ALL_OLD", **fast
                )
            except ClientError as exc:
                old = exc.response.get("Item")
                if expected_version is None or old is None or _version(old) != expected_version:
                    self._forget(household_id)
                    raise ConcurrentUpdate(
                        f"household changed since version {expected_version}"
                    ) from exc
                # Same version, another history (or its period rolled over): write both.
            else:
                self._remember(household_id, new_version, key)
                return new_version

        put: dict[str, Any] = {"Item": progress, "ConditionExpression": condition}
        if values:
            put["ExpressionAttributeValues"] = values
        history_key_attr = {"pk": self._pk(household_id), "sk": {"S": HISTORY}}
        if key == NO_HISTORY:
            other: dict[str, Any] = {"Delete": {"Key": history_key_attr}}
        else:
            other = {
                "Put": {
                    "Item": history_key_attr
                    | {
                        "hk": {"S": key},
                        "expires_at": {"N": str(_history_expires_at(key))},
                        "h": {"S": _dump(history_doc)},
                    }
                }
            }
        try:
            self._transact([{"Put": put}, other])
        except ConcurrentUpdate:
            self._forget(household_id)
            raise
        self._remember(household_id, new_version, key)
        return new_version

    def delete(self, household_id: str) -> None:
        """Both items at once (one transaction: never a history left without its progress)."""
        self._forget(household_id)
        keys = [{"pk": self._pk(household_id), "sk": {"S": sk}} for sk in (PROGRESS, HISTORY)]
        for attempt in range(2):
            try:
                self._transact([{"Delete": {"Key": key}} for key in keys])
                return
            except ConcurrentUpdate as exc:  # a write of this household was in flight
                if attempt:
                    raise StoreError("could not delete the household: busy") from exc
                log.info("delete met a concurrent write; retrying once")


def _version(item: dict[str, Any]) -> int | None:
    raw = item.get("version", {})
    number = raw.get("N") if isinstance(raw, dict) else None
    try:
        return int(number) if isinstance(number, str) else None
    except ValueError:
        return None
