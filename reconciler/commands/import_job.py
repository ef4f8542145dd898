"""`reconciler import ADDRESS JOB_ARN`: record an existing job under a declared address.

The job is described and its tags listed; it is recorded only if its dataset group, data
location, role and tags are the manifest's and it is the latest attempt at the declared job
found in the service (the job name or one of its retry names, `NAME-rN`); the earlier attempts
are recorded as its history, as a plan's import does. A mismatch is refused with the
differences. Nothing in the service changes. It takes the state lock (up to `--lock-timeout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.records import adopted
from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.planning.conflicts import service_differences
from reconciler.planning.model import EarlierAttempt
from reconciler.planning.naming import candidate_jobs, claimed_names, found_attempts
from reconciler.planning.observed import (
    Observed,
    ObservedGroup,
    name_key,
)
from reconciler.runtime import Runtime
from reconciler.state.document import new_state
from reconciler.workspace import checked_target, locked, open_tree, recorded_job


@dataclass(frozen=True)
class ImportOptions:
    manifests_dir: Path
    address: str
    job_arn: str
    lock_timeout: float = 0


def import_job(options: ImportOptions, runtime: Runtime) -> int:
    tree = open_tree(options.manifests_dir, runtime)
    with locked(tree.backend, "import", options.lock_timeout, runtime):
        workspace = tree.load()
        declared = {job.address: job for job in workspace.jobs}
        job = declared.get(options.address)
        if job is None:
            raise UsageError(
                f"{options.address!r} is not declared in the manifests: declare the job first (its "
                "address is GROUP/JOBNAME)"
            )
        provider = workspace.provider
        group = job.spec.dataset_group_arn
        runtime.out.write(printable(checked_target(provider, [group]).line()) + "\n")
        found = provider.describe_job(options.job_arn)
        tags = provider.list_tags(options.job_arn)
        listed = Observed({group: ObservedGroup(group, True, tuple(provider.list_jobs(group)))})
        document = workspace.stored or new_state()
        existing = document.jobs.get(options.address)
        if existing is not None:
            raise ReconcilerError(
                f"{options.address} is already in the state (as {existing.job_name}): remove it "
                f"first with `reconciler state rm {options.address}` to record another job"
            )
        others = [j for j in workspace.jobs if j.address != job.address]
        claims = claimed_names(others, map(recorded_job, document.jobs.values()))
        candidates = candidate_jobs(job, listed, claims)  # List does not say their spec
        described = {j.arn: provider.describe_job(j.arn) for j in candidates}
        read = tuple(described.get(j.arn, j) for j in listed.groups[group].jobs)
        attempts = found_attempts(job, Observed({group: ObservedGroup(group, True, read)}), claims)
        differences = [line for line in [service_differences(job.spec, found, tags)] if line]
        if not job.spec.is_attempt_name(found.job_name):
            differences.insert(
                0,
                f"  jobName: {found.job_name!r} is neither {job.spec.job_name!r} nor a retry of it",
            )
        elif found.job_name != job.spec.job_name and name_key(group, found.job_name) in claims:
            differences.insert(
                0, f"  jobName: {found.job_name!r} is another declared or recorded job's name"
            )
        elif attempts and attempts[-1][0] != found.job_name:
            differences.insert(
                0,
                f"  jobName: {found.job_name!r} is an earlier attempt; the latest in the service "
                f"is {attempts[-1][0]!r}: import that one",
            )
        if differences:
            raise ReconcilerError(
                f"{options.job_arn} is not the job {options.address} declares; nothing was "
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
        jobs = {**document.jobs, record.address: record}
        stored = workspace.backend.save(document.model_copy(update={"jobs": jobs}))
    runtime.out.write(
        printable(
            f"Imported {found.job_name} ({found.status.value}) as {options.address} into "
            f"{workspace.backend.describe()} (serial {stored.serial}); nothing was created."
        )
        + "\n"
    )
    return ExitCode.OK
