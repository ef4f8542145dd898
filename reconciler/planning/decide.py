"""make_plan: a pure function of (desired, recorded, observed, limits) -> Plan.

For each declared job the decision is a switch over (recorded job, observed job of that name):

| recorded job             | observed job of that name | action / diagnostic (reason)              |
|--------------------------|---------------------------|-------------------------------------------|
| none                     | none                      | create (declared_not_found)               |
| none                     | same spec                 | import (exists_same_spec)                 |
| none                     | other spec                | error: name used by another spec          |
| spec digest differs      | any                       | error: spec changed (immutable)           |
| intent only (no ARN)     | none                      | create/retry (interrupted_before_create)  |
| intent only (no ARN)     | same spec / other spec    | import (interrupted_after_create) / error |
| ARN                      | none                      | no-op, health Missing, drift (missing)    |
| ARN, FAILED              | a later attempt, same spec| import it (exists_same_spec)              |
| ARN, FAILED, retry asked | attempts left             | retry as NAME-rN (retry_after_failure)    |
| ARN                      | any other status          | no-op with that health (up_to_date)       |

A name another job holds is never given again: a retry takes the first of its candidate names
(`NAME-rN`, then hashed ones) that no declared or recorded job holds and the service has not
given to a job of another spec. A declared name the service has for another spec refuses that
job alone (`blocking=False`): a name someone else took never stops the rest of the plan.
"Retry asked" is the manifest's `onFailure: retry` (within its maxAttempts) or `--retry ADDRESS`
(once, within the 10 attempts a job may have); a `--retry` of anything else is an error.
`onFailure: retry` never retries a job whose input is still the version the failed attempt was
given (`unchanged`): it needs a person, like a job nothing retries. A FAILED
job nothing retries and a recorded job the service no longer lists are also `attention` items,
each with its next step. A job found in the service is compared tags included where refresh read
them. Recorded jobs no longer declared are forgotten (not_declared). Creates and retries of a
dataset group go now up to its free PENDING slots (the quota minus jobs already PENDING there);
the rest are queued. Every change carries what the job will be once applied (`after`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from reconciler.diagnostics import Severity
from reconciler.models import MAX_ATTEMPTS, DesiredJob, JobSpec, JobStatus, ServiceJob
from reconciler.planning import attention
from reconciler.planning.conflicts import service_differences, spec_differences
from reconciler.planning.model import (
    Action,
    ActionReason,
    Change,
    Drift,
    EarlierAttempt,
    Expansion,
    Health,
    JobValues,
    Limits,
    Origin,
    Plan,
    PlanDiagnostic,
    RecordedJob,
    RecordedState,
    Refreshed,
)
from reconciler.planning.naming import (
    Claims,
    attempt_slot,
    claimed_names,
    found_attempts,
    free_name_refusal,
)
from reconciler.planning.observed import Observed
from reconciler.planning.problems import missing_group, refused_retry, unmanaged
from reconciler.planning.quota import allocate


def _values(
    spec: JobSpec, job_name: str, job: ServiceJob | None = None, recorded: RecordedJob | None = None
) -> JobValues:
    """The job `job_name` of `spec` once applied, with what the service says of it if it exists
    (and the numDeleted the state read earlier, which List does not repeat)."""
    named = spec if spec.job_name == job_name else spec.model_copy(update={"job_name": job_name})
    if job is None:
        return JobValues(spec=named)
    num_deleted = job.num_deleted
    if num_deleted is None and recorded is not None and recorded.seen is not None:
        num_deleted = recorded.seen.num_deleted if recorded.seen.arn == job.arn else None
    return JobValues(
        spec=named,
        arn=job.arn,
        status=job.status,
        num_deleted=num_deleted,
        failure_reason=job.failure_reason,
    )


class _Planner:
    def __init__(
        self,
        observed: Observed,
        claims: Claims,
        retry: Collection[str],
        refused: Mapping[str, str],
        unchanged: Collection[str] = (),
    ) -> None:
        self.observed = observed
        self.refused = refused  # address -> why preflight refuses its create
        self.unchanged = unchanged  # FAILED on an input that is still the same version
        self.claims = claims  # the names declared and recorded jobs hold
        self.retry_asked = set(retry)  # addresses to retry once if FAILED (`--retry`)
        self.attention: list[attention.Attention] = []
        self.changes: list[Change] = []
        self.diagnostics: list[PlanDiagnostic] = []
        self.drift: list[Drift] = []
        self.refreshed: list[Refreshed] = []
        self.new_groups: set[str] = set()  # addresses of jobs in groups a selector matches since
        self.left_out: tuple[str, ...] = ()  # changes left for another plan (`leave_out`)
        self.rerun_reason: str | None = None  # `--reason`: a COMPLETED job asked to run again

    def error(self, summary: str, detail: str, job: DesiredJob, *, blocking: bool = True) -> None:
        """An error at `job`'s line: one that stops the whole plan, or (not `blocking`) one that
        refuses this job alone while the rest of the plan applies."""
        self.diagnostics.append(
            PlanDiagnostic(
                severity=Severity.ERROR,
                summary=summary,
                detail=detail,
                address=job.address,
                source=job.source,
                blocking=blocking,
            )
        )

    def leave_out(self, left_out: Mapping[str, str]) -> None:
        """Take the changes `left_out` names out of the plan (not applied, not forgotten: a
        later plan decides them again), and say which, and why, in one warning."""
        out = [c for c in self.changes if c.address in left_out and not c.in_sync]
        if not out:
            return
        self.changes = [c for c in self.changes if c not in out]
        self.left_out = tuple(c.address for c in out)
        shown = [f"{c.address} ({c.action.value}: {left_out[c.address]})" for c in out[:10]]
        more = f"; and {len(out) - 10} more" if len(out) > 10 else ""
        self.diagnostics.append(
            PlanDiagnostic(
                severity=Severity.WARNING,
                summary=(
                    f"{len(out)} changes the manifests call for are left out of this plan"
                    if len(out) > 1
                    else "1 change the manifests call for is left out of this plan"
                ),
                detail="; ".join(shown) + more,
            )
        )

    def name_taken(self, job: DesiredJob, name: str, detail: str) -> None:
        """The name `job` needs is another job's in the service: this job is refused alone (a
        name someone else took must not stop every other erasure)."""
        self.error(f"Job name {name!r} is already used by another job", detail, job, blocking=False)

    def change(
        self,
        job: DesiredJob,
        action: Action,
        reason: ActionReason,
        detail: str,
        *,
        job_name: str,
        after: JobValues,
        recorded: RecordedJob | None = None,
        observed: ServiceJob | None = None,
        health: Health = Health.MISSING,
        attempt: int | None = None,
        previous: ServiceJob | None = None,
        earlier: tuple[EarlierAttempt, ...] = (),
        rerun: str | None = None,
    ) -> None:
        if action in (Action.CREATE, Action.RETRY) and job.address in self.refused:
            if previous is not None and rerun is None:  # the FAILED job stays a person's concern
                item = self.failed(job, previous, (attempt or 2) - 1)
                step = f"preflight refuses the retry (see its error); {item.next_step}"
                self.attention.append(item.model_copy(update={"next_step": step}))
            self.diagnostics.append(
                PlanDiagnostic(
                    severity=Severity.ERROR,
                    summary=f"Preflight: {job.address} is not created: see its input's problem",
                    detail=self.refused[job.address],
                    address=job.address,
                    source=job.source,
                    blocking=False,
                )
            )
            return
        self.changes.append(
            Change(
                address=job.address,
                action=action,
                reason=reason,
                detail=detail,
                dataset_group_arn=job.spec.dataset_group_arn,
                job_name=job_name,
                attempt=attempt or (recorded.attempt if recorded else 1),
                source=job.source,
                desired=job.spec,
                recorded=recorded,
                observed=observed,
                after=after,
                health=health,
                previous=previous,
                earlier=earlier,
                rerun=rerun,
            )
        )

    def import_or_conflict(
        self,
        job: DesiredJob,
        found: ServiceJob,
        conflict: str,
        reason: ActionReason,
        detail: str,
        recorded: RecordedJob | None = None,
    ) -> None:
        """Import the observed job of the name if it has the declared spec; otherwise block."""
        differs = service_differences(job.spec, found, self.observed.tags.get(found.arn))
        if differs:
            self.name_taken(job, found.job_name, f"{conflict}\n{differs}")
            return
        self.change(
            job,
            Action.IMPORT,
            reason,
            detail,
            job_name=found.job_name,
            after=_values(job.spec, found.job_name, found),
            recorded=recorded,
            observed=found,
            health=Health.of(found.status),
        )
        self.failed_import(job, found, recorded.attempt if recorded else 1)

    def failed_import(self, job: DesiredJob, found: ServiceJob, attempt: int) -> None:
        """A job imported FAILED needs attention as a recorded one would."""
        if found.status is JobStatus.FAILED:
            self.attention.append(self.failed(job, found, attempt))

    def failed(self, job: DesiredJob, found: ServiceJob, attempt: int) -> attention.Attention:
        """Attention to attempt `attempt` at `job`, FAILED, naming the retry it would be."""
        slot = attempt_slot(job, attempt + 1, self.observed, self.claims)
        return attention.failed(
            job.address,
            job.spec,
            found.job_name,
            attempt,
            found.failure_reason,
            job.source,
            job.retry,
            next_name=slot[0] if slot else None,
        )

    def unrecorded(self, job: DesiredJob) -> None:
        """Declared and not recorded: created, or (a state lost, or jobs made by hand) the
        latest attempt found in the service imported with the earlier ones as its history. A
        derived name another job holds is passed by for the next of the job's names."""
        first = attempt_slot(job, 1, self.observed, self.claims)
        if first is None:
            summary = f"No name is free for {job.address}"
            self.error(summary, free_name_refusal(job, 1), job, blocking=False)
            return
        if first[0] != job.spec.job_name:
            job = job.named(first[0])
        attempts = found_attempts(job, self.observed, self.claims)
        found = [(n, seen) for n, (_, seen) in enumerate(attempts, 1) if seen is not None]
        if not found:
            new = job.address in self.new_groups
            self.change(
                job,
                Action.CREATE,
                ActionReason.NEW_GROUP_SELECTED if new else ActionReason.DECLARED_NOT_FOUND,
                "new dataset group matches the selector: it gets the document's past deletions"
                if new
                else "declared; no job of this name in the state or the service",
                job_name=job.spec.job_name,
                after=_values(job.spec, job.spec.job_name),
            )
            return
        seen = attempts[0][1]  # a retry's name is only ever one of this spec's (naming)
        if seen is not None:
            differs = service_differences(job.spec, seen, self.observed.tags.get(seen.arn))
            if differs:
                self.name_taken(
                    job,
                    seen.job_name,
                    "A job of this name exists in the account and region with another spec, "
                    "and names can never be reused: give the manifest's job a new jobName.\n"
                    + differs,
                )
                return
        number, latest = found[-1]
        self.failed_import(job, latest, number)
        earlier = tuple(EarlierAttempt(job_name=name, seen=seen) for name, seen in attempts[:-1])
        history = f" (and {len(found) - 1} earlier attempts)" if len(found) > 1 else ""
        self.change(
            job,
            Action.IMPORT,
            ActionReason.EXISTS_SAME_SPEC,
            f"a job of this name and spec exists in the service but not in the state{history}: "
            "record it, create nothing",
            job_name=latest.job_name,
            after=_values(job.spec, latest.job_name, latest),
            observed=latest,
            health=Health.of(latest.status),
            attempt=number,
            earlier=earlier,
        )

    def later_attempts(self, job: DesiredJob, record: RecordedJob, failed: ServiceJob) -> bool:
        """The service has attempts at this job after the recorded FAILED one (a state restored
        from before a retry): import the latest, with those between as its history, instead of
        creating one more job for the same users. False when it has none."""
        attempts = found_attempts(job, self.observed, self.claims, after=record.attempt)
        if not attempts:
            return False
        latest_name, latest = attempts[-1]
        assert latest is not None  # found_attempts ends with one that exists
        number = record.attempt + len(attempts)
        between = tuple(EarlierAttempt(job_name=name, seen=seen) for name, seen in attempts[:-1])
        self.change(
            job,
            Action.IMPORT,
            ActionReason.EXISTS_SAME_SPEC,
            f"{record.job_name} FAILED and the service has a later attempt at it, {latest_name}, "
            "that the state does not record (a state restored from before a retry?): record "
            "it, create nothing",
            job_name=latest_name,
            after=_values(job.spec, latest_name, latest),
            recorded=record,
            observed=latest,
            health=Health.of(latest.status),
            attempt=number,
            previous=failed,
            earlier=between,
        )
        self.failed_import(job, latest, number)
        return True

    def recorded(self, job: DesiredJob, record: RecordedJob) -> None:
        # equal specs need no digest (the digest only tells changed ones, as it always did)
        if record.spec != job.spec and record.spec_digest != job.spec.digest():
            self.error(
                "The spec of an existing job changed",
                "Deletion jobs cannot be changed once created: restore the manifest, or give "
                "the job a new jobName to create a new job.\n"
                + spec_differences(record.spec.model_dump(), job.spec.model_dump()),
                job,
            )
            return
        found = self.observed.find(record.spec.dataset_group_arn, record.job_name)
        if record.arn is None:
            self.interrupted(job, record, found)
        elif found is None:
            self.missing(job, record)
        else:
            self.listed(job, record, found)

    def interrupted(self, job: DesiredJob, record: RecordedJob, found: ServiceJob | None) -> None:
        """An earlier apply saved the intent to create `record.job_name` and stopped."""
        if found is None:
            self.change(
                job,
                Action.RETRY if record.earlier_names else Action.CREATE,
                ActionReason.INTERRUPTED_BEFORE_CREATE,
                "an earlier apply meant to create it and stopped before the service had it",
                job_name=record.job_name,
                after=_values(job.spec, record.job_name),
                recorded=record,
            )
            return
        self.import_or_conflict(
            job,
            found,
            "An earlier apply meant to create this name, and the service has a job of that "
            "name with another spec.",
            ActionReason.INTERRUPTED_AFTER_CREATE,
            "an earlier apply created it and stopped before recording it: record it, create "
            "nothing",
            recorded=record,
        )

    def missing(self, job: DesiredJob, record: RecordedJob) -> None:
        self.attention.append(attention.missing(job.address, record.job_name))
        self.drift.append(
            Drift(
                address=job.address,
                detail=f"{record.arn} is recorded but the service no longer lists it",
                recorded=record,
            )
        )
        self.change(
            job,
            Action.NOOP,
            ActionReason.MISSING,
            "recorded, but missing from the service",
            job_name=record.job_name,
            after=_values(job.spec, record.job_name, record.seen, record),  # no-op: as before
            recorded=record,
        )

    def listed(self, job: DesiredJob, record: RecordedJob, found: ServiceJob) -> None:
        if found.status != record.status:
            self.refreshed.append(
                Refreshed(address=job.address, before=record.status, after=found.status)
            )
        if found.status is JobStatus.FAILED and self.later_attempts(job, record, found):
            self.retry_asked.discard(job.address)
            return
        policy = job.retry
        asked = job.address in self.retry_asked
        if (
            found.status is JobStatus.COMPLETED
            and asked
            and self.rerun_reason
            and record.attempt < MAX_ATTEMPTS
        ):
            self.retry_asked.discard(job.address)
            self.retry(job, record, found, asked=True, rerun=self.rerun_reason)
            return
        automatic = policy.on_failure == "retry" and record.attempt < policy.max_attempts
        same_input = automatic and not asked and job.address in self.unchanged
        if (
            found.status is JobStatus.FAILED
            and not same_input
            and (automatic or (asked and record.attempt < MAX_ATTEMPTS))
        ):
            self.retry_asked.discard(job.address)
            why = self.rerun_reason if asked else None  # `--reason`, recorded with the retry
            self.retry(job, record, found, asked=asked, why=why)
            return
        if found.status is JobStatus.FAILED:
            item = self.failed(job, found, record.attempt)
            if same_input:
                item = attention.same_input(item, job.address, job.source)
            self.attention.append(item)
        self.change(
            job,
            Action.NOOP,
            ActionReason.UP_TO_DATE,
            _noop_detail(found, policy.on_failure),
            job_name=record.job_name,
            after=_values(job.spec, record.job_name, found, record),
            recorded=record,
            observed=found,
            health=Health.of(found.status),
        )

    def retry(
        self,
        job: DesiredJob,
        record: RecordedJob,
        failed: ServiceJob,
        *,
        asked: bool = False,
        rerun: str | None = None,
        why: str | None = None,
    ) -> None:
        """A new attempt, NAME-rN: of a FAILED job, or (`rerun`, its reason) of a COMPLETED
        one whose deletion must run again (an import brought users back)."""
        attempt = record.attempt + 1
        slot = attempt_slot(job, attempt, self.observed, self.claims)
        if slot is None:
            summary = f"No name is free for attempt {attempt} of {job.address}"
            self.error(summary, free_name_refusal(job, attempt), job, blocking=False)
            return
        name = slot[0]
        if rerun is not None:
            reason, detail = (
                ActionReason.RERUN_ASKED,
                f"{record.job_name} COMPLETED; run again as attempt {attempt} (--retry): {rerun}",
            )
        else:
            reason, detail = (
                ActionReason.RETRY_AFTER_FAILURE,
                f"{record.job_name} FAILED ({failed.failure_reason or 'no reason given'}); "
                + (
                    f"attempt {attempt}, asked with --retry"
                    if asked
                    else f"attempt {attempt} of {job.retry.max_attempts}"
                )
                + (f": {why}" if why else ""),
            )
        self.change(
            job,
            Action.RETRY,
            reason,
            detail,
            job_name=name,
            after=_values(job.spec, name),
            recorded=record,
            previous=failed,
            health=Health.COMPLETED if rerun is not None else Health.FAILED,
            attempt=attempt,
            rerun=rerun if rerun is not None else why,
        )


