"""The use case: play one input for one household.

Load the household once per session (or take it from the session), step the core, and write
only when the game changed, conditionally on the version read. A concurrent writer (a second
Echo in the same home) is handled by reloading, re-applying the event and retrying once. When
the store is unreachable mid-session the evening goes on from the session, marked dirty, and
is written by the next request that reaches the store: nothing is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from skill.core import Ctx, Game, IllegalMove, question, step
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


@dataclass(frozen=True, slots=True)
class Turn:
    effects: tuple[Effect, ...]
    session: Session | None
    notice: Notice | None = None
    changed: bool = False


class GameService:
    def __init__(self, store: ProgressStore) -> None:
        self.store = store

    def play(
        self, household_id: str, event: Event, ctx: Ctx, session: Session | None = None
    ) -> Turn:
        notice: Notice | None = None
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
        if game == session.game and not session.dirty:
            return Turn(effects, session, notice)
        return self._save(household_id, event, ctx, session, game, effects, notice)

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
    ) -> Turn:
        try:
            version = self.store.save(household_id, game, session.version)
            return Turn(effects, Session(game, version), notice, changed=True)
        except ConcurrentUpdate:
            log.info("concurrent update; reloading and re-applying")
        except StoreError as exc:
            log.warning("progress not saved, kept in session: %s", exc)
            return Turn(effects, Session(game, session.version, dirty=True), Notice.UNSAVED)
        # Someone else wrote first: take their state, apply this event on top, retry once.
        try:
            stored = self.store.load(household_id)
        except CorruptProgress as exc:  # the other writer left an unreadable item: replace it
            log.warning("stored progress unreadable after conflict, starting afresh: %s", exc)
            stored, notice = Stored(Game.new(), exc.version), Notice.RECOVERED
        except StoreError as exc:
            log.warning("progress not reloaded after conflict, kept in session: %s", exc)
            return Turn(effects, Session(game, session.version, dirty=True), Notice.UNSAVED)
        base = Session(stored.game, stored.version) if stored else Session(Game.new(), None)
        game, effects = self._step(base.game, event, ctx)
        if game == base.game:
            return Turn(effects, base, notice)
        try:
            version = self.store.save(household_id, game, base.version)
        except ConcurrentUpdate:
            log.warning("concurrent update persisted after retry")
            return Turn((Say("error.busy"), question(base.game)), base, Notice.CONFLICT)
        except StoreError as exc:
            log.warning("progress not saved after conflict, kept in session: %s", exc)
            return Turn(effects, Session(game, base.version, dirty=True), Notice.UNSAVED)
        return Turn(effects, Session(game, version), notice, changed=True)
