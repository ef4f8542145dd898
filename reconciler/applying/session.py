"""A state being written while a run goes on, in as few writes as crash safety allows.

Changes are staged in memory and written together:
- `write()`: now, with everything staged (a wave of create intents must be stored before the
  first of its calls: that is what makes creates crash-safe);
- `flush()`: only if something is staged and `WRITE_EVERY` seconds passed since the last write
  (observations: statuses that moved on, outcomes of creates whose intents are stored; a run
  killed before they are written loses nothing the next plan cannot find again by name);
- `flush(force=True)`: whatever is staged, as a run ends or is interrupted.

`StateSession` writes under the lock its caller holds. `ObservingSession` (for `status`) holds no
lock while it waits: each write takes the lock briefly, reads the state as it is now, merges what
was observed into it, and skips the write with a note while another run holds the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from reconciler.applying.records import forgotten, observe
from reconciler.errors import ReconcilerError, Terminated
from reconciler.models import InputCheck
from reconciler.state.document import JobRecord, QueuedCreate, StateDocument
from reconciler.state.interface import LockInfo, StateBackend, StateLocked

WRITE_EVERY = 20.0  # seconds between writes while only observations change
CHECKS_KEPT = 10_000  # preflight's reads the state keeps (the latest, by location)


@contextmanager
def flushed(session: StateSession, note: Callable[[str], object]) -> Iterator[None]:
    """Store what the session staged when the run ends: normally, on an error, on Ctrl-C or
    SIGTERM (only a killed process, as the crash tests simulate, ends without it)."""
    try:
        yield
    except (Exception, KeyboardInterrupt, Terminated):
        try:
            session.flush(force=True)
        except ReconcilerError as exc:  # the error under way is the one to report
            note(
                f"what this run saw last could not be saved ({exc}); the next run finds it "
                "again in the service"
            )
        raise
    session.flush(force=True)


class StateSession:
    def __init__(
        self,
        backend: StateBackend,
        document: StateDocument,
        clock: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.document = document
        self.clock = clock
        self.monotonic = monotonic
        self.writes = 0
        self._staged: dict[str, JobRecord | None] = {}  # address -> record, None: removed
        self._dirty = False
        self._last_write = monotonic()
        self._lock = threading.Lock()

    def get(self, address: str) -> JobRecord | None:
        return self.document.jobs.get(address)

    def stage(
        self,
        *,
        put: Iterable[JobRecord] = (),
        remove: Iterable[str] = (),
        forget: Iterable[str] = (),
        checked: Iterable[InputCheck] = (),
    ) -> None:
        """Change the records (and preflight's reads, `checked`) in memory; they are written by
        the next write or flush."""
        with self._lock:
            checks = {check.evidence.location: check for check in checked}
            if checks and any(self.document.checked.get(k) != v for k, v in checks.items()):
                kept = sorted(
                    {**self.document.checked, **checks}.items(),
                    key=lambda item: item[1].evidence.read,
                )[-CHECKS_KEPT:]
                self.document = self.document.model_copy(update={"checked": dict(kept)})
                self._dirty = True
            jobs = dict(self.document.jobs)
            for record in put:
                jobs[record.address] = record
                self._staged[record.address] = record
            for address in remove:
                jobs.pop(address, None)
                self._staged[address] = None
            gone = [forgotten(jobs.pop(a), self.clock()) for a in forget if a in jobs]
            for record in gone:
                self._staged[record.address] = None
            update = {"jobs": jobs, "forgotten": (*self.document.forgotten, *gone)}
            self.document = self.document.model_copy(update=update)
            self._dirty = self._dirty or bool(self._staged) or bool(gone)

    def queue(
        self, queued: Mapping[str, QueuedCreate], keep: Callable[[str, QueuedCreate], bool]
    ) -> None:
        """Stage the creates left queued (address -> what they were decided on), over the ones
        the state kept, of which only those `keep` says are still wanted stay (a create that
        was sent, or is no longer declared so, is not queued any more)."""
        with self._lock:
            kept = {a: q for a, q in self.document.queued.items() if keep(a, q)}
            now = {**kept, **queued}
            if now != self.document.queued:
                self.document = self.document.model_copy(update={"queued": now})
                self._dirty = True

    def write(self) -> None:
        """Store everything staged, now."""
        with self._lock:
            self._write()

    def flush(self, *, force: bool = False) -> None:
        """Store what is staged if `WRITE_EVERY` seconds passed since the last write (or now,
        with `force`)."""
        with self._lock:
            if self._dirty and (force or self.monotonic() - self._last_write >= WRITE_EVERY):
                self._write()

    def _write(self) -> None:
        self.document = self.backend.save(self.document)
        self.writes += 1
        self._staged.clear()
        self._dirty = False
        self._last_write = self.monotonic()


class ObservingSession(StateSession):
    """For `status`: no lock is held while it waits; each write takes it briefly and merges
    what was observed into the state as it is then (an apply may have written meanwhile)."""

    def __init__(
        self,
        backend: StateBackend,
        document: StateDocument,
        clock: Callable[[], datetime],
        *,
        take_lock: Callable[[], LockInfo],
        note: Callable[[str], object],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(backend, document, clock, monotonic=monotonic)
        self.take_lock = take_lock
        self.note = note
        self._noted = False

    def _write(self) -> None:
        try:
            lock = self.take_lock()
        except StateLocked as exc:
            if not self._noted:
                self.note(f"{exc}; what status sees is shown, and recorded once it can be")
                self._noted = True
            return  # staged, for the next write
        try:
            current = self.backend.load() or self.document
            merged = _merge(current, self._staged.values(), self.clock())
            if merged is not current:
                self.document = self.backend.save(merged)
                self.writes += 1
            else:
                self.document = current
        finally:
            self.backend.unlock(lock)
        self._staged.clear()
        self._dirty = False
        self._last_write = self.monotonic()


def _merge(
    current: StateDocument, observed: Iterable[JobRecord | None], now: datetime
) -> StateDocument:
    """`current` with what was observed of its jobs (a job it no longer records, or records under
    another name, is left as `current` has it)."""
    jobs = dict(current.jobs)
    for record in observed:
        if record is None or record.seen is None:
            continue
        mine = jobs.get(record.address)
        if mine is not None and mine.job_name == record.job_name and mine.arn == record.arn:
            jobs[record.address] = observe(mine, record.seen, now)
    if jobs == current.jobs:
        return current
    return current.model_copy(update={"jobs": jobs})
