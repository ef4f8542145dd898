"""The declared erasure requests against a plan's jobs: each request's standing on a day (pure).

A job belongs to the request its `request` tag names. A job COMPLETED is counted with the date
the service last changed it (its completion): what the service shows now, else what the state
recorded. A job tagged with a request no `Request` document declares is a warning, once the tree
declares any request (a tree with none has not opted in to deadlines: its tags stay plain tags).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reconciler.diagnostics import Severity
from reconciler.models import JobStatus
from reconciler.planning import attention
from reconciler.planning.attention import Attention
from reconciler.planning.deadlines import (
    Regime,
    RequestProgress,
    RequestSpec,
    Standing,
    days_phrase,
    latest_extension,
    progress,
)
from reconciler.planning.model import Change, PlanDiagnostic

REQUEST_TAG = "request"


def completion(change: Change) -> date | None:
    """The day the change's job COMPLETED (None: it has not)."""
    for seen in (change.observed, change.recorded.seen if change.recorded else None):
        if seen is not None and seen.job_name == change.job_name:
            return seen.last_updated.date() if seen.status is JobStatus.COMPLETED else None
    return None


def standings(
    requests: Sequence[RequestSpec], changes: Sequence[Change], today: date, warn_days: int
) -> tuple[RequestProgress, ...]:
    """Each declared request's standing on `today`, from the changes of its jobs."""
    by_request: dict[str, list[date | None]] = {spec.id: [] for spec in requests}
    for change in changes:
        tag = change.desired.tags.get(REQUEST_TAG) if change.desired else None
        if tag in by_request:
            by_request[tag].append(completion(change) if change.in_sync else None)
    return tuple(progress(spec, by_request[spec.id], today, warn_days) for spec in requests)


def overdue(found: Sequence[RequestProgress]) -> list[Attention]:
    """An attention item per open request past its due date."""
    items = []
    for item in found:
        if item.standing is not Standing.OVERDUE:
            continue
        spec = item.spec
        latest = latest_extension(spec.received, spec.regime)
        extendable = spec.extended_until is None or spec.regime is Regime.CUSTOM
        extendable = extendable and (latest is None or latest > spec.due)
        late = days_phrase(item.days_left)
        detail = f"request due {spec.due.isoformat()} ({spec.regime.value}), {late}"
        items.append(attention.overdue(spec.id, detail, item.jobs, item.completed_jobs, extendable))
    return items


def undeclared(requests: Sequence[RequestSpec], changes: Sequence[Change]) -> list[PlanDiagnostic]:
    """A warning per job whose request tag names no declared request (none without requests)."""
    if not requests:
        return []
    known = {spec.id for spec in requests}
    found = []
    for change in changes:
        tag = change.desired.tags.get(REQUEST_TAG) if change.desired else None
        if tag is not None and tag not in known:
            found.append(
                PlanDiagnostic(
                    severity=Severity.WARNING,
                    summary=f"request {tag!r} is not declared",
                    detail=(
                        "no `kind: Request` document has this id, so its due date is not "
                        "tracked: declare the request (id, receivedAt, regime) or fix the tag"
                    ),
                    address=change.address,
                    source=change.source,
                    blocking=False,
                )
            )
    return found
