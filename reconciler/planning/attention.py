"""Jobs that need a person: a FAILED job nothing will retry, a recorded job the service no
longer lists, and an erasure request past its due date. None is "no changes": plan, check and
status show each with its next step, in the same words (this module), and
`plan --detailed-exitcode` exits 2 for them.

A next step quotes the commands it names in backticks; the values in it (an address, a job name,
a manifest's file name) show a backtick of their own as `\\x60`, so every backtick of a next
step is the tool's (Markdown shows what they quote as code).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from reconciler.diagnostics import Location
from reconciler.escaping import printable
from reconciler.models import MAX_ATTEMPTS, DesiredJob, Frozen, JobSpec, JobStatus, RetryPolicy

if TYPE_CHECKING:
    from reconciler.planning.model import RecordedJob


class Concern(StrEnum):
    FAILED = "failed"
    MISSING = "missing"  # no longer listed by the service
    UNMATCHED = "unmatched"  # a selector that matches no dataset group: its jobs go nowhere
    OVERDUE = "overdue"  # an erasure request past its due date with a job not COMPLETED


class Attention(Frozen):
    address: str
    concern: Concern
    detail: str  # what the service says
    next_step: str  # what to do, as a command where there is one

    def line(self) -> str:
        """The item as one line of a terminal or a log: its values `printable`."""
        return printable(f"{self.address}: {self.detail}. Next: {self.next_step}")


def failed(
    address: str,
    spec: JobSpec,
    job_name: str,
    attempt: int,
    reason: str | None,
    source: Location | None = None,
    policy: RetryPolicy | None = None,
    *,
    next_name: str | None = None,
) -> Attention:
    """A FAILED job (attempt `attempt` of the declared `spec`, named `job_name`): the next apply
    retries it (its `policy` says so) as `next_name` (the planner knows which name is free; by
    default `NAME-rN`); else the step that works from a pull request first (`onFailure: retry`,
    `maxAttempts`, at the job's manifest line), then an operator's `apply --retry`."""
    detail = f"{job_name} FAILED ({reason or 'no reason given'})"
    shown = _unquoted(address)
    retry_name = _unquoted(next_name or spec.derived_name(attempt + 1))
    retrying = policy is not None and policy.on_failure == "retry"
    where = f" at {_unquoted(str(source))}" if source else ""
    operator = f"an operator can instead run `reconciler apply --retry {shown}` once"
    if policy is not None and retrying and attempt < policy.max_attempts:
        step = (
            f"replace the file at its location with a fixed one: the next `reconciler apply` "
            f"retries it as {retry_name} (onFailure: retry, attempt {attempt + 1} of "
            f"{policy.max_attempts}; the same file is not retried)"
        )
    elif attempt >= MAX_ATTEMPTS:
        step = (
            f"no attempts are left ({MAX_ATTEMPTS} jobs): fix the input and, in a pull request, "
            f"declare a new job with another jobName{where}"
        )
    elif policy is None:  # the manifests were not read: their policy and place are not known
        step = (
            "fix the input and, in a pull request, add `onFailure: retry` to the job in its "
            f"manifest (`reconciler plan` says where): the next apply retries it as {retry_name}; "
            f"{operator}"
        )
    elif retrying:
        step = (
            f"fix the input and, in a pull request, raise its maxAttempts{where}: the next "
            f"apply retries it as {retry_name}; {operator}"
        )
    else:
        step = (
            f"fix the input and, in a pull request, add `onFailure: retry` to it{where}: the "
            f"next apply retries it as {retry_name}; {operator}"
        )
    return Attention(address=address, concern=Concern.FAILED, detail=detail, next_step=step)


def same_input(item: Attention, address: str, source: Location | None = None) -> Attention:
    """`item`, a FAILED job that `onFailure: retry` would retry, but whose input is still the
    very version its failed attempt was given: a retry would fail again and burn a name."""
    where = f" at {_unquoted(str(source))}" if source else ""
    return item.model_copy(
        update={
            "next_step": (
                "replace the file at its location with a fixed one: the same file would fail "
                "again (it is unchanged since the failed attempt, so onFailure: retry does not "
                "retry it), a replaced one is retried by the next `reconciler apply`. If the "
                "failure was not the input's (the role, the service): in a pull request, declare "
                f"the job again with another jobName{where}; an operator can instead run "
                f"`reconciler apply --retry {_unquoted(address)}` to retry it as it is"
            )
        }
    )


def _unquoted(value: str) -> str:
    """A value as a next step holds it: its own backticks as `\\x60` (see the module)."""
    return value.replace("`", "\\x60")


def of_recorded(
    records: Iterable[RecordedJob],
    missing_addresses: Collection[str],
    declared: Mapping[str, DesiredJob],
) -> list[Attention]:
    """The attention items of recorded jobs as `status` sees them: those the service no longer
    lists (`missing_addresses`) and those FAILED, with the manifest's retry policy and place
    where the job is `declared` (the plan's words exactly)."""
    items = []
    for record in records:
        if record.address in missing_addresses:
            items.append(missing(record.address, record.job_name))
        elif record.status is JobStatus.FAILED and record.seen is not None:
            job = declared.get(record.address)
            items.append(
                failed(
                    record.address,
                    record.spec,
                    record.job_name,
                    record.attempt,
                    record.seen.failure_reason,
                    job.source if job else None,
                    job.retry if job else None,
                )
            )
    return items


def missing(address: str, job_name: str) -> Attention:
    """A recorded job the service no longer lists."""
    return Attention(
        address=address,
        concern=Concern.MISSING,
        detail=f"{job_name} is no longer listed by the service (drift)",
        next_step=(
            "check whether the job or its dataset group was deleted out of band; then, in a "
            "pull request, remove the job from the manifests (the apply forgets it) or declare "
            "it again with another jobName; an operator can instead run "
            f"`reconciler state rm {_unquoted(address)}` so that the next plan creates it again"
        ),
    )


def unmatched(source: str, how: str, jobs: int) -> Attention:
    """A selector that matches no dataset group: the document's jobs are declared nowhere."""
    return Attention(
        address=source,
        concern=Concern.UNMATCHED,
        detail=f"{how} matches no dataset group, so none of its {jobs} jobs is created anywhere",
        next_step="in a pull request, fix the selector's account, regions or namePattern to "
        "match the dataset groups ListDatasetGroups lists",
    )


def overdue(request: str, detail: str, jobs: int, completed: int, extendable: bool) -> Attention:
    """An erasure request past its due date (`detail`: its due date and how late) that `jobs`
    jobs carry, `completed` of them COMPLETED."""
    shown = _unquoted(request)
    if jobs == 0:
        first = (
            f"in a pull request, declare its deletion jobs with the tag request: {shown}, "
            "and apply them"
        )
    else:
        first = (
            f"run `reconciler apply` for its jobs not created yet and look at any FAILED one "
            f"(`reconciler status`; {completed} of {jobs} COMPLETED)"
        )
    later = (
        "; if the law allows, in a pull request set extendedUntil with a reason on its Request "
        "(and tell the requester)"
        if extendable
        else "; its extension is used up: answer the requester and record why it is late"
    )
    return Attention(
        address=request, concern=Concern.OVERDUE, detail=detail, next_step=first + later
    )


def summary(items: Iterable[Attention]) -> str:
    """`Attention: 1 failed, 2 no longer listed`, or '' when there is nothing."""
    counts = Counter(item.concern for item in items)
    parts = []
    if counts[Concern.FAILED]:
        parts.append(f"{counts[Concern.FAILED]} failed")
    if counts[Concern.MISSING]:
        parts.append(f"{counts[Concern.MISSING]} no longer listed")
    if counts[Concern.UNMATCHED]:
        many = "selector matches" if counts[Concern.UNMATCHED] == 1 else "selectors match"
        parts.append(f"{counts[Concern.UNMATCHED]} {many} no dataset group")
    if counts[Concern.OVERDUE]:
        parts.append(
            f"{counts[Concern.OVERDUE]} request{'s' if counts[Concern.OVERDUE] > 1 else ''} overdue"
        )
    return f"Attention: {', '.join(parts)}" if parts else ""
