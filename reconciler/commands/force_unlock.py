"""`reconciler force-unlock LOCK_ID`: remove the lock a killed run left behind.

Only the lock of that ID is removed (a wrong ID is refused, and so is a lock a running process
holds on a local state). A lock whose details cannot be read is one of an unknown holder, shown
with the ID to give (a digest of the local lock file, the ETag of the S3 lock object). It asks
first, unless `--force`; without a terminal it needs `--force`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import Cancelled, ReconcilerError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.runtime import Runtime
from reconciler.workspace import recovery_tree


@dataclass(frozen=True)
class ForceUnlockOptions:
    manifests_dir: Path
    lock_id: str
    force: bool = False


def force_unlock(options: ForceUnlockOptions, runtime: Runtime) -> int:
    settings = recovery_tree(options.manifests_dir, runtime).settings
    backend = runtime.make_backend(settings.state)
    held = backend.holder()
    if held is None:
        raise ReconcilerError(f"the state at {backend.describe()} is not locked")
    if held.id != options.lock_id:
        raise ReconcilerError(
            f"the lock of {backend.describe()} is held by {held.describe()}, not "
            f"{printable(options.lock_id)}: nothing was removed"
        )
    if not options.force:
        if not runtime.in_tty:
            raise ReconcilerError(
                "force-unlock needs a confirmation and there is no terminal to ask on: make sure "
                "no run holds the lock, then run again with --force"
            )
        answer = runtime.ask(
            f"Remove the lock of {backend.describe()} held by {held.describe()}? A run that "
            "still holds it would go on without it. Only 'yes' will be accepted: "
        )
        if answer.strip() != "yes":
            raise Cancelled("Force-unlock cancelled.")
    holder = backend.force_unlock(options.lock_id)
    runtime.out.write(
        f"Removed the lock {printable(holder.id)} of {backend.describe()} ({holder.describe()}).\n"
    )
    return ExitCode.OK
