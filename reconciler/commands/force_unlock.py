"""`reconciler force-unlock LOCK_ID`: remove the lock a killed run left behind
(`reconciler.usecases.force_unlock`). It asks first, unless `--force`; without a terminal it
needs `--force`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.errors import Cancelled, ReconcilerError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.runtime import Runtime
from reconciler.usecases.force_unlock import HeldLock, UnlockInputs, held_lock, remove_lock


@dataclass(frozen=True)
class ForceUnlockOptions:
    manifests_dir: Path
    lock_id: str
    force: bool = False


def force_unlock(options: ForceUnlockOptions, runtime: Runtime) -> int:
    lock = held_lock(UnlockInputs(options.manifests_dir, options.lock_id), runtime, shown(runtime))
    if not options.force:
        _confirm(lock, runtime)
    holder = remove_lock(lock)
    runtime.out.write(
        f"Removed the lock {printable(holder.id)} of {lock.location} ({holder.describe()}).\n"
    )
    return ExitCode.OK


def _confirm(lock: HeldLock, runtime: Runtime) -> None:
    if not runtime.in_tty:
        raise ReconcilerError(
            "force-unlock needs a confirmation and there is no terminal to ask on: make sure "
            "no run holds the lock, then run again with --force"
        )
    answer = runtime.ask(
        f"Remove the lock of {lock.location} held by {lock.holder.describe()}? A run that "
        "still holds it would go on without it. Only 'yes' will be accepted: "
    )
    if answer.strip() != "yes":
        raise Cancelled("Force-unlock cancelled.")
