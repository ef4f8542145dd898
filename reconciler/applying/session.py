"""A state being written while a run goes on: every change is saved at once, one at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from reconciler.applying.records import forgotten
from reconciler.state.document import JobRecord, StateDocument
from reconciler.state.interface import StateBackend


class StateSession:
    """With `persist=False` (the lock is held by another run) changes stay in memory only."""

    def __init__(
        self,
        backend: StateBackend,
        document: StateDocument,
        clock: Callable[[], datetime],
        *,
        persist: bool = True,
    ) -> None:
        self.backend = backend
        self.document = document
        self.clock = clock
        self.persist = persist
        self._lock = threading.Lock()

    def get(self, address: str) -> JobRecord | None:
        return self.document.jobs.get(address)

    def put(self, *records: JobRecord) -> None:
        """Store these records (by address) and save the state."""
        self.update(put=records)

    def update(self, *, put: Iterable[JobRecord] = (), forget: Iterable[str] = ()) -> None:
        """Store records and move others to the `forgotten` history, in one save."""
        with self._lock:
            jobs = dict(self.document.jobs)
            for record in put:
                jobs[record.address] = record
            gone = [forgotten(jobs.pop(a), self.clock()) for a in forget if a in jobs]
            update = {"jobs": jobs, "forgotten": (*self.document.forgotten, *gone)}
            self._save(self.document.model_copy(update=update))

    def restore(self, address: str, record: JobRecord | None) -> None:
        """Put back what was recorded before an intent the service refused (nothing was created):
        the earlier record, or none."""
        with self._lock:
            jobs = {k: v for k, v in self.document.jobs.items() if k != address}
            if record is not None:
                jobs[address] = record
            self._save(self.document.model_copy(update={"jobs": jobs}))

    def _save(self, document: StateDocument) -> None:
        self.document = self.backend.save(document) if self.persist else document
