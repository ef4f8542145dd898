"""The report use case: the erasure evidence an auditor or a data-protection officer asks for,
from the state (and, with `refresh`, the service), without any user ID, as an `evidence.Report`.

Per request (a job's `request` tag, or its jobName): every job that carries it, each attempt
with what the state recorded at its create (its input's identity, rows and keyed digest, its
provenance) or that it was recovered, what the service said (status, times, numDeleted, failure
reason), the manifest line and the git commit that last changed it; per dataset group, the
custom solutions whose latest ACTIVE version predates the group's last completed deletion; and
the lineage note when some evidence comes from the service only. No input is read here: an
attempt whose input was not recorded at the time says so. It writes nothing to the state, and
nothing to any file: the caller renders the report and writes it where it wants
(`output`, when given, is checked here, before anything is read, against the state's files the
result names). A broken manifest elsewhere in the tree is a warning: the report is made from
the settings and the state alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.blame import Blame
from reconciler.errors import UsageError
from reconciler.evidence import (
    GroupModels,
    JobEvidence,
    Report,
    RequestEvidence,
    by_request,
    deadline_of,
    deletions,
    job_evidence,
    last_deletions,
    lineage_note,
    request_of,
    to_retrain,
    unapplied_evidence,
)
from reconciler.files import check_output
from reconciler.lifecycle import lifecycle
from reconciler.models import CampaignModel, DatasetImport, DesiredJob, ServiceJob
from reconciler.providers.interface import NotFound, Provider, ProviderError
from reconciler.runtime import Runtime
from reconciler.state.document import JobRecord, StateDocument
from reconciler.state.interface import StateBackend
from reconciler.usecases.events import Emit, ignore
from reconciler.usecases.opening import recovery_read, stored
from reconciler.workspace import Tree, TreeRead, Workspace, checked_target


@dataclass(frozen=True)
class ReportInputs:
    manifests_dir: Path
    request: str | None = None  # only this request's jobs
    since: datetime | None = None  # only jobs created since (or not created yet)
    refresh: bool = False  # ask the service for each job's status now
    output: Path | None = None  # where the caller writes the report: refused here if it may not
    checkout: Path | None = None  # the git checkout that names commits (None: the working dir)


@dataclass(frozen=True)
class Reported:
    """The report, and the state's files (with their backup, lock, lineage…) that a file the
    report is written to must never replace."""

    report: Report
    protected: tuple[Path, ...]

    @property
    def jobs(self) -> int:
        return sum(len(request.jobs) for request in self.report.requests)


def make_report(inputs: ReportInputs, runtime: Runtime, emit: Emit = ignore) -> Reported:
    """The evidence of every request in scope (UsageError for a request no job carries)."""
    tree, protected = _tree(inputs, runtime.environ, emit)
    backend = runtime.make_backend(tree.settings.state)
    document = stored(backend, emit)
    known = _known(tree, backend, document, runtime)
    provider = known.provider
    target = checked_target(provider, known.groups) if provider else None
    scope = _Scope(inputs.request, known.records, known.declared, Blame(inputs.checkout))
    notes = scope.blame_notes()
    if tree.problems:  # said in the report itself, in every format: its verdicts lack jobs
        notes.insert(
            0,
            f"the manifests have {len(tree.problems)} problem"
            f"{'s' if len(tree.problems) > 1 else ''} (`reconciler validate` lists them): only "
            "what the state records is reported, so a request with a job declared and not "
            "created yet may read completed; fix the manifests and report again",
        )
    refreshed: dict[str, ServiceJob] = {}
    if inputs.refresh and provider is not None:
        refreshed = _refresh(scope.records(), provider, notes)
    jobs = scope.evidence(refreshed)
    if inputs.request is not None and not by_request(jobs, request=inputs.request):
        raise _unknown_request(inputs.request, known.records)
    requests = by_request(jobs, request=inputs.request, since=inputs.since)
    if provider is not None:
        requests = _with_lifecycle(requests, provider)
    if tree.manifests is not None and tree.manifests.requests:
        deadlines = tree.settings.deadlines
        specs = {spec.id: spec for spec in tree.manifests.requests}
        today = runtime.clock().date()
        retrained = deadlines.done_at == "modelsRetrained"
        requests = tuple(
            r.model_copy(
                update={
                    "deadline": deadline_of(
                        r, specs[r.request], today, deadlines.warn_days, retrained
                    )
                }
            )
            if r.request in specs
            else r
            for r in requests
        )
    models = _models(last_deletions(requests), provider) if provider else []
    started = document.started if document is not None else None
    lineage = lineage_note(requests, started)
    if lineage is not None:
        notes.append(lineage)
    report = Report(
        generated=runtime.clock(),
        target=target.line() if target else "Target: none (nothing is recorded or declared)",
        state_location=backend.describe(),
        request=inputs.request,
        since=inputs.since,
        refreshed=inputs.refresh,
        requests=requests,
        models=tuple(models),
        notes=tuple(notes),
        state_started=started,
    )
    return Reported(report, protected)


def _tree(
    inputs: ReportInputs, environ: Mapping[str, str], emit: Emit
) -> tuple[TreeRead, tuple[Path, ...]]:
    """The tree (a broken one said as a warning: the settings alone are read) and the state's
    files; `output` refused if it would replace one of them, before the state is read."""
    tree = recovery_read(inputs.manifests_dir, environ, emit)
    protected = tree.settings.state.protected_files()  # and their backup, lock…
    if inputs.output is not None:
        check_output(inputs.output, "--output", protected, example="report.md")
    return tree, protected


@dataclass(frozen=True)
class _Known:
    """The jobs a report speaks of: the distinct recorded ones and the declared ones (every job
    of a valid tree, a selector's in the groups it matches now), their groups, and the service
    (None: nothing to ask it)."""

    records: list[JobRecord]
    declared: dict[str, DesiredJob]
    groups: set[str]
    provider: Provider | None


def _known(
    tree: TreeRead, backend: StateBackend, document: StateDocument | None, runtime: Runtime
) -> _Known:
    records = _distinct(list(document.jobs.values()), list(document.forgotten)) if document else []
    declared: dict[str, DesiredJob] = {}
    provider: Provider | None = None
    manifests = tree.manifests
    if manifests is not None:
        workspace = Workspace(Tree(manifests, tree.settings, backend, runtime), document)
        declared = {job.address: job for job in workspace.jobs}
        provider = workspace.provider if manifests.jobs or manifests.selectors else None
    groups = {record.spec.dataset_group_arn for record in records}
    groups |= {job.spec.dataset_group_arn for job in declared.values()}
    if provider is None and groups:
        provider = runtime.make_provider(tree.settings)
    return _Known(records, declared, groups, provider)


class _Scope:
    """The evidence of the jobs a report covers (all, or one request's), each with the commit
    of its manifest line as it is now."""

    def __init__(
        self,
        request: str | None,
        records: list[JobRecord],
        declared: dict[str, DesiredJob],
        blame: Blame,
    ) -> None:
        self.request = request
        self.all_records = records
        self.declared = declared
        self.blame = blame

    def blame_notes(self) -> list[str]:
        if not self.blame.available:
            return ["not in a git checkout: no commit is named for the jobs' manifest lines"]
        if self.blame.shallow:
            return [
                "a shallow clone: its history is cut, so no commit is named for the jobs' "
                "manifest lines (fetch the whole history, e.g. actions/checkout with "
                "fetch-depth: 0)"
            ]
        return []

    def records(self) -> list[JobRecord]:
        """The records of the request (all without one)."""
        return [
            record
            for record in self.all_records
            if self.request is None or request_of(record.address, record.spec.tags) == self.request
        ]

    def evidence(self, refreshed: dict[str, ServiceJob]) -> list[JobEvidence]:
        """The recorded jobs' evidence, then the declared jobs' not applied yet."""
        jobs = [
            job_evidence(
                record,
                declared=self._declared(record),
                commit=self.blame.commit(self._declared(record)),
                refreshed=refreshed.get(record.address),
            )
            for record in self.records()
        ]
        applied = {record.address for record in self.all_records if not record.forgotten}
        return jobs + [
            unapplied_evidence(job, self.blame.commit(str(job.source)))
            for address, job in sorted(self.declared.items())
            if address not in applied
            and (self.request is None or request_of(address, job.spec.tags) == self.request)
        ]

    def _declared(self, record: JobRecord) -> str | None:
        """Where the manifests declare the job now (None: not declared, or no manifests)."""
        job = self.declared.get(record.address)
        return str(job.source) if job is not None and not record.forgotten else None


def _unknown_request(request: str, records: list[JobRecord]) -> UsageError:
    known = sorted({request_of(r.address, r.spec.tags) for r in records})
    shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
    return UsageError(
        f"no job carries the request {request!r} (a job's request is its "
        f"`request` tag, or its jobName){f'; the state has: {shown}' if known else ''}"
    )


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


def _with_lifecycle(
    requests: Sequence[RequestEvidence], provider: Provider
) -> tuple[RequestEvidence, ...]:
    """Each request with what became of its erasure in each group it touched: the campaigns
    (retrained since its deletion or not) and the imports that may have brought its users back,
    each group's read once (a group whose are refused is said, not fatal)."""
    read: dict[str, tuple[list[CampaignModel] | None, list[DatasetImport] | None, str | None]] = {}
    found = [(request, deletions(request)) for request in requests]
    for _, deleted in found:
        for deletion in deleted:
            group = deletion.dataset_group_arn
            if group in read or deletion.created is None:
                continue
            try:
                read[group] = (provider.campaigns(group), provider.imports(group), None)
            except ProviderError as exc:
                read[group] = (None, None, f"campaigns and imports not examined: {exc}")
    return tuple(
        request.model_copy(
            update={
                "lifecycle": tuple(
                    lifecycle(d, *read[d.dataset_group_arn])
                    for d in deleted
                    if d.dataset_group_arn in read
                )
            }
        )
        for request, deleted in found
    )


def _models(last: dict[str, datetime], provider: Provider) -> list[GroupModels]:
    """Per group with a completed deletion: the models trained before it."""
    found = []
    for group, when in sorted(last.items()):
        try:
            found.append(to_retrain(group, when, provider.solutions(group)))
        except ProviderError as exc:
            found.append(GroupModels(dataset_group_arn=group, last_deletion=when, note=str(exc)))
    return found
