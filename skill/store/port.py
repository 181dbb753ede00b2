"""The progress store port: domain values in, domain values out, versions for safe writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from skill.core.model import Game


class StoreError(Exception):
    """The store could not be reached or answered badly (the driver's error is the cause)."""


class ConcurrentUpdate(StoreError):
    """Someone else wrote this household since we read it: reload and re-apply."""


class CorruptProgress(StoreError):
    """A stored item exists but does not decode; ``version`` lets the caller overwrite it."""

    def __init__(self, message: str, version: int) -> None:
        super().__init__(message)
        self.version = version


@dataclass(frozen=True, slots=True)
class Stored:
    game: Game
    version: int


class ProgressStore(Protocol):
    def load(self, household_id: str) -> Stored | None:
        """The household's game and its version, or None if nothing is stored."""
        ...

    def save(self, household_id: str, game: Game, expected_version: int | None) -> int:
        """Write ``game`` if the stored version is still ``expected_version`` (None: nothing
        stored yet). Returns the new version; raises ConcurrentUpdate otherwise."""
        ...

    def delete(self, household_id: str) -> None:
        """Remove everything stored for the household (no error if there is nothing)."""
        ...
