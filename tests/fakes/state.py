"""An in-memory state backend: the contract of every backend, with no file at all."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

from reconciler.models import RunInfo
from reconciler.state.document import StateDocument
from reconciler.state.interface import LockInfo, StaleState, StateError, StateLocked

_ids = itertools.count(1)


class MemoryBackend:
    name = "memory"

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock  # when a lock is taken
        self.document: StateDocument | None = None
        self.held: LockInfo | None = None
        self.saves = 0

    def describe(self) -> str:
        return "memory"

    def load(self) -> StateDocument | None:
        return self.document

    def save(self, document: StateDocument) -> StateDocument:
        current = self.document
        if current is None and document.serial != 0:
            raise StaleState(f"the state disappeared since serial {document.serial} was read")
        if current is not None:
            if current.lineage != document.lineage:
                raise StaleState(f"the state belongs to another lineage ({current.lineage})")
            if current.serial != document.serial:
                raise StaleState(
                    f"the state changed since it was read (serial {document.serial}, now "
                    f"{current.serial}): run the command again"
                )
        self.document = document.model_copy(update={"serial": document.serial + 1})
        self.saves += 1
        return self.document

    def replace(self, document: StateDocument, *, force: bool = False) -> StateDocument:
        serial = max(document.serial, self.document.serial if self.document else 0) + 1
        self.document = document.model_copy(update={"serial": serial})
        self.saves += 1
        return self.document

    def holder(self) -> LockInfo | None:
        return self.held

    def force_unlock(self, lock_id: str) -> LockInfo:
        if self.held is None or self.held.id != lock_id:
            raise StateError(f"the lock is not {lock_id}: nothing was removed")
        holder, self.held = self.held, None
        return holder

    def notices(self) -> list[str]:
        return []

    def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
        if self.held is not None:
            raise StateLocked(self.held, "memory")
        self.held = LockInfo(
            id=f"lock-{next(_ids)}",
            who="test@memory",
            operation=operation,
            created=self.clock(),
            pid=1,
            run=run,
        )
        return self.held

    def unlock(self, lock: LockInfo) -> None:
        if self.held is not None and self.held.id == lock.id:
            self.held = None
