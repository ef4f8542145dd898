"""`reconciler report`: the erasure evidence an auditor or a data-protection officer asks for,
from the state (and, with `--refresh`, the service), without any user ID.

Per request (a job's `request` tag, or its jobName): every job that carries it, each attempt
with its input's SHA-256 and number of user rows (read before the create, or now where the state
has none), what the service said (status, times, numDeleted, failure reason), the manifest line
and the git commit that last changed it; and per dataset group, the custom solutions whose
latest ACTIVE version predates the group's last completed deletion. It writes nothing to the
state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.digests import digest_inputs
from reconciler.errors import ReconcilerError, UsageError
from reconciler.escaping import printable
from reconciler.evidence import (
    GroupModels,
    JobEvidence,
    Report,
    RequestEvidence,
    by_request,
    job_evidence,
    last_deletions,
    request_of,
    to_retrain,
    unapplied_evidence,
)
from reconciler.exitcodes import ExitCode
from reconciler.files import check_output, write_output
from reconciler.formats import OutputFormat
from reconciler.models import DatasetGroupRef, DesiredJob, InputDigest, ServiceJob
from reconciler.provenance import Blame
from reconciler.providers.inputs import InputError
from reconciler.providers.interface import NotFound, Provider, ProviderError
from reconciler.render.formats import REPORT
from reconciler.runtime import Runtime
from reconciler.state.document import JobRecord
from reconciler.workspace import Tree, Workspace, checked_target, recovery_tree, show_notices


@dataclass(frozen=True)
class ReportOptions:
    manifests_dir: Path
    output_format: OutputFormat = OutputFormat.MARKDOWN
    request: str | None = None
    since: datetime | None = None
    output: Path | None = None
    refresh: bool = False


def report(options: ReportOptions, runtime: Runtime) -> int:
    tree = recovery_tree(options.manifests_dir, runtime)
    manifests, settings = tree.manifests, tree.settings
    protected = (settings.state.path,)  # and its backup, lock, lineage…
    if options.output is not None:
        check_output(options.output, "--output", protected, example="report.md")
    backend = runtime.make_backend(settings.state)
    document = backend.load()
    show_notices(backend, runtime)
    records = _distinct(list(document.jobs.values()), list(document.forgotten)) if document else []
    recorded_groups = {record.spec.dataset_group_arn for record in records}
    declared: dict[str, DesiredJob] = {}
    provider: Provider | None = None
    if manifests is not None:  # every declared job, the selectors' in the groups they match now
        workspace = Workspace(Tree(manifests, settings, backend, runtime), document)
        declared = {job.address: job for job in workspace.jobs}
        provider = workspace.provider if manifests.jobs or manifests.selectors else None
    groups = recorded_groups | {job.spec.dataset_group_arn for job in declared.values()}
    notes: list[str] = []
    if provider is None and groups:
        provider = runtime.make_provider(settings)
    target = checked_target(provider, groups) if provider else None
    blame = Blame()
    if not blame.available:
        notes.append("not in a git checkout: no commit is named for the jobs' manifest lines")
    elif blame.shallow:
        notes.append(
            "a shallow clone: its history is cut, so no commit is named for the jobs' manifest "
            "lines (fetch the whole history, e.g. actions/checkout with fetch-depth: 0)"
        )

    def evidence(read_now: dict[str, tuple[InputDigest, ...]]) -> list[JobEvidence]:
        jobs = [
            job_evidence(
                record,
                declared=_declared(record, declared),
                commit=blame.commit(_declared(record, declared)),  # the line as it is now
                read_now=read_now,
                refreshed=refreshed.get(record.address),
            )
            for record in records
            if in_scope(record)
        ]
        applied = {record.address for record in records if not record.forgotten}
        return jobs + [
            unapplied_evidence(job, blame.commit(str(job.source)))
            for address, job in sorted(declared.items())
            if address not in applied
            and (options.request is None or request_of(address, job.spec.tags) == options.request)
        ]

    def in_scope(record: JobRecord) -> bool:
        return options.request is None or request_of(record.address, record.spec.tags) == (
            options.request
        )

    refreshed: dict[str, ServiceJob] = {}
    if options.refresh and provider is not None:
        refreshed = _refresh([r for r in records if in_scope(r)], provider, notes)
    unread = evidence({})  # what the state holds; the inputs it has no digest of are read next
    first = by_request(unread, request=options.request, since=options.since)
    if options.request is not None and not by_request(unread, request=options.request):
        known = sorted({request_of(r.address, r.spec.tags) for r in records})
        shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise UsageError(
            f"no job carries the request {options.request!r} (a job's request is its "
            f"`request` tag, or its jobName){f'; the state has: {shown}' if known else ''}"
        )
    read_now = _read_inputs(first, provider, runtime, notes) if provider else {}
    requests = by_request(evidence(read_now), request=options.request, since=options.since)
    models = _models(last_deletions(requests), provider) if provider else []
    result = Report(
        generated=runtime.clock(),
        target=target.line() if target else "Target: none (nothing is recorded or declared)",
        state_location=backend.describe(),
        request=options.request,
        since=options.since,
        refreshed=options.refresh,
        requests=requests,
        models=tuple(models),
        notes=tuple(notes),
    )
    text = REPORT.render(result, options.output_format)
    if options.output is None:
        runtime.out.write(text)
        return ExitCode.OK
    shown = printable(str(options.output))
    try:
        write_output(options.output, text.encode(), "--output", protected, example="report.md")
    except OSError as exc:
        raise ReconcilerError(
            f"could not write the report to {shown}: {exc.strerror or exc}"
        ) from None
    jobs = sum(len(r.jobs) for r in requests)
    runtime.err.write(f"Report of {len(requests)} requests ({jobs} jobs) written to {shown}.\n")
    return ExitCode.OK


def _distinct(jobs: list[JobRecord], forgotten: list[JobRecord]) -> list[JobRecord]:
    """The records of distinct jobs: a forgotten record of a job recorded again (imported back)
    is left out, and of one job forgotten several times the latest is kept."""
    live = {record.arn for record in jobs if record.arn}
    kept: dict[str, JobRecord] = {}
    for record in forgotten:
        key = record.arn or f"{record.address} {record.job_name}"
        if record.arn in live:
            continue
        if key not in kept or _when(record) > _when(kept[key]):
            kept[key] = record
    return jobs + list(kept.values())


def _when(record: JobRecord) -> datetime:
    return record.forgotten or datetime.min.replace(tzinfo=UTC)


def _declared(record: JobRecord, declared: dict[str, DesiredJob]) -> str | None:
    """Where the manifests declare the job now (None: not declared, or no manifests)."""
    job = declared.get(record.address)
    return str(job.source) if job is not None and not record.forgotten else None


def _refresh(
    records: list[JobRecord], provider: Provider, notes: list[str]
) -> dict[str, ServiceJob]:
    """What the service says now of each record's current job (the state is not written)."""
    found: dict[str, ServiceJob] = {}
    for record in records:
        if record.arn is None:
            continue
        try:
            found[record.address] = provider.describe_job(record.arn)
        except NotFound:
            notes.append(f"{record.address}: {record.job_name} is no longer in the service")
    return found


