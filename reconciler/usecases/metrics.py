"""The `report --metrics` use case: CCPA Regulations §7102(a)'s figures, per regime, over the
declared erasure requests (`kind: Request`) received on or after `since`: requests received,
completed (on time, late), still open, and the median and mean days from receipt to completion.

A request's jobs are the jobs tagged with its id: those the state records (as recorded: a job
counts as COMPLETED on the day the state last saw it change, `report --refresh` is not needed)
and those declared and not created yet (open). Nothing is written, and no input is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reconciler.errors import UsageError
from reconciler.models import JobStatus
from reconciler.planning.deadlines import MetricsReport, metrics, progress
from reconciler.planning.requests import REQUEST_TAG
from reconciler.runtime import Runtime
from reconciler.usecases.events import Emit, ignore
from reconciler.usecases.opening import recovery_read, stored


@dataclass(frozen=True)
class MetricsInputs:
    manifests_dir: Path
    since: date | None = None  # requests received on or after


def make_metrics(inputs: MetricsInputs, runtime: Runtime, emit: Emit = ignore) -> MetricsReport:
    tree = recovery_read(inputs.manifests_dir, runtime.environ, emit)
    if tree.manifests is None:
        raise UsageError(
            "report --metrics counts the Request documents of the manifests, and they could "
            "not be read: fix the problems `reconciler validate` lists, then report again"
        )
    backend = runtime.make_backend(tree.settings.state)
    document = stored(backend, emit)
    records = list(document.jobs.values()) if document is not None else []
    completions: dict[str, list[date | None]] = {}
    recorded = set()
    for record in records:
        request = record.spec.tags.get(REQUEST_TAG)
        if request is None:
            continue
        recorded.add(record.address)
        seen = record.seen
        done = seen.last_updated.date() if seen and seen.status is JobStatus.COMPLETED else None
        completions.setdefault(request, []).append(done)
    for job in tree.manifests.jobs:  # declared, not created yet (a selector's are not known)
        request = job.spec.tags.get(REQUEST_TAG)
        if request is not None and job.address not in recorded:
            completions.setdefault(request, []).append(None)
    now = runtime.clock()
    warn = tree.settings.deadlines.warn_days
    found = tuple(
        progress(spec, completions.get(spec.id, []), now.date(), warn)
        for spec in tree.manifests.requests
        if inputs.since is None or spec.received >= inputs.since
    )
    return MetricsReport(
        generated=now,
        since=inputs.since,
        state_location=backend.describe(),
        regimes=tuple(metrics(found)),
        requests=found,
    )
