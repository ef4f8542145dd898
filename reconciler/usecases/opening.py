"""Opening what a use case works on — a manifests tree, the state as stored, the state lock —
with what they have to say emitted as events instead of written to a stream: the backend's
notices (`Note`), a broken manifest beside the settings a recovery use case goes on with
(`Warned`), a lock another run holds while this one waits for it (`LockWaiting`, at once and
then every 10 s), a lock that could not be released (`Note`). The words are those the command
line has always used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.provenance import run_info
from reconciler.runtime import Runtime
from reconciler.state.document import StateDocument
from reconciler.state.interface import LockInfo, StateBackend
from reconciler.state.locking import acquire
from reconciler.usecases.events import Emit, LockWaiting, Note, Warned
from reconciler.workspace import Tree, TreeRead, Workspace, read_tree


def noticed(backend: StateBackend, emit: Emit) -> None:
    """What the backend says of itself since it was last read (a pin, a migration), as notes."""
    for notice in backend.notices():
        emit(Note(printable(notice)))


def loaded(tree: Tree, emit: Emit) -> Workspace:
    """The workspace of `tree` and the state as stored now (read once, here: under the lock
    where the use case takes one)."""
    workspace = tree.load()
    noticed(tree.backend, emit)
    return workspace


def stored(backend: StateBackend, emit: Emit) -> StateDocument | None:
    """The state as stored now (None: none yet), and what the backend says of itself."""
    document = backend.load()
    noticed(backend, emit)
    return document


def recovery_read(manifests_dir: Path, environ: Mapping[str, str], emit: Emit) -> TreeRead:
    """The tree at `manifests_dir` for a use case that reads or repairs the state: a broken
    manifest is a warning, and the use case goes on with the settings alone."""
    read = read_tree(manifests_dir, environ)
    if read.problems:
        count = len(read.problems)
        emit(
            Warned(
                f"the manifests under {printable(str(manifests_dir))} have "
                f"{count} problem{'s' if count > 1 else ''} "
                "(`reconciler validate` lists them): going on with their settings alone."
            )
        )
    return read


def recovery(manifests_dir: Path, runtime: Runtime, emit: Emit) -> tuple[TreeRead, StateBackend]:
    """The tree at `manifests_dir` (see `recovery_read`) and the state backend its settings
    name."""
    tree = recovery_read(manifests_dir, runtime.environ, emit)
    return tree, runtime.make_backend(tree.settings.state)


def recovery_backend(manifests_dir: Path, runtime: Runtime, emit: Emit) -> StateBackend:
    """The state backend the settings of `manifests_dir` name (see `recovery_read`)."""
    return recovery(manifests_dir, runtime, emit)[1]


def take_lock(
    backend: StateBackend,
    operation: str,
    timeout: float,
    stale_after: float,
    runtime: Runtime,
    emit: Emit,
) -> LockInfo:
    """The state lock for `operation`, its details naming this run (`provenance.run_info`),
    waiting up to `timeout` seconds for another run's and saying so (`LockWaiting`); a lock
    older than `stale_after` seconds (`state.lockStaleAfter`) is said probably stale."""
    return acquire(
        backend,
        operation,
        timeout=timeout,
        sleep=runtime.sleep,
        monotonic=runtime.monotonic,
        clock=runtime.clock,
        run=run_info(runtime.environ, runtime.host, runtime.user),
        stale_after=stale_after,
        waiting=lambda wait: emit(LockWaiting(wait)),
    )


@contextmanager
def locked(
    backend: StateBackend,
    operation: str,
    timeout: float,
    stale_after: float,
    runtime: Runtime,
    emit: Emit,
) -> Iterator[None]:
    """The state lock, held for the block (see `take_lock`); a lock that cannot be released is
    a note: the run's own result (or error) is what counts."""
    lock = take_lock(backend, operation, timeout, stale_after, runtime, emit)
    try:
        yield
    finally:
        try:
            backend.unlock(lock)
        except ReconcilerError as exc:
            emit(
                Note(
                    printable(
                        f"the lock {lock.id} could not be released ({exc}); if no run holds "
                        f"it, `reconciler force-unlock {lock.id}` removes it."
                    )
                )
            )
