"""State backends: load, save against the serial that was read, and an exclusive lock.

Every backend runs the same contract tests. Saving never replaces a state it cannot read, and
refuses when the stored state moved on since it was loaded (another run wrote it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.models import Frozen
from reconciler.state.document import StateDocument


class LockInfo(Frozen):
    id: str
    who: str
    operation: str
    created: datetime
    pid: int | None = None

    def describe(self) -> str:
        pid = f", pid {self.pid}" if self.pid else ""
        return (
            f"{self.who} ({self.operation}{pid}) since {self.created:%Y-%m-%d %H:%M:%S %Z}, "
            f"lock ID {self.id}"
        )


class StateError(ReconcilerError):
    """The state cannot be read or written as asked."""


class CorruptState(StateError):
    """The stored state is unreadable; it is left as it is."""


class StaleState(StateError):
    """The stored state changed since it was loaded (lineage or serial moved)."""


class StateLocked(StateError):
    """Another run holds the lock."""

    def __init__(self, holder: LockInfo | None, where: str, waited: float = 0) -> None:
        self.holder = holder
        self.where = where
        who = holder.describe() if holder else "another process (no lock details were readable)"
        after = f" (waited {waited:g}s)" if waited else ""
        super().__init__(
            f"the state at {where} is locked by {who}{after}; wait for that run to finish, or "
            "give --lock-timeout to wait for it"
        )


class StateBackend(Protocol):
    name: str

    def describe(self) -> str:
        """Where the state is, for messages."""
        ...

    def load(self) -> StateDocument | None:
        """The stored state, or None where there is none yet."""
        ...

    def save(self, document: StateDocument) -> StateDocument:
        """Store `document` (loaded at its serial) as the next serial; return what was stored."""
        ...

    def lock(self, operation: str) -> LockInfo: ...

    def unlock(self, lock: LockInfo) -> None: ...

    def replace(self, document: StateDocument) -> StateDocument:
        """Store `document` whatever its lineage (`state push`), as a serial above both the
        stored one and its own; the caller holds the lock and has made its checks."""
        ...

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock of that ID that a killed run left, and only that one."""
        ...

    def notices(self) -> list[str]:
        """What the user should know about this backend (once), e.g. a bucket without
        versioning; the list is emptied by reading it."""
        ...
