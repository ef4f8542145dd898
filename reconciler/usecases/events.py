"""Typed events a use case emits while it runs, for its caller to show (the command line
writes them to stdout or stderr), collect (a test) or forward (a long-running process). A use
case never writes to a stream itself.

Each use case may add events of its own (a created job, a poll's progress) beside these, in its
own module; `Emit` takes any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.state.locking import LockWait


@dataclass(frozen=True)
class Said:
    """A line of the run's own output (stdout), as the tool words it."""

    text: str


@dataclass(frozen=True)
class Note:
    """Something worth knowing that changes nothing (stderr: `Note: …`)."""

    text: str


@dataclass(frozen=True)
class Warned:
    """Something a person should look at (stderr: `Warning: …`)."""

    text: str


@dataclass(frozen=True)
class LockWaiting:
    """The run waits for the state lock another run holds (stderr, at once and then every
    10 s): who holds it, its run and age, "probably stale" past `state.lockStaleAfter` with the
    `force-unlock` command, and how long this run still waits (`wait.describe()`)."""

    wait: LockWait

    @property
    def text(self) -> str:
        return self.wait.describe()


Emit = Callable[[object], None]


def ignore(event: object) -> None:
    """An `Emit` for callers that want only the result."""
