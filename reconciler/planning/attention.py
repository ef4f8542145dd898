"""Jobs that need a person: a FAILED job nothing will retry, and a recorded job the service no
longer lists. Neither is "no changes": plan, check and status show each with its next step, in
the same words (this module), and `plan --detailed-exitcode` exits 2 for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from reconciler.diagnostics import Location
from reconciler.models import MAX_ATTEMPTS, Frozen, JobSpec, RetryPolicy


class Concern(StrEnum):
    FAILED = "failed"
    MISSING = "missing"  # no longer listed by the service


class Attention(Frozen):
    address: str
    concern: Concern
    detail: str  # what the service says
    next_step: str  # what to do, as a command where there is one

    def line(self) -> str:
        return f"{self.address}: {self.detail}. Next: {self.next_step}"


def failed(
    address: str,
    spec: JobSpec,
    job_name: str,
    attempt: int,
    reason: str | None,
    source: Location | None = None,
    policy: RetryPolicy | None = None,
) -> Attention:
    """A FAILED job (attempt `attempt` of the declared `spec`, named `job_name`): the next apply
    retries it (its `policy` says so), or retry it once (`apply --retry`), or at every apply
    (`onFailure: retry`)."""
    detail = f"{job_name} FAILED ({reason or 'no reason given'})"
    retrying = policy is not None and policy.on_failure == "retry"
    if policy is not None and retrying and attempt < policy.max_attempts:
        step = (
            f"fix the input; the next `reconciler apply` retries it as "
            f"{spec.derived_name(attempt + 1)} (onFailure: retry, attempt {attempt + 1} of "
            f"{policy.max_attempts})"
        )
    elif attempt >= MAX_ATTEMPTS:
        step = (
            f"no attempts are left ({MAX_ATTEMPTS} jobs): fix the input and declare a new job "
            "with another jobName"
        )
    else:
        where = f" ({source})" if source else ""
        always = "raise its maxAttempts" if retrying else "add `onFailure: retry` to it"
        step = (
            f"fix the input, then `reconciler apply --retry {address}` creates one more attempt "
            f"({spec.derived_name(attempt + 1)}); or {always}{where}"
        )
    return Attention(address=address, concern=Concern.FAILED, detail=detail, next_step=step)


def missing(address: str, job_name: str) -> Attention:
    """A recorded job the service no longer lists."""
    return Attention(
        address=address,
        concern=Concern.MISSING,
        detail=f"{job_name} is no longer listed by the service (drift)",
        next_step=(
            "check whether the job or its dataset group was deleted out of band; "
            f"`reconciler state rm {address}` stops tracking it"
        ),
    )


def summary(items: Iterable[Attention]) -> str:
    """`Attention: 1 failed, 2 no longer listed`, or '' when there is nothing."""
    counts = Counter(item.concern for item in items)
    parts = []
    if counts[Concern.FAILED]:
        parts.append(f"{counts[Concern.FAILED]} failed")
    if counts[Concern.MISSING]:
        parts.append(f"{counts[Concern.MISSING]} no longer listed")
    return f"Attention: {', '.join(parts)}" if parts else ""
