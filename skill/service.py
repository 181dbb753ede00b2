"""The use case: play one input for one household.

Load the household once per session (or take it from the session), step the core, and write
only when the game changed, conditionally on the version read. A concurrent writer (a second
Echo in the same home) is handled by reloading, re-applying the event and retrying once. When
the store is unreachable mid-session the evening goes on from the session, marked dirty, and
is written by the next request that reaches the store: nothing is lost.

A write that fails may still have landed (a timeout after DynamoDB applied it). Every write
attempted while the session is dirty is conditional on the same version, so at most one of
them can land; the session remembers a digest of each (``pending``). When the next write
meets a newer version, a stored game that is one of those is ours: the session's game,
which continues it, is written on top. A stored game that is not ours means another device
changed the game while this one could not write: this device is told so and shown the
stored game (its unsaved turns are not silently merged or dropped).

Each request spends at most ``STORE_BUDGET_S`` starting store calls: after that, the turn is
kept in the session (dirty) rather than risk Alexa's 8-second limit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from skill.core import Ctx, Game, IllegalMove, question, step
from skill.core.codec import CodecError, decode, encode
from skill.core.effects import Effect, End, Erase, Say
from skill.core.events import Event
from skill.store.port import (
    ConcurrentUpdate,
    CorruptProgress,
    ProgressStore,
    Stored,
    StoreError,
)

log = logging.getLogger(__name__)

STORE_BUDGET_S = 2.5  # no store call starts later than this into a request
MAX_PENDING = 64  # digests of unconfirmed writes a session remembers


class Notice(Enum):
    """Something the front end should know about this turn (for an apology or a log)."""

    UNAVAILABLE = "unavailable"  # could not load at all: nothing was played
    RECOVERED = "recovered"  # stored data was unreadable: started afresh
    CONFLICT = "conflict"  # another device kept changing the game: showed its state
    UNSAVED = "unsaved"  # played, but the write failed: kept in the session (dirty)


@dataclass(frozen=True, slots=True)
class Session:
    """What a session carries between requests: the game, the version it was read or last
    written at, and whether it holds changes the store has not seen yet."""

    game: Game
    version: int | None
    dirty: bool = False
    pending: tuple[str, ...] = ()  # digests of writes that failed but may have landed


@dataclass(frozen=True, slots=True)
class Turn:
    effects: tuple[Effect, ...]
    session: Session | None
    notice: Notice | None = None
    changed: bool = False


def digest(game: Game) -> str:
    """A short fingerprint of a game, to recognise a write of ours found in the store."""
    text = json.dumps(encode(game), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.blake2b(text.encode("ascii"), digest_size=8).hexdigest()


def storable(game: Game) -> bool:
    """Does the game survive the codec both ways? (Never write what cannot be read back.)"""
    try:
        return decode(encode(game)) == game
    except CodecError:
        return False


class GameService:
    def __init__(
        self,
        store: ProgressStore,
        *,
        budget_s: float = STORE_BUDGET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.budget_s = budget_s
        self.clock = clock

    def play(
        self, household_id: str, event: Event, ctx: Ctx, session: Session | None = None
    ) -> Turn:
        notice: Notice | None = None
        deadline = self.clock() + self.budget_s
        if session is None:
            try:
                stored = self.store.load(household_id)
            except CorruptProgress as exc:
                log.warning("stored progress unreadable, starting afresh: %s", exc)
                session, notice = Session(Game.new(), exc.version), Notice.RECOVERED
            except StoreError as exc:
                log.warning("progress store unavailable at session start: %s", exc)
                return Turn((Say("error.unavailable"), End()), None, Notice.UNAVAILABLE)
            else:
                session = (
                    Session(stored.game, stored.version) if stored else Session(Game.new(), None)
                )
        game, effects = self._step(session.game, event, ctx)
        if any(isinstance(e, Erase) for e in effects):
            return self._erase(household_id, effects)
        if game == session.game and not session.dirty and notice is not Notice.RECOVERED:
            return Turn(effects, session, notice)  # (a recovered item is replaced at once)
        return self._save(household_id, event, ctx, session, game, effects, notice, deadline)

    def forget(self, household_id: str) -> None:
        """Delete everything about a household (skill disabled, or "forget us")."""
        self.store.delete(household_id)

    @staticmethod
    def _step(game: Game, event: Event, ctx: Ctx) -> tuple[Game, tuple[Effect, ...]]:
        try:
            return step(game, event, ctx)
        except IllegalMove as exc:  # the table is total; this guards against a gap in it
            log.error("no rule for %s", exc)
            return game, (Say("not_now"), question(game))

    def _erase(self, household_id: str, effects: tuple[Effect, ...]) -> Turn:
        try:
            self.store.delete(household_id)
        except StoreError as exc:
            log.warning("could not delete household: %s", exc)
            return Turn((Say("error.unavailable"), End()), None, Notice.UNAVAILABLE)
        kept = tuple(e for e in effects if not isinstance(e, Erase))
        return Turn(kept, Session(Game.new(), None), changed=True)

    def _save(
        self,
        household_id: str,
        event: Event,
        ctx: Ctx,
        session: Session,
        game: Game,
        effects: tuple[Effect, ...],
        notice: Notice | None,
        deadline: float,
    ) -> Turn:
        if not storable(game):
            return self._refused(session)
        if self.clock() > deadline:
            log.warning("progress store slow; this turn is kept in the session")
            return Turn(effects, replace(session, game=game, dirty=True), Notice.UNSAVED)
        try:
            version = self.store.save(household_id, game, session.version)
            return Turn(effects, Session(game, version), notice, changed=True)
        except ConcurrentUpdate:
            log.info("concurrent update; reloading")
        except StoreError as exc:
            log.warning("progress not saved, kept in session: %s", exc)
            return Turn(effects, self._unconfirmed(session, game, session.version), Notice.UNSAVED)
        if self.clock() > deadline:
            log.warning("progress store slow after a conflict; kept in the session")
            return Turn(effects, replace(session, game=game, dirty=True), Notice.UNSAVED)
        # Someone wrote first (another device, or an earlier write of ours that timed out
        # but landed): read what is stored now.
        try:
            stored = self.store.load(household_id)
        except CorruptProgress as exc:  # the other writer left an unreadable item: replace it
            log.warning("stored progress unreadable after conflict, starting afresh: %s", exc)
            stored, notice = Stored(Game.new(), exc.version), Notice.RECOVERED
        except StoreError as exc:
            log.warning("progress not reloaded after conflict, kept in session: %s", exc)
            return Turn(effects, replace(session, game=game, dirty=True), Notice.UNSAVED)
        if stored is not None and self._ours(session, stored):
            log.info("an unconfirmed write of this session had landed; writing on top of it")
            return self._write_on(household_id, stored, game, effects, notice, deadline)
        if session.dirty:
            # Another device changed the game while this one could not write: say so, and
            # go on from what is stored (this session's unsaved turns are not merged).
            log.warning("unsaved turns met another device's change; showing the stored game")
            base = stored.game if stored else Game.new()
            current = Session(base, stored.version if stored else None)
            return Turn((Say("error.busy"), question(base)), current, Notice.CONFLICT)
        # This event, applied on top of the other device's state; retried once.
        base = Session(stored.game, stored.version) if stored else Session(Game.new(), None)
        game, effects = self._step(base.game, event, ctx)
        if game == base.game:
            return Turn(effects, base, notice)
        return self._write_on(household_id, base, game, effects, notice, deadline, retry=True)

    def _write_on(
        self,
        household_id: str,
        base: Stored | Session,
        game: Game,
        effects: tuple[Effect, ...],
        notice: Notice | None,
        deadline: float,
        retry: bool = False,
    ) -> Turn:
        """Write ``game`` conditionally on ``base``'s version (the second attempt)."""
        based = Session(base.game, base.version)
        if not storable(game):
            return self._refused(based)
        if self.clock() > deadline:
            return Turn(effects, Session(game, base.version, dirty=True), Notice.UNSAVED)
        try:
            version = self.store.save(household_id, game, base.version)
        except ConcurrentUpdate:
            log.warning("concurrent update persisted after %s", "retry" if retry else "rebase")
            return Turn((Say("error.busy"), question(base.game)), based, Notice.CONFLICT)
        except StoreError as exc:
            log.warning("progress not saved after conflict, kept in session: %s", exc)
            return Turn(effects, self._unconfirmed(based, game, base.version), Notice.UNSAVED)
        return Turn(effects, Session(game, version), notice, changed=True)

    @staticmethod
    def _refused(session: Session) -> Turn:
        """A turn whose game could not be read back once stored (a gap in the core's checks
        of its input): not played, so no unreadable item is ever written."""
        log.error("a turn made a game the codec rejects; not played")
        return Turn((Say("not_now"), question(session.game)), session)

    @staticmethod
    def _unconfirmed(session: Session, game: Game, version: int | None) -> Session:
        """The session after a failed write of ``game`` (conditional on ``version``)."""
        pending = session.pending if session.dirty else ()
        pending = (*pending, digest(game))[-MAX_PENDING:]
        return Session(game, version, dirty=True, pending=pending)

    @staticmethod
    def _ours(session: Session, stored: Stored) -> bool:
        """Is the stored game one this session tried to write (and was not told of)?"""
        expected = (session.version or 0) + 1
        return (
            bool(session.pending)
            and stored.version == expected
            and (digest(stored.game) in session.pending)
        )
