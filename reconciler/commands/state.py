"""`reconciler state list|show|rm|pull|push`: look at the state and repair it by hand.

`list`, `show` and `pull` only read (a state is always replaced whole, so no lock is needed).
`rm` and `push` take the lock (waiting up to `--lock-timeout`). `rm` forgets a job without
touching the service: its record moves to the history. `push` stores a state document from a
file (how a team moves from the `local` backend to `s3`: `state pull > f`, switch the settings,
`state push f`); it refuses another lineage or a lower serial unless `--force`, and a document
that is not a whole valid state (records filed under other addresses, JSON nested too deeply)
always. `--force` also replaces a stored state that cannot be read, or is of another lineage
than its place holds.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from reconciler.applying.records import forgotten
from reconciler.boundedjson import TooDeep
from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.status import record_json
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
from reconciler.workspace import locked, recovery_tree, show_notices


@dataclass(frozen=True)
class StateOptions:
    manifests_dir: Path
    addresses: tuple[str, ...] = ()
    output_format: OutputFormat = OutputFormat.TEXT  # or JSON
    file: Path | None = None
    force: bool = False
    lock_timeout: float = 0


def _backend(options: StateOptions, runtime: Runtime) -> StateBackend:
    settings = recovery_tree(options.manifests_dir, runtime).settings
    return runtime.make_backend(settings.state)


def _load(backend: StateBackend, runtime: Runtime) -> StateDocument:
    document = backend.load()
    show_notices(backend, runtime)
    if document is None:
        raise ReconcilerError(f"there is no state at {backend.describe()} yet")
    return document


def state_list(options: StateOptions, runtime: Runtime) -> int:
    document = _load(_backend(options, runtime), runtime)
    records = sorted(document.jobs.values(), key=lambda r: r.address)
    if options.output_format is OutputFormat.JSON:
        rows = [
            {
                "address": r.address,
                "job_name": r.job_name,
                "arn": r.arn,
                "status": r.status.value if r.status else None,
            }
            for r in records
        ]
        runtime.out.write(json.dumps(rows, indent=2) + "\n")
        return ExitCode.OK
    for record in records:
        status = record.status.value if record.status else "INTENDED"
        runtime.out.write(f"{printable(record.address)}\t{printable(record.job_name)}\t{status}\n")
    return ExitCode.OK


def state_show(options: StateOptions, runtime: Runtime) -> int:
    document = _load(_backend(options, runtime), runtime)
    shown = [_record(document, address) for address in options.addresses]
    runtime.out.write(json.dumps([record_json(r) for r in shown], indent=2) + "\n")
    return ExitCode.OK


def state_rm(options: StateOptions, runtime: Runtime) -> int:
    backend = _backend(options, runtime)
    addresses = list(dict.fromkeys(options.addresses))  # each once
    with locked(backend, "state rm", options.lock_timeout, runtime):
        document = _load(backend, runtime)
        gone = [forgotten(_record(document, a), runtime.clock()) for a in addresses]
        jobs = {k: v for k, v in document.jobs.items() if k not in addresses}
        update = {"jobs": jobs, "forgotten": (*document.forgotten, *gone)}
        backend.save(document.model_copy(update=update))
    declared = _declared(options.manifests_dir)
    for record in gone:
        job = "nothing in Personalize changes" if record.arn else "no job was confirmed for it"
        again = (
            "; it is still declared, so the next plan imports its job again if the service "
            "has it, or else creates it"
            if record.address in declared
            else ""
        )
        runtime.out.write(
            f"Removed {record.address} ({record.job_name}) from the state: {job}, and its "
            f"record is in the state's history{again}.\n"
        )
    return ExitCode.OK


def _declared(manifests_dir: Path) -> set[str]:
    """The addresses the manifests declare; none when they cannot be read (the removal is done:
    a broken manifest only loses the reminder)."""
    from reconciler.manifest.loader import load_manifests

    if not manifests_dir.is_dir():
        return set()
    try:
        return {job.address for job in load_manifests([manifests_dir]).jobs}
    except ReconcilerError:
        return set()


def state_pull(options: StateOptions, runtime: Runtime) -> int:
    document = _load(_backend(options, runtime), runtime)
    runtime.out.write(document.model_dump_json(indent=2) + "\n")
    return ExitCode.OK


def state_push(options: StateOptions, runtime: Runtime) -> int:
    assert options.file is not None
    pushed = _read_file(options.file)
    backend = _backend(options, runtime)
    with locked(backend, "state push", options.lock_timeout, runtime):
        try:
            current = backend.load()
        except (CorruptState, LineageMismatch):
            if not options.force:
                raise
            current = None  # --force replaces a state that cannot be read, or another lineage's
        if current is not None and not options.force:
            if current.lineage != pushed.lineage:
                raise ReconcilerError(
                    f"{options.file} is of lineage {pushed.lineage}, and the state at "
                    f"{backend.describe()} of lineage {current.lineage}: pushing it would "
                    "replace another state; give --force if that is what you want"
                )
            if pushed.serial < current.serial:
                raise ReconcilerError(
                    f"{options.file} has serial {pushed.serial}, lower than the state at "
                    f"{backend.describe()} ({current.serial}): it is older; give --force to "
                    "push it all the same"
                )
            if pushed.serial == current.serial and pushed != current:
                raise ReconcilerError(
                    f"{options.file} has the serial of the state at {backend.describe()} "
                    f"({current.serial}) but other contents: one of them was edited; give "
                    "--force to push it all the same"
                )
        try:
            stored = backend.replace(pushed, force=options.force)
        except LineageMismatch as exc:
            raise ReconcilerError(
                f"{exc}; or give --force to push {options.file} all the same"
            ) from None
    runtime.out.write(
        f"Pushed {options.file} to {backend.describe()} (lineage {stored.lineage}, serial "
        f"{stored.serial}).\n"
    )
    return ExitCode.OK


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
