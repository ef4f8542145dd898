"""The `force-unlock` use case: remove the lock a killed run left behind, in two steps so the
caller can ask between them (`held_lock`, then `remove_lock`).

Only the lock of the ID given is removed (a wrong ID is refused, and so is a lock a running
process holds on a local state). A lock whose details cannot be read is one of an unknown
holder, shown with the ID to give (a digest of the local lock file, the ETag of the S3 lock
object). It needs no valid manifests tree: the settings are read on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.runtime import Runtime
from reconciler.state.interface import LockInfo, StateBackend
from reconciler.usecases.events import Emit
from reconciler.usecases.opening import recovery_backend


@dataclass(frozen=True)
class UnlockInputs:
    manifests_dir: Path
    lock_id: str


@dataclass(frozen=True)
class HeldLock:
    """The lock to remove: who holds it, on which state (`location`)."""

    backend: StateBackend
    holder: LockInfo

    @property
    def location(self) -> str:
        return self.backend.describe()


def held_lock(inputs: UnlockInputs, runtime: Runtime, emit: Emit) -> HeldLock:
    """The lock `inputs.lock_id` names (ReconcilerError when the state is not locked, or by
    another lock)."""
    backend = recovery_backend(inputs.manifests_dir, runtime, emit)
    held = backend.holder()
    if held is None:
        raise ReconcilerError(f"the state at {backend.describe()} is not locked")
    if held.id != inputs.lock_id:
        raise ReconcilerError(
            f"the lock of {backend.describe()} is held by {held.describe()}, not "
            f"{printable(inputs.lock_id)}: nothing was removed"
        )
    return HeldLock(backend, held)


def remove_lock(lock: HeldLock) -> LockInfo:
    """Remove the lock (the backend refuses one a running process holds); its holder."""
    return lock.backend.force_unlock(lock.holder.id)