def _read_inputs(
    requests: tuple[RequestEvidence, ...], provider: Provider, runtime: Runtime, notes: list[str]
) -> dict[str, tuple[InputDigest, ...]]:
    """Digests, read now, of the inputs of attempts the state has none for."""
    wanted: dict[str, str] = {}
    for request in requests:
        for job in request.jobs:
            for attempt in job.attempts:
                if not attempt.inputs:
                    region = DatasetGroupRef.parse(job.dataset_group_arn).region
                    wanted.setdefault(attempt.input_location, region)
    read: dict[str, tuple[InputDigest, ...]] = {}
    reader = provider.input_reader() if wanted else None
    for location, region in sorted(wanted.items()):
        assert reader is not None
        try:
            read[location] = digest_inputs(location, region, reader, runtime.clock(), "report")
        except InputError as exc:
            notes.append(f"{location} was not digested: {exc}")
            continue
        if not read[location]:
            notes.append(f"{location} is no longer there: its digest is not known")
    return read


def _models(last: dict[str, datetime], provider: Provider) -> list[GroupModels]:
    """Per group with a completed deletion: the models trained before it."""
    found = []
    for group, when in sorted(last.items()):
        try:
            found.append(to_retrain(group, when, provider.solutions(group)))
        except ProviderError as exc:
            found.append(GroupModels(dataset_group_arn=group, last_deletion=when, note=str(exc)))
    return found
