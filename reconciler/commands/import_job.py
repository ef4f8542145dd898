"""`reconciler import ADDRESS JOB_ARN`: record an existing job under a declared address.

The job is described and its tags listed; it is recorded only if its dataset group, data
location, role and tags are the manifest's and its name is the declared job name or one of its
retry names (`NAME-rN`). A mismatch is refused with the differences. Nothing in the service
changes. It takes the state lock (waiting up to `--lock-timeout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.applying.records import adopted
from reconciler.errors import ReconcilerError, UsageError
from reconciler.exitcodes import ExitCode
from reconciler.planning.conflicts import service_differences, spec_differences
from reconciler.runtime import Runtime
from reconciler.state.document import new_state
from reconciler.workspace import locked, open_workspace


@dataclass(frozen=True)
class ImportOptions:
    manifests_dir: Path
    address: str
    job_arn: str
    lock_timeout: float = 0


def import_job(options: ImportOptions, runtime: Runtime) -> int:
    workspace = open_workspace(options.manifests_dir, runtime)
    declared = {job.address: job for job in workspace.manifests.jobs}
    job = declared.get(options.address)
    if job is None:
        raise UsageError(
            f"{options.address!r} is not declared in the manifests: declare the job first (its "
            "address is GROUP/JOBNAME)"
        )
    provider = workspace.provider
    found = provider.describe_job(options.job_arn)
    tags = provider.list_tags(options.job_arn)
    differences = [
        line
        for line in (
            service_differences(job.spec, found),
            spec_differences({"tags": tags}, {"tags": dict(job.spec.tags)}),
        )
        if line
    ]
    if found.job_name not in job.spec.attempt_names():
        differences.insert(
            0, f"  jobName: {found.job_name!r} is neither {job.spec.job_name!r} nor a retry of it"
        )
    if differences:
        raise ReconcilerError(
            f"{options.job_arn} is not the job {options.address} declares; nothing was "
            "recorded:\n" + "\n".join(differences)
        )
    with locked(workspace.backend, "import", options.lock_timeout, runtime):
        document = workspace.load_state() or new_state()
        existing = document.jobs.get(options.address)
        if existing is not None:
            raise ReconcilerError(
                f"{options.address} is already in the state (as {existing.job_name}): remove it "
                f"first with `reconciler state rm {options.address}` to record another job"
            )
        record = adopted(
            None,
            address=job.address,
            spec=job.spec,
            source=job.source,
            found=found,
            now=runtime.clock(),
        )
        jobs = {**document.jobs, record.address: record}
        stored = workspace.backend.save(document.model_copy(update={"jobs": jobs}))
    runtime.out.write(
        f"Imported {found.job_name} ({found.status.value}) as {options.address} into "
        f"{workspace.backend.describe()} (serial {stored.serial}); nothing was created.\n"
    )
    return ExitCode.OK
