"""State backends: load, save against the serial that was read, and an exclusive lock.

Every backend runs the same contract tests. Saving never replaces a state it cannot read, and
refuses when the stored state moved on since it was loaded (another run wrote it). Each backend
pins the lineage its place holds and refuses a state of another one (`LineageMismatch`) until
`state push --force` stores the new one. A lock whose details cannot be read is still a lock:
one of an unknown holder (`LockInfo.unknown`), with an ID of the backend's choosing that
`force-unlock` takes.

A lock's details name the run that took it (`run`: a GitHub Actions run's page, or the host and
user), and a refusal says how old the lock is and what removes it (`force-unlock`), with "probably
stale" once it is older than the settings' `lockStaleAfter` (`StateLocked`, `lock_advice`). A
lock is never removed automatically. Everything in a lock's details was written by another run:
each value is shown `printable`, and long ones cut short.
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
from reconciler.durations import format_duration
from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.models import Frozen, RunInfo
from reconciler.state.document import StateDocument, UnsupportedVersion, parse_document

SHOWN_LENGTH = 200  # characters of a value from a lock's details shown in a line


def _shown(value: str) -> str:
    """A value from a lock's details (another run wrote it) for a terminal line: escaped, and
    cut short past SHOWN_LENGTH characters."""
    cut = value if len(value) <= SHOWN_LENGTH else value[:SHOWN_LENGTH] + "…"
    return printable(cut)


class LockInfo(Frozen):
    """A lock's holder, as its details say (written as JSON by the run that took it)."""

    id: str
    who: str
    operation: str
    created: datetime
    pid: int | None = None
    run: RunInfo | None = None  # the run that took it (None: a lock of an older version)
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
        run = f", {_shown(self.run.describe())}" if self.run and self.run.kind == "github" else ""
        return f"{_shown(self.who)} ({_shown(self.operation)}{pid}{run}) {since}"

    def age(self, now: datetime) -> float:
        """Seconds since the lock was taken (0 where its holder's clock is ahead of ours)."""
        return max(0.0, (now - self.created).total_seconds())


def lock_age(holder: LockInfo, now: datetime, stale_after: float) -> str:
    """How old the lock is, and "probably stale" once it is older than `stale_after` seconds
    (`state.lockStaleAfter`)."""
    age = holder.age(now)
    said = f"the lock is {format_duration(age)} old"
    if age > stale_after:
        said += (
            f", older than state.lockStaleAfter ({format_duration(stale_after)}): probably stale "
            "(a run that was killed or hangs; a lock is never removed automatically)"
        )
    return said


def lock_advice(
    holder: LockInfo | None, now: datetime | None = None, stale_after: float | None = None
) -> str:
    """What removes the lock: `reconciler force-unlock ID`; with `now` and `stale_after`,
    after how old the lock is (`lock_age`). A lock is never removed here."""
    if holder is None:
        return (
            "if no run holds it, `reconciler force-unlock LOCK_ID` removes it (the ID shows "
            "once the lock's details can be read)"
        )
    removes = f"if no run holds it, `reconciler force-unlock {printable(holder.id)}` removes it"
    if now is None or stale_after is None:
        return removes
    return f"{lock_age(holder, now, stale_after)}; {removes}"


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
    """Another run holds the lock. With `now` (and `stale_after`, seconds), the refusal says how
    old the lock is and whether it is probably stale; it always names `force-unlock`."""

    def __init__(
        self,
        holder: LockInfo | None,
        where: str,
        waited: float = 0,
        *,
        now: datetime | None = None,
        stale_after: float | None = None,
    ) -> None:
        self.holder = holder
        self.where = where
        who = holder.describe() if holder else "another process (no lock details were readable)"
        after = f" (waited {format_duration(waited)})" if waited else ""
        longer = "a longer --lock-timeout" if waited else "--lock-timeout"
        super().__init__(
            f"the state at {printable(where)} is locked by {who}{after}; wait for that run to "
            f"finish, or give {longer} to wait for it; {lock_advice(holder, now, stale_after)}"
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

    def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
        """Take the lock for `operation`, its details naming `run` (StateLocked: another run
        holds it)."""
        ...

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


def new_lock(operation: str, clock: Callable[[], datetime], run: RunInfo | None = None) -> LockInfo:
    """The details a lock taken now by this process (for `run`) holds."""
    return LockInfo(
        id=str(uuid.uuid4()),
        who=f"{_user()}@{socket.gethostname()}",
        operation=operation,
        created=clock(),
        pid=os.getpid(),
        run=run,
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
    except (ValueError, AttributeError):
        return None
    try:
        return LockInfo.model_validate(known)
    except ValidationError:
        pass
    try:  # a run this version cannot read (a newer one's) does not hide the holder
        return LockInfo.model_validate({k: v for k, v in known.items() if k != "run"})
    except ValidationError:
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"
