"""The import use case: record an existing job under a declared address.

The job is described and its tags listed; it is recorded only if its dataset group, data
location, role and tags are the manifest's and it is the latest attempt at the declared job
found in the service (the job name or one of its retry names, `NAME-rN`); the earlier attempts
are recorded as its history, as a plan's import does. A mismatch is refused with the
differences (ReconcilerError; nothing is recorded). Nothing in the service changes. It takes the
state lock (waiting up to `lock_timeout` seconds) and says where it acts (`Said`) before it
reads the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.records import adopted
from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.models import DesiredJob, ServiceJob
from reconciler.planning.conflicts import service_differences
from reconciler.planning.model import EarlierAttempt
from reconciler.planning.naming import Claims, Slot, candidate_jobs, claimed_names, found_attempts
from reconciler.planning.observed import Observed, ObservedGroup, name_key
from reconciler.providers.interface import Provider
from reconciler.runtime import Runtime
from reconciler.state.document import JobRecord, StateDocument, new_state
from reconciler.state.interface import StateBackend
from reconciler.usecases.events import Emit, Said, ignore
from reconciler.usecases.opening import loaded, locked
from reconciler.workspace import Workspace, checked_target, open_tree, recorded_job


@dataclass(frozen=True)
class ImportInputs:
    manifests_dir: Path
    address: str  # a declared job's address
    job_arn: str  # the job in the service to record there
    lock_timeout: float = 0


@dataclass(frozen=True)
class Imported:
    """The job recorded, and the state it was recorded in."""

    record: JobRecord
    found: ServiceJob  # what the service said of the job
    state_location: str
    serial: int  # the state's serial after the write


def import_job(inputs: ImportInputs, runtime: Runtime, emit: Emit = ignore) -> Imported:
    tree = open_tree(inputs.manifests_dir, runtime)
    stale_after = tree.settings.state.lock_stale_after
    with locked(tree.backend, "import", inputs.lock_timeout, stale_after, runtime, emit):
        workspace = loaded(tree, emit)
        job = _declared(workspace, inputs.address)
        provider = workspace.provider
        group = job.spec.dataset_group_arn
        emit(Said(printable(checked_target(provider, [group]).line())))
        found = provider.describe_job(inputs.job_arn)
        tags = provider.list_tags(inputs.job_arn)
        listed = Observed({group: ObservedGroup(group, True, tuple(provider.list_jobs(group)))})
        document = workspace.stored or new_state(runtime.clock())
        existing = document.jobs.get(inputs.address)
        if existing is not None:
            raise ReconcilerError(
                f"{inputs.address} is already in the state (as {existing.job_name}): remove it "
                f"first with `reconciler state rm {inputs.address}` to record another job"
            )
        others = [j for j in workspace.jobs if j.address != job.address]
        claims = claimed_names(others, map(recorded_job, document.jobs.values()))
        attempts = _attempts(job, listed, provider, claims)
        differences = _differences(job, found, tags, [name for name, _ in attempts], claims)
        if differences:
            raise ReconcilerError(
                f"{inputs.job_arn} is not the job {inputs.address} declares; nothing was "
                "recorded:\n" + "\n".join(differences)
            )
        record = adopted(
            None,
            address=job.address,
            spec=job.spec,
            source=job.source,
            found=found,
            now=runtime.clock(),
            earlier=[EarlierAttempt(job_name=name, seen=seen) for name, seen in attempts[:-1]],
        )
        saved = _recorded(workspace.backend, document, record)
    return Imported(record, found, workspace.backend.describe(), saved.serial)


def _declared(workspace: Workspace, address: str) -> DesiredJob:
    for job in workspace.jobs:
        if job.address == address:
            return job
    raise UsageError(
        f"{address!r} is not declared in the manifests: declare the job first (its "
        "address is GROUP/JOBNAME)"
    )


def _attempts(job: DesiredJob, listed: Observed, provider: Provider, claims: Claims) -> list[Slot]:
    """The declared job's attempts in the service (`listed`: its group's jobs), oldest first;
    those whose spec List does not say are described."""
    group = job.spec.dataset_group_arn
    candidates = candidate_jobs(job, listed, claims)  # List does not say their spec
    described = {j.arn: provider.describe_job(j.arn) for j in candidates}
    read = tuple(described.get(j.arn, j) for j in listed.groups[group].jobs)
    return found_attempts(job, Observed({group: ObservedGroup(group, True, read)}), claims)


def _differences(
    job: DesiredJob,
    found: ServiceJob,
    tags: dict[str, str],
    attempts: list[str],
    claims: Claims,
) -> list[str]:
    """Why `found` is not the job `job` declares, one line each (none: it is). `attempts` are
    the names of the declared job's attempts in the service, oldest first."""
    differences = [line for line in [service_differences(job.spec, found, tags)] if line]
    group = job.spec.dataset_group_arn
    if not job.spec.is_attempt_name(found.job_name):
        said = f"is neither {job.spec.job_name!r} nor a retry of it"
    elif found.job_name != job.spec.job_name and name_key(group, found.job_name) in claims:
        said = "is another declared or recorded job's name"
    elif attempts and attempts[-1] != found.job_name:
        said = (
            f"is an earlier attempt; the latest in the service is {attempts[-1]!r}: import that one"
        )
    else:
        return differences
    return [f"  jobName: {found.job_name!r} {said}", *differences]


def _recorded(backend: StateBackend, document: StateDocument, record: JobRecord) -> StateDocument:
    jobs = {**document.jobs, record.address: record}
    return backend.save(document.model_copy(update={"jobs": jobs}))
