"""The compliance evidence of `reconciler report`, as data: per erasure request, every job that
carries it, each attempt with its input's digests and counts, what the service said, and the
commit that declared it; and, per dataset group, the models still trained on deleted users.

Pure: the records, the declared jobs, the commits, the digests read at report time and the
solutions are given (`usecases/report.py` gathers them). Never a user ID: inputs appear only as
locations, SHA-256 digests and counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from reconciler.models import (
    DesiredJob,
    Frozen,
    InputEvidence,
    JobStatus,
    ServiceJob,
    SolutionModel,
)
from reconciler.state.document import JobRecord


class Verdict(StrEnum):
    COMPLETED = "completed everywhere"
    PENDING = "pending"
    FAILED = "failed somewhere"


class Commit(Frozen):
    """The git commit that last changed a job's manifest line (`committed` False: the line is
    not committed yet)."""

    sha: str
    author: str
    author_email: str
    time: datetime
    summary: str
    committed: bool = True


class AttemptEvidence(Frozen):
    attempt: int
    job_name: str
    job_arn: str | None = None
    status: JobStatus | None = None  # None: not created (yet)
    created: datetime | None = None
    completed: datetime | None = None  # when it ended COMPLETED or FAILED
    num_deleted: int | None = None
    failure_reason: str | None = None
    input_location: str
    inputs: tuple[InputEvidence, ...] = ()


class JobEvidence(Frozen):
    address: str
    request: str  # tags.request, or the declared jobName
    dataset_group_arn: str
    declared: str | None = None  # manifest file:line:col
    commit: Commit | None = None
    forgotten: bool = False  # no longer declared (kept in the state's audit trail)
    attempts: tuple[AttemptEvidence, ...]

    @property
    def latest(self) -> AttemptEvidence:
        return self.attempts[-1]

    @property
    def verdict(self) -> Verdict:
        status = self.latest.status
        if status is JobStatus.COMPLETED:
            return Verdict.COMPLETED
        if status is JobStatus.FAILED:
            return Verdict.FAILED
        return Verdict.PENDING


class RequestEvidence(Frozen):
    request: str
    verdict: Verdict  # of all the request's jobs, those before --since too
    jobs: tuple[JobEvidence, ...]
    earlier: int = 0  # the request's jobs created before --since: in the verdict, not listed

    @property
    def num_deleted(self) -> int:
        return sum(job.latest.num_deleted or 0 for job in self.jobs)


def _counted(jobs: Sequence[JobEvidence]) -> list[JobEvidence]:
    """The jobs a request's verdict is of: those still declared (a forgotten job is listed for
    the audit trail, but nothing follows it any more)."""
    return [job for job in jobs if not job.forgotten]


class Retrain(Frozen):
    """A custom solution whose latest ACTIVE version was trained before the group's last
    completed deletion: its recommendations may still reflect deleted users."""

    solution_arn: str
    solution_name: str
    version_arn: str
    version_created: datetime


class GroupModels(Frozen):
    dataset_group_arn: str
    last_deletion: datetime | None  # the last COMPLETED deletion of the report's jobs there
    retrain: tuple[Retrain, ...] = ()
    note: str | None = None  # why the models were not examined


class Report(Frozen):
    generated: datetime
    target: str  # the target line
    state_location: str
    request: str | None = None  # --request
    since: datetime | None = None  # --since
    refreshed: bool = False  # statuses as the service says now, not as the state last saw
    requests: tuple[RequestEvidence, ...] = ()
    models: tuple[GroupModels, ...] = ()
    notes: tuple[str, ...] = ()


def request_of(address: str, tags: Mapping[str, str]) -> str:
    """The erasure request a job carries: its `request` tag, or its declared jobName."""
    return tags.get("request") or address.split("/", 1)[1]


def job_evidence(
    record: JobRecord,
    *,
    declared: str | None,
    commit: Commit | None,
    read_now: Mapping[str, tuple[InputEvidence, ...]],
    refreshed: ServiceJob | None = None,
) -> JobEvidence:
    """A recorded job and each of its attempts (the current one as `refreshed` says where the
    service was read). An attempt whose input was not digested at apply has what `read_now`
    read of its location."""
    location = record.spec.data_location
    steps = [(a.job_name, a.seen, a.inputs) for a in record.attempts]
    current = refreshed.over(record.seen) if refreshed is not None else record.seen
    steps.append((record.job_name, current, record.inputs))
    attempts = tuple(
        _attempt(number, name, seen, inputs or read_now.get(location, ()), location)
        for number, (name, seen, inputs) in enumerate(steps, 1)
    )
    return JobEvidence(
        address=record.address,
        request=request_of(record.address, record.spec.tags),
        dataset_group_arn=record.spec.dataset_group_arn,
        declared=declared or record.manifest or None,
        commit=commit,
        forgotten=record.forgotten is not None,
        attempts=attempts,
    )


def _attempt(
    number: int,
    name: str,
    seen: ServiceJob | None,
    inputs: tuple[InputEvidence, ...],
    location: str,
) -> AttemptEvidence:
    if seen is None:
        return AttemptEvidence(
            attempt=number, job_name=name, input_location=location, inputs=inputs
        )
    return AttemptEvidence(
        attempt=number,
        job_name=name,
        job_arn=seen.arn,
        status=seen.status,
        created=seen.created,
        completed=seen.last_updated if seen.status.terminal else None,
        num_deleted=seen.num_deleted,
        failure_reason=seen.failure_reason,
        input_location=seen.data_location or location,
        inputs=inputs,
    )


def unapplied_evidence(job: DesiredJob, commit: Commit | None) -> JobEvidence:
    """A declared job nothing has created yet."""
    return JobEvidence(
        address=job.address,
        request=request_of(job.address, job.spec.tags),
        dataset_group_arn=job.spec.dataset_group_arn,
        declared=str(job.source),
        commit=commit,
        attempts=(
            AttemptEvidence(
                attempt=1, job_name=job.spec.job_name, input_location=job.spec.data_location
            ),
        ),
    )


def by_request(
    jobs: Iterable[JobEvidence], *, request: str | None = None, since: datetime | None = None
) -> tuple[RequestEvidence, ...]:
    """The jobs grouped by request, each request with its verdict: failed somewhere, else
    pending anywhere, else completed everywhere. `request` keeps one; `since` keeps the
    requests with a job whose latest attempt was created then or later (or not created yet),
    and lists those jobs; the verdict is always of all the request's jobs (`earlier` counts the
    ones left out)."""
    grouped: dict[str, list[JobEvidence]] = {}
    for job in sorted(jobs, key=lambda j: (j.request, j.address)):
        if request is None or job.request == request:
            grouped.setdefault(job.request, []).append(job)
    found = []
    for name, members in grouped.items():
        shown = [job for job in members if since is None or _recent(job, since)]
        if shown:
            found.append(
                RequestEvidence(
                    request=name,
                    verdict=_verdict(members),
                    jobs=tuple(shown),
                    earlier=len(members) - len(shown),
                )
            )
    return tuple(found)


def _recent(job: JobEvidence, since: datetime) -> bool:
    created = job.latest.created
    return created is None or created >= since


def _verdict(jobs: Sequence[JobEvidence]) -> Verdict:
    verdicts = {job.verdict for job in _counted(jobs) or jobs}
    if Verdict.FAILED in verdicts:
        return Verdict.FAILED
    if Verdict.PENDING in verdicts:
        return Verdict.PENDING
    return Verdict.COMPLETED


def last_deletions(requests: Iterable[RequestEvidence]) -> dict[str, datetime]:
    """Each dataset group's last COMPLETED deletion among the report's jobs."""
    last: dict[str, datetime] = {}
    for request in requests:
        for job in request.jobs:
            for attempt in job.attempts:
                if attempt.status is JobStatus.COMPLETED and attempt.completed is not None:
                    group = job.dataset_group_arn
                    if group not in last or attempt.completed > last[group]:
                        last[group] = attempt.completed
    return last


def to_retrain(
    group: str, last_deletion: datetime, solutions: Sequence[SolutionModel]
) -> GroupModels:
    """The solutions of `group` whose latest ACTIVE version is older than its last deletion."""
    retrain = tuple(
        Retrain(
            solution_arn=s.arn,
            solution_name=s.name,
            version_arn=s.version_arn,
            version_created=s.version_created,
        )
        for s in sorted(solutions, key=lambda s: s.name)
        if s.version_arn is not None
        and s.version_created is not None
        and s.version_created < last_deletion
    )
    return GroupModels(dataset_group_arn=group, last_deletion=last_deletion, retrain=retrain)
