"""The compliance evidence of `reconciler report`, as data: per erasure request, every job that
carries it, each attempt with what was recorded when it was created (its input's identity, rows
and keyed digest; who approved it and which principal and run created it; whether the input was
the one of a reviewed saved plan) or that it was recovered from the service later, what the
service said, and the commit that declared it; per dataset group, the models still trained on
deleted users; and the state's lineage note.

Pure: the records, the declared jobs, the commits and the solutions are given
(`usecases/report.py` gathers them). Evidence is only ever what was recorded at the time: an
attempt without a recorded input says so; nothing read later is attached to it. Never a user ID,
nor a plain hash of an input (a file of one user gives the user's ID back to whoever guesses
it): inputs appear only as locations, S3 identities, counts and keyed digests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum

from reconciler.lifecycle import Deletion, GroupLifecycle
from reconciler.models import (
    DesiredJob,
    Frozen,
    InputEvidence,
    JobStatus,
    Provenance,
    ServiceJob,
    SolutionModel,
)
from reconciler.planning.deadlines import RequestProgress, RequestSpec, progress
from reconciler.state.document import Attempt, JobRecord


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


class Review(StrEnum):
    """Whether the input an attempt was created with is the one that was reviewed."""

    SAVED_PLAN = "reviewed saved plan"  # applied from a saved plan, its inputs checked unchanged
    # applied from a saved plan that did not read the input (--skip-preflight, not on S3): the
    # plan was reviewed, the file it would be given was not bound to it
    INPUT_NOT_BOUND = "reviewed saved plan, input not bound"
    SAME_RUN = "same run"  # planned and applied in one run: no saved plan was reviewed
    NOT_RECORDED = "not recorded"  # created before provenance was recorded, or recovered


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
    inputs: tuple[InputEvidence, ...] = ()  # as recorded at its create; () not recorded
    provenance: Provenance | None = None  # who approved and ran its create; None not recorded
    recovered: bool = False  # found in the service later: nothing was recorded at the time
    rerun: str | None = None  # a COMPLETED deletion run again: why

    @property
    def review(self) -> Review:
        if self.provenance is None:
            return Review.NOT_RECORDED
        if not self.provenance.plan_digest:
            return Review.SAME_RUN
        return Review.SAVED_PLAN if self.inputs else Review.INPUT_NOT_BOUND


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
    # per dataset group its jobs touched: deleted when, the campaigns retrained since or not,
    # the imports that may have brought its users back (empty: the service was not asked)
    lifecycle: tuple[GroupLifecycle, ...] = ()
    # its `kind: Request`: due date, days left, completed on time or late (None: not declared)
    deadline: RequestProgress | None = None

    @property
    def data_deleted(self) -> bool:
        """Every group's deletion COMPLETED (as the request's latest attempts say)."""
        return bool(self.jobs) and all(d.completed is not None for d in deletions(self))

    def campaigns(self) -> tuple[int, int]:
        """(retrained, all) of the campaigns of the groups the request touched."""
        return (
            sum(len(g.retrained) for g in self.lifecycle),
            sum(g.campaigns for g in self.lifecycle),
        )

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
    state_started: datetime | None = None  # when the state's lineage began (None: not recorded)


def request_of(address: str, tags: Mapping[str, str]) -> str:
    """The erasure request a job carries: its `request` tag, or its declared jobName."""
    return tags.get("request") or address.split("/", 1)[1]


def job_evidence(
    record: JobRecord,
    *,
    declared: str | None,
    commit: Commit | None,
    refreshed: ServiceJob | None = None,
) -> JobEvidence:
    """A recorded job and each of its attempts (the current one as `refreshed` says where the
    service was read), each with only what was recorded of it at the time."""
    location = record.spec.data_location
    steps = list(record.attempts)
    current = refreshed.over(record.seen) if refreshed is not None else record.seen
    steps.append(
        Attempt(
            job_name=record.job_name,
            seen=current,
            inputs=record.inputs,
            provenance=record.provenance,
            recovered=record.recovered,
            rerun=record.rerun,
        )
    )
    return JobEvidence(
        address=record.address,
        request=request_of(record.address, record.spec.tags),
        dataset_group_arn=record.spec.dataset_group_arn,
        declared=declared or record.manifest or None,
        commit=commit,
        forgotten=record.forgotten is not None,
        attempts=tuple(_attempt(number, step, location) for number, step in enumerate(steps, 1)),
    )


def _attempt(number: int, step: Attempt, location: str) -> AttemptEvidence:
    recorded = AttemptEvidence(
        attempt=number,
        job_name=step.job_name,
        input_location=location,
        inputs=step.inputs,
        provenance=step.provenance,
        recovered=step.recovered,
        rerun=step.rerun,
    )
    seen = step.seen
    if seen is None:
        return recorded
    return recorded.model_copy(
        update={
            "job_arn": seen.arn,
            "status": seen.status,
            "created": seen.created,
            "completed": seen.last_updated if seen.status.terminal else None,
            "num_deleted": seen.num_deleted,
            "failure_reason": seen.failure_reason,
            "input_location": seen.data_location or location,
        }
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


def deletions(request: RequestEvidence) -> list[Deletion]:
    """Per dataset group the request's (still declared) jobs are in: when its first job there
    was created, and when the last COMPLETED, if every one did."""
    latest: dict[str, list[AttemptEvidence]] = {}
    for job in _counted(request.jobs):
        latest.setdefault(job.dataset_group_arn, []).append(job.latest)
    found = []
    for group, attempts in sorted(latest.items()):
        created = [a.created for a in attempts if a.created is not None]
        completed = [a.completed for a in attempts if a.status is JobStatus.COMPLETED]
        done = len(completed) == len(attempts) and all(c is not None for c in completed)
        found.append(
            Deletion(
                dataset_group_arn=group,
                created=min(created) if created else None,
                completed=max(c for c in completed if c is not None) if done else None,
            )
        )
    return found


def deadline_of(
    request: RequestEvidence,
    spec: RequestSpec,
    today: date,
    warn_days: int,
    models_retrained: bool = False,
) -> RequestProgress:
    """The request's standing against its due date: done once its data is deleted in every
    group (as its jobs' latest attempts say) and no import since may have brought its users
    back, or, with `models_retrained`, once every campaign there also serves a model trained
    after the deletion (then on the day the last began to serve it)."""
    completions: list[date | None] = []
    for job in _counted(request.jobs):
        latest = job.latest
        done = latest.status is JobStatus.COMPLETED and latest.completed is not None
        completions.append(latest.completed.date() if done and latest.completed else None)
    found = progress(spec, completions, today, warn_days)
    if found.completed is None:
        return found
    counts = {"jobs": found.jobs, "completed_jobs": found.completed_jobs}
    undone = any(group.brought_back for group in request.lifecycle)  # run it again first
    if models_retrained:
        undone = undone or any(group.stale or group.note for group in request.lifecycle)
    if undone:
        return progress(spec, [None], today, warn_days).model_copy(update=counts)
    if not models_retrained:
        return found
    served = [  # when each campaign began to serve its retrained model
        max(d for d in (c.version_created, c.last_updated) if d is not None).date()
        for group in request.lifecycle
        for c in group.retrained
        if c.version_created is not None
    ]
    when = max([found.completed, *served])
    return progress(spec, [when], today, warn_days).model_copy(update=counts)


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


def from_service_only(attempt: AttemptEvidence, started: datetime | None) -> bool:
    """Whether the evidence of `attempt` comes from the service only: it was recovered, or
    created before the state (`started`) that would have recorded it, and nothing was recorded
    of its create (an attempt with provenance was recorded at the time, whatever its date)."""
    if attempt.provenance is not None:
        return False
    before = started is not None and attempt.created is not None and attempt.created < started
    return attempt.recovered or before


def lineage_note(requests: Iterable[RequestEvidence], started: datetime | None) -> str | None:
    """What the report says of the state's lineage when some of its evidence comes from the
    service only (`from_service_only`); None when all of it was recorded at the time."""
    attempts = [a for r in requests for job in r.jobs for a in job.attempts]
    if not any(from_service_only(a, started) for a in attempts):
        return None
    if started is None:
        since = "when this state was started is not recorded"
    else:
        since = f"this state was started on {started.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    if any(a.recovered for a in attempts):
        return (
            "some attempts were recovered from the service (found there, not recorded at the "
            "time: a state rebuilt, or jobs imported); their evidence comes from the service "
            f"only; {since}"
        )
    return f"{since}; evidence of jobs created before it comes from the service only"