def _noop_detail(found: ServiceJob, on_failure: str) -> str:
    if found.status is JobStatus.FAILED:
        if on_failure == "retry":
            return f"FAILED ({found.failure_reason or 'no reason given'}); no attempts left"
        return f"FAILED ({found.failure_reason or 'no reason given'}); onFailure is report"
    return f"{found.status.value}"


def make_plan(
    desired: Sequence[DesiredJob],
    recorded: RecordedState | None,
    observed: Observed,
    limits: Limits,
    origin: Origin,
    retry: Collection[str] = (),
    *,
    refused: Mapping[str, str] | None = None,
    held: Mapping[str, str] | None = None,
    fanout: Sequence[Expansion] = (),
    new: Collection[str] = (),
    unchanged: Collection[str] = (),
    left_out: Mapping[str, str] | None = None,
    rerun_reason: str | None = None,
) -> Plan:
    """The plan. `retry`: addresses of FAILED jobs to retry once whatever their onFailure;
    `refused`: creates preflight refuses (address -> why), shown as errors of their own jobs;
    `held`: dataset groups whose creates wait for their imports and trainings (group -> what
    runs there); `fanout`: how the documents with targets spread their jobs, where `new` are
    the addresses of jobs in groups a selector matches since the last apply; `unchanged`: the
    FAILED jobs whose input is still the version their failed attempt was given (`onFailure:
    retry` does not retry them: the same file would fail again); `left_out`: the changes this
    plan leaves for another (address -> why: `apply --queued-only` takes only approved creates),
    said in one warning and given no PENDING slot."""
    records = recorded.jobs if recorded else {}
    claims = claimed_names(desired, records.values())
    planner = _Planner(observed, claims, retry, refused or {}, unchanged)
    planner.rerun_reason = rerun_reason
    planner.new_groups = set(new)
    missing_groups: dict[str, DesiredJob] = {}
    for job in desired:
        group = observed.groups.get(job.spec.dataset_group_arn)
        if group is None or not group.exists:
            missing_groups.setdefault(job.spec.dataset_group_arn, job)
            continue
        record = records.get(job.address)
        if record is None:
            planner.unrecorded(job)
        else:
            planner.recorded(job, record)
    for arn, job in missing_groups.items():
        planner.error(
            "Dataset group not found",
            missing_group(arn, origin.target),
            job,
        )
    declared = {job.address for job in desired}
    importing = {c.address for c in planner.changes if c.action is Action.IMPORT}
    for address in sorted(planner.retry_asked):
        planner.diagnostics.append(
            refused_retry(address, declared, records, observed, importing, rerun_reason)
        )
    for address, record in records.items():
        if address not in declared:
            planner.changes.append(_forget(record))
    planner.diagnostics += unmanaged(observed, desired, records.values(), planner.changes)
    if left_out:
        planner.leave_out(left_out)
    changes, quotas = allocate(planner.changes, observed, limits.max_pending, held)
    return Plan(
        target=origin.target,
        state_location=origin.state_location,
        lineage=recorded.lineage if recorded else None,
        serial=recorded.serial if recorded else None,
        decisions=recorded.decisions if recorded else None,
        manifests_digest=origin.manifests_digest,
        changes=tuple(changes),
        drift=tuple(planner.drift),
        refreshed=tuple(planner.refreshed),
        quotas=tuple(quotas),
        fanout=tuple(fanout),
        diagnostics=tuple(planner.diagnostics),
        attention=tuple(planner.attention),
        retries=tuple(sorted(retry)),
        rerun_reason=rerun_reason,
        api_calls=dict(observed.api_calls),
        left_out=planner.left_out,
    )


def _forget(record: RecordedJob) -> Change:
    never = ""
    if record.status is JobStatus.FAILED:
        never = " (it FAILED: its users were never deleted; declare a new job to erase them)"
    return Change(
        address=record.address,
        action=Action.FORGET,
        reason=ActionReason.NOT_DECLARED,
        detail="no longer declared: stop tracking it; the job stays in Personalize and in the "
        f"state's history{never}",
        dataset_group_arn=record.spec.dataset_group_arn,
        job_name=record.job_name,
        attempt=record.attempt,
        recorded=record,
        health=Health.of(record.status),
    )
