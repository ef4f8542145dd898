"""A job's attributes in the service's own field names, as every rendering shows them."""

from __future__ import annotations

from typing import Any

from reconciler.models import InputEvidence, JobSpec
from reconciler.planning.deadlines import RequestProgress
from reconciler.planning.model import JobValues, Plan, RecordedJob
from reconciler.render.diagnostics import plural

RESOURCE_TYPE = "personalize_data_deletion_job"


def request_values(found: RequestProgress) -> dict[str, Any]:
    """An erasure request's standing, as the plan JSON (snake_case) and the metrics JSON
    (camelCase) show it: dates as YYYY-MM-DD; `days_left` None once it is done."""
    spec = found.spec
    return {
        "id": spec.id,
        "regime": spec.regime.value,
        "received_at": spec.received.isoformat(),
        "due": spec.due.isoformat(),
        "extended_until": spec.extended_until.isoformat() if spec.extended_until else None,
        "reason": spec.reason,
        "standing": found.standing.value,
        "days_left": None if found.done else found.days_left,
        "jobs": found.jobs,
        "completed_jobs": found.completed_jobs,
        "completed": found.completed.isoformat() if found.completed else None,
        "days_to_complete": found.days_to_complete,
        "source": str(spec.source) if spec.source else None,
    }


def spec_values(spec: JobSpec, job_name: str | None = None) -> dict[str, Any]:
    return {
        "datasetGroupArn": spec.dataset_group_arn,
        "jobName": job_name or spec.job_name,
        "dataSource": {"dataLocation": spec.data_location},
        "roleArn": spec.role_arn,
        "tags": dict(spec.tags),
    }


def input_text(evidence: InputEvidence) -> str:
    """One object of a job's input as a plan shows it: where, how big, and which version (never
    anything of its contents)."""
    identity = evidence.identity
    version = identity.short() if identity is not None else "version unknown"
    rows = plural(evidence.rows, "row")
    return f"{evidence.location} ({evidence.bytes} bytes, {rows}, {version})"


def input_values(evidence: InputEvidence) -> dict[str, Any]:
    """One object of a job's input, for JSON."""
    return {
        "location": evidence.location,
        "bytes": evidence.bytes,
        "rows": evidence.rows,
        "etagHmac": evidence.tag,
        "versionId": evidence.version_id,
        "lastModified": evidence.last_modified.isoformat() if evidence.last_modified else None,
        "read": evidence.read.isoformat(),
        "hmacSha256": evidence.hmac,
        "digestKeyId": evidence.key_id,
    }


def recorded_values(recorded: RecordedJob) -> dict[str, Any]:
    seen = recorded.seen
    return {
        **spec_values(recorded.spec, recorded.job_name),
        "dataDeletionJobArn": recorded.arn,
        "status": seen.status.value if seen else None,
        "numDeleted": seen.num_deleted if seen else None,
        "failureReason": seen.failure_reason if seen else None,
    }


def job_values(values: JobValues) -> dict[str, Any]:
    return {
        **spec_values(values.spec),
        "dataDeletionJobArn": values.arn,
        "status": values.status.value if values.status else None,
        "numDeleted": values.num_deleted,
        "failureReason": values.failure_reason,
    }


def short_group(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def summary_sentence(plan: Plan) -> str:
    """`5 to create (2 queued), 0 to retry, 0 to forget`: what changes in the service (and what
    the state stops tracking); imports are said apart (`import_sentence`)."""
    counts = plan.summary()
    parts = [f"{counts['queued']} queued"] if counts["queued"] else []
    parts += [f"{counts['held']} held"] if counts["held"] else []
    queued = f" ({', '.join(parts)})" if parts else ""
    return (
        f"{counts['create']} to create{queued}, {counts['retry']} to retry, "
        f"{counts['forget']} to forget"
    )


def import_sentence(plan: Plan) -> str | None:
    """`State: 9 jobs to import from the service (no service change)`, where there are any."""
    count = plan.summary()["import"]
    if not count:
        return None
    return f"State: {plural(count, 'job')} to import from the service (no service change)"


def checks_sentence(plan: Plan) -> str | None:
    """What the plan did not check or create: refused jobs, skipped checks."""
    said = []
    if plan.refused:
        counts = plan.refusals()
        if counts["preflight"]:
            said.append(f"Refused by preflight: {plural(counts['preflight'], 'job')} (not created)")
        if counts["fan-out"]:
            said.append(
                f"Refused: {plural(counts['fan-out'], 'job')} whose name or address is taken "
                "(not created)"
            )
    if plan.preflight_skipped:
        said.append("Preflight skipped (--skip-preflight): the inputs were not read")
    if plan.activity_ignored:
        said.append("Activity ignored (--ignore-activity): creates go while groups train")
    return ". ".join(said) or None


def fanout_lines(plan: Plan) -> list[str]:
    """How each document with targets spread its jobs: which groups, chosen how (a group a
    selector matches since the last apply is marked new)."""
    lines = []
    for expansion in plan.fanout:
        new = set(expansion.new_groups)
        groups = ", ".join(
            short_group(arn) + (" (new)" if arn in new else "") for arn in expansion.groups
        )
        each = f"{plural(expansion.jobs, 'job')} in each"
        chosen = (
            f"{plural(len(expansion.groups), 'dataset group')}: {groups}"
            if groups
            else ("no dataset group (nothing matches: no job)")
        )
        lines.append(f"{expansion.source}: {expansion.how} -> {chosen}; {each}")
    return lines
