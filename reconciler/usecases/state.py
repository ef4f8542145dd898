"""The `state …` use cases: look at the state and repair it by hand.

`read_state` (for `list` and `pull`) and `records` (`show`) only read: a state is always replaced
whole, so no lock is needed. `remove` and `push` take the lock (waiting up to `lock_timeout`).
`remove` forgets jobs without touching the service: their records move to the history. `push`
stores a state document from a file (how a team moves from the `local` backend to `s3`: `state
pull > f`, switch the settings, `state push f`); it refuses another lineage or a lower serial
unless `force`, and a document that is not a whole valid state (records filed under other
addresses, JSON nested too deeply) always. `force` also replaces a stored state that cannot be
read, or is of another lineage than its place holds.

None needs a valid manifests tree: the settings are read on their own, and a broken manifest is
a warning (`remove` then only loses the reminder that a job is still declared).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from reconciler.applying.records import forgotten
from reconciler.boundedjson import TooDeep
from reconciler.errors import ReconcilerError, UsageError
from reconciler.runtime import Runtime
from reconciler.state.document import (
    JobRecord,
    StateDocument,
    UnsupportedVersion,
    parse_document,
)
from reconciler.state.interface import (
    CorruptState,
    LineageMismatch,
    StateBackend,
    first_problem,
)
from reconciler.usecases.events import Emit
from reconciler.usecases.opening import locked, recovery, recovery_backend, stored


@dataclass(frozen=True)
class StateInputs:
    manifests_dir: Path
    addresses: tuple[str, ...] = ()  # `show`, `remove`
    file: Path | None = None  # `push`
    force: bool = False  # `push`
    lock_timeout: float = 0  # `remove`, `push`


@dataclass(frozen=True)
class Removed:
    """A job the state no longer tracks: its record (now in the history), and whether the
    manifests still declare it (the next plan then imports or creates it again)."""

    record: JobRecord
    declared: bool


@dataclass(frozen=True)
class Pushed:
    """The state as `push` stored it, and where."""

    stored: StateDocument
    location: str


def read_state(inputs: StateInputs, runtime: Runtime, emit: Emit) -> StateDocument:
    """The state as stored (ReconcilerError when there is none yet)."""
    return _load(recovery_backend(inputs.manifests_dir, runtime, emit), emit)


def records(inputs: StateInputs, runtime: Runtime, emit: Emit) -> tuple[JobRecord, ...]:
    """The records at `inputs.addresses` (UsageError for one the state does not have)."""
    document = read_state(inputs, runtime, emit)
    return tuple(_record(document, address) for address in inputs.addresses)


def remove(inputs: StateInputs, runtime: Runtime, emit: Emit) -> tuple[Removed, ...]:
    """Forget the jobs at `inputs.addresses` (each once), under the lock."""
    tree, backend = recovery(inputs.manifests_dir, runtime, emit)
    addresses = list(dict.fromkeys(inputs.addresses))
    stale_after = tree.settings.state.lock_stale_after
    with locked(backend, "state rm", inputs.lock_timeout, stale_after, runtime, emit):
        document = _load(backend, emit)
        gone = [forgotten(_record(document, a), runtime.clock()) for a in addresses]
        jobs = {k: v for k, v in document.jobs.items() if k not in addresses}
        update = {"jobs": jobs, "forgotten": (*document.forgotten, *gone)}
        backend.save(document.model_copy(update=update))
    # Where the manifests cannot be read, the removal is done all the same: only the reminder
    # that a job is still declared is lost.
    declared = {job.address for job in tree.manifests.jobs} if tree.manifests else set()
    return tuple(Removed(record, record.address in declared) for record in gone)


def push(inputs: StateInputs, runtime: Runtime, emit: Emit) -> Pushed:
    """Store the state document of `inputs.file` in place of the state, under the lock."""
    assert inputs.file is not None
    pushed = _read_file(inputs.file)
    tree, backend = recovery(inputs.manifests_dir, runtime, emit)
    stale_after = tree.settings.state.lock_stale_after
    with locked(backend, "state push", inputs.lock_timeout, stale_after, runtime, emit):
        try:
            current = backend.load()
        except (CorruptState, LineageMismatch):
            if not inputs.force:
                raise
            current = None  # `force` replaces a state that cannot be read, or another lineage's
        if current is not None and not inputs.force:
            _check_successor(current, pushed, inputs.file, backend)
        try:
            stored = backend.replace(pushed, force=inputs.force)
        except LineageMismatch as exc:
            raise ReconcilerError(
                f"{exc}; or give --force to push {inputs.file} all the same"
            ) from None
    return Pushed(stored, backend.describe())


def _check_successor(
    current: StateDocument, pushed: StateDocument, file: Path, backend: StateBackend
) -> None:
    """Refuse a pushed document that is not the stored state's successor (without --force)."""
    if current.lineage != pushed.lineage:
        raise ReconcilerError(
            f"{file} is of lineage {pushed.lineage}, and the state at "
            f"{backend.describe()} of lineage {current.lineage}: pushing it would "
            "replace another state; give --force if that is what you want"
        )
    if pushed.serial < current.serial:
        raise ReconcilerError(
            f"{file} has serial {pushed.serial}, lower than the state at "
            f"{backend.describe()} ({current.serial}): it is older; give --force to "
            "push it all the same"
        )
    if pushed.serial == current.serial and pushed != current:
        raise ReconcilerError(
            f"{file} has the serial of the state at {backend.describe()} "
            f"({current.serial}) but other contents: one of them was edited; give "
            "--force to push it all the same"
        )


def _load(backend: StateBackend, emit: Emit) -> StateDocument:
    document = stored(backend, emit)
    if document is None:
        raise ReconcilerError(f"there is no state at {backend.describe()} yet")
    return document


def _read_file(path: Path) -> StateDocument:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse_document(raw)
    except UnsupportedVersion as exc:
        raise UsageError(
            f"{path} is a state of version {exc.version}, newer than this reconciler reads"
        ) from None
    except ValidationError as exc:
        raise UsageError(f"{path} is not a state document ({first_problem(exc)})") from None
    except TooDeep as exc:
        raise UsageError(f"{path} is not a state document ({exc})") from None


def _record(document: StateDocument, address: str) -> JobRecord:
    record = document.jobs.get(address)
    if record is None:
        close = difflib.get_close_matches(address, list(document.jobs), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(
            f"{address!r} is not in the state{hint}: `reconciler state list` lists what is"
        )
    return record
