"""Taking a backend's lock, waiting for it as long as the user allows (`--lock-timeout`), and
saying so while it waits.

While another run holds the lock, the attempt is repeated after 1 s, then 2, 4 and 8 s, then
every 10 s (as Terraform backs off, but never longer than the next line is due), until the
timeout has passed; a timeout of 0 tries once. A run that waits says so (`waiting`, with a
`LockWait`) as soon as it is refused, then every REPORT_EVERY seconds: who holds the lock, for
what, its run, how old it is, and how long this run still waits; a lock older than
`stale_after` (the settings' `state.lockStaleAfter`) is "probably stale", with the
`force-unlock` command that removes it. The refusal when the run does not wait, or stops
waiting, says the same (`StateLocked`). No lock is ever removed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from reconciler.durations import format_duration
from reconciler.escaping import printable
from reconciler.models import RunInfo
from reconciler.settings import DEFAULT_LOCK_STALE_AFTER
from reconciler.state.interface import (
    LockInfo,
    StateBackend,
    StateLocked,
    lock_advice,
    lock_age,
)

FIRST_WAIT = 1.0
LONGEST_WAIT = 16.0
REPORT_EVERY = 10.0  # seconds between two lines of a run that waits for the lock


@dataclass(frozen=True)
class LockWait:
    """One look at the lock another run holds, while this run waits for it."""

    holder: LockInfo | None  # None: its details could not be read
    where: str  # the state's place (`StateBackend.describe`)
    now: datetime  # when it was looked at (the holder's age is counted to it)
    waited: float  # seconds this run has waited so far
    remaining: float  # seconds it still waits
    stale_after: float  # seconds: `state.lockStaleAfter`

    @property
    def stale(self) -> bool:
        """Older than `stale_after`: probably a run that was killed or hangs."""
        return self.holder is not None and self.holder.age(self.now) > self.stale_after

    def describe(self) -> str:
        """The line a terminal shows: the holder (each value from its details escaped), the
        lock's age (past `stale_after`: probably stale, and the `force-unlock` command that
        removes it), and how long this run has waited and still waits."""
        if self.holder is None:
            said = "held by another process (its details cannot be read yet)"
        else:
            how = lock_advice if self.stale else lock_age  # the command, where probably stale
            said = (
                f"held by {self.holder.describe()}; {how(self.holder, self.now, self.stale_after)}"
            )
        return (
            f"the state lock of {printable(self.where)} is {said}. Waited "
            f"{format_duration(self.waited)}, will wait {format_duration(self.remaining)} more"
        )


def _quiet(wait: LockWait) -> None:
    """A `waiting` for callers that say nothing while they wait."""


def acquire(
    backend: StateBackend,
    operation: str,
    *,
    timeout: float,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
    clock: Callable[[], datetime],
    run: RunInfo | None = None,
    stale_after: float = DEFAULT_LOCK_STALE_AFTER,
    waiting: Callable[[LockWait], None] = _quiet,
) -> LockInfo:
    """The lock for `operation` (its details naming `run`), waiting up to `timeout` seconds for
    another run's; `waiting` is told at once when the wait starts, then every REPORT_EVERY
    seconds. StateLocked when the lock is still held (with the lock's age and, past
    `stale_after`, "probably stale", and the `force-unlock` command)."""
    started = monotonic()
    wait = FIRST_WAIT
    due = started  # when the next line is due
    while True:
        try:
            return backend.lock(operation, run)
        except StateLocked as exc:
            now = monotonic()
            remaining = timeout - (now - started)
            if remaining <= 0:
                raise StateLocked(
                    exc.holder,
                    exc.where,
                    waited=max(timeout, 0),
                    now=clock(),
                    stale_after=stale_after,
                ) from None
            if now >= due:
                waiting(
                    LockWait(exc.holder, exc.where, clock(), now - started, remaining, stale_after)
                )
                while due <= now:  # the next line, on the cadence that began with the wait
                    due += REPORT_EVERY
            sleep(min(wait, remaining, due - now))
            wait = min(wait * 2, LONGEST_WAIT)
