"""State backends: load, save against the serial that was read, and an exclusive lock.

Every backend runs the same contract tests. Saving never replaces a state it cannot read, and
refuses when the stored state moved on since it was loaded (another run wrote it). Each backend
pins the lineage its place holds and refuses a state of another one (`LineageMismatch`) until
`state push --force` stores the new one. A lock whose details cannot be read is still a lock:
one of an unknown holder (`LockInfo.unknown`), with an ID of the backend's choosing that
`force-unlock` takes.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pydantic import Field, ValidationError

from reconciler.boundedjson import TooDeep, loads
from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.models import Frozen
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document


class LockInfo(Frozen):
    """A lock's holder, as its details say (written as JSON by the run that took it)."""

    id: str
    who: str
    operation: str
    created: datetime
    pid: int | None = None
    unreadable: bool = Field(default=False, exclude=True)  # never written: see `unknown`

    @classmethod
    def unknown(cls, lock_id: str, since: datetime) -> LockInfo:
        """A lock whose details cannot be read (cut off by a killed write, or damaged), known by
        an ID the backend derives from what is there, held since it was last written."""
        return cls(id=lock_id, who="unknown", operation="unknown", created=since, unreadable=True)

    def describe(self) -> str:
        """The holder, for a terminal line (every value from the lock shown escaped)."""
        since = f"since {self.created:%Y-%m-%d %H:%M:%S %Z}, lock ID {printable(self.id)}"
        if self.unreadable:
            return f"an unknown holder (the lock's details are unreadable) {since}"
        pid = f", pid {self.pid}" if self.pid else ""
        return f"{printable(self.who)} ({printable(self.operation)}{pid}) {since}"


class StateError(ReconcilerError):
    """The state cannot be read or written as asked."""


class CorruptState(StateError):
    """The stored state is unreadable; it is left as it is."""


class StaleState(StateError):
    """The stored state changed since it was loaded (lineage or serial moved)."""


class LineageMismatch(StateError):
    """The stored state is of another lineage than the one its place holds (another project's
    state put there): refused until `state push --force` stores the one to keep."""


class StateLocked(StateError):
    """Another run holds the lock."""

    def __init__(self, holder: LockInfo | None, where: str, waited: float = 0) -> None:
        self.holder = holder
        self.where = where
        who = holder.describe() if holder else "another process (no lock details were readable)"
        after = f" (waited {waited:g}s)" if waited else ""
        stuck = (
            f"; if no run holds it, `reconciler force-unlock {printable(holder.id)}` removes it"
            if holder is not None and holder.unreadable
            else ""
        )
        super().__init__(
            f"the state at {printable(where)} is locked by {who}{after}; wait for that run to "
            f"finish, or give --lock-timeout to wait for it{stuck}"
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

    def replace(self, document: StateDocument, *, force: bool = False) -> StateDocument:
        """Store `document` (`state push`), as a serial above both the stored one and its own;
        the caller holds the lock and has made its checks. Of another lineage than the one its
        place holds (even with no state there), only with `force` (LineageMismatch)."""
        ...

    def holder(self) -> LockInfo | None:
        """The details of the lock as it stands (None: not locked, or unreadable)."""
        ...

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock of that ID that a killed run left, and only that one."""
        ...

    def notices(self) -> list[str]:
        """What the user should know about this backend (once), e.g. a bucket without
        versioning; the list is emptied by reading it."""
        ...


def check_successor(current: StateDocument | None, document: StateDocument, where: str) -> None:
    """Refuse to store `document` unless it was read from `current` (same lineage and serial):
    otherwise another run wrote in between, or the state was replaced."""
    if current is None and document.serial != 0:
        raise StaleState(
            f"the state at {where} disappeared since serial {document.serial} was read"
        )
    if current is not None and current.lineage != document.lineage:
        raise StaleState(
            f"the state at {where} belongs to another lineage ({current.lineage}, not "
            f"{document.lineage}): it was replaced since it was read"
        )
    if current is not None and current.serial != document.serial:
        raise StaleState(
            f"the state at {where} changed since it was read (serial {document.serial}, now "
            f"{current.serial}): run the command again"
        )


def new_lock(operation: str, clock: Callable[[], datetime]) -> LockInfo:
    """The details a lock taken now by this process holds."""
    return LockInfo(
        id=str(uuid.uuid4()),
        who=f"{_user()}@{socket.gethostname()}",
        operation=operation,
        created=clock(),
        pid=os.getpid(),
    )


def read_stored(raw: bytes, where: str, restore: str) -> StateDocument:
    """The state a backend read from `where` ("the state file PATH", "the state at s3://…"):
    one of a newer version says to upgrade; a damaged one is corrupt, left as it is, with how
    to `restore` it."""
    try:
        return parse_document(raw)
    except UnsupportedVersion as exc:
        raise StateError(
            f"{where} was written by a newer reconciler (state version {exc.version}; this one "
            "reads versions 1 to 3): upgrade reconciler"
        ) from None
    except (ValidationError, TooDeep) as exc:
        problem = first_problem(exc) if isinstance(exc, ValidationError) else str(exc)
        raise CorruptState(
            f"{where} is corrupt ({problem}); it was left as it is. {restore}"
        ) from None


def lineage_mismatch(where: str, found: str, pinned: str, pin: str, how: str) -> LineageMismatch:
    """The refusal of a state of lineage `found` at `where` (e.g. "the state file PATH"), whose
    place holds lineage `pinned` as `pin` records; `how` says how to restore the right state and
    how to forget the pin."""
    return LineageMismatch(
        f"{where} is of lineage {printable(found)}, but this place has held lineage "
        f"{printable(pinned)} ({pin}): the state was replaced, perhaps by another project's "
        f"state. {how}; `reconciler state push --force FILE` stores the state to keep"
    )


def first_problem(exc: ValidationError) -> str:
    """The first thing wrong with a document, and where in it."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return first["msg"] + (f" at {where}" if where else "")


def parse_holder(raw: bytes) -> LockInfo | None:
    """A lock's details as far as they can be read (a newer version may write more); None where
    they cannot be."""
    try:
        details = loads(raw)
        known = {k: v for k, v in details.items() if k in LockInfo.model_fields}
        known.pop("unreadable", None)
        return LockInfo.model_validate(known)
    except (ValueError, AttributeError, ValidationError):
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
