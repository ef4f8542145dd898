"""Loading a manifests tree into validated desired jobs, collecting every diagnostic on the way.

The files are found by `discovery` (in a stable order, so results and diagnostics are stable).
`check_manifests` returns every problem found in every file, including files that could not be
read, with the counts of what could be read (for `validate`); `load_manifests` returns a
`ManifestSet` or raises one `ManifestError` holding those problems.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Location
from reconciler.errors import ManifestError
from reconciler.manifest.checking import validate_document
from reconciler.manifest.discovery import discover
from reconciler.manifest.documents import (
    MAX_TAGS,
    DeletionJobsDocument,
    RequestDocument,
    SettingsDocument,
)
from reconciler.manifest.yamlsource import YamlDocument, read_documents
from reconciler.models import DesiredJob, RetryPolicy
from reconciler.planning.deadlines import RequestSpec
from reconciler.planning.fanout import JobsDocument, JobTemplate, Selector, selected
from reconciler.settings import Settings, with_environment

TAGS_PER_RESOURCE = 50  # the service's quota of tags on one resource (TagResource's too)


@dataclass(frozen=True)
class ManifestSet:
    """Everything a manifests tree declares."""

    jobs: tuple[DesiredJob, ...]  # those of documents without a selector
    documents: tuple[JobsDocument, ...]  # the DeletionJobs documents: where their jobs go
    settings: SettingsDocument | None
    settings_source: Location | None
    dataset_groups: tuple[str, ...]  # named by the documents (not those selectors select)
    files: int
    document_count: int
    digest: str  # of every file's relative path and bytes: tells a saved plan it is stale
    requests: tuple[RequestSpec, ...] = ()  # the `kind: Request` documents, by id

    @property
    def selectors(self) -> tuple[JobsDocument, ...]:
        """The documents whose groups are selected at plan time."""
        return tuple(document for document in self.documents if document.selector is not None)

    def declared_in(self, groups: Iterable[str]) -> tuple[DesiredJob, ...]:
        """The declared jobs, the selectors' in those of `groups` they match (the service is not
        listed: for what reads the state, such as `status`)."""
        chosen = sorted(set(groups))
        return self.jobs + tuple(
            job
            for document in self.selectors
            if document.selector is not None
            for job in document.expand(selected(document.selector, chosen))
        )

    def settings_with(self, environ: Mapping[str, str]) -> Settings:
        """The tree's Settings document (defaults without one) with the environment's
        overrides."""
        return with_environment(self.settings.settings() if self.settings else Settings(), environ)


@dataclass(frozen=True)
class ManifestCounts:
    """How much a run read: every file found and document parsed; the dataset groups of the
    documents that passed checking and their jobs that did (all of them when all is valid)."""

    files: int
    documents: int
    dataset_groups: int
    jobs: int
    selectors: int = 0  # documents whose groups are listed at plan time
    selected_jobs: int = 0  # their jobs: each goes to every group its selector matches


@dataclass(frozen=True)
class ManifestCheck:
    """A checked manifests tree: its counts, every problem, and the set when there are none;
    and its Settings document read on its own, whatever the rest of the tree holds."""

    counts: ManifestCounts
    diagnostics: tuple[Diagnostic, ...]  # sorted
    manifests: ManifestSet | None  # None when there is any problem
    settings: SettingsDocument | None = None  # the tree's one Settings document, if valid
    settings_source: Location | None = None
    settings_problems: tuple[Diagnostic, ...] = ()  # those of its Settings documents


def load_manifests(paths: Sequence[Path]) -> ManifestSet:
    """Read, validate and cross-check every manifest under `paths`."""
    check = check_manifests(paths)
    if check.manifests is None:
        raise ManifestError(check.diagnostics)
    return check.manifests


def check_manifests(paths: Sequence[Path]) -> ManifestCheck:
    """Read, validate and cross-check every manifest under `paths`, collecting every problem."""
    found = discover(paths)
    diagnostics: list[Diagnostic] = list(found.problems)
    groups: list[tuple[YamlDocument, DeletionJobsDocument]] = []
    settings: list[tuple[YamlDocument, SettingsDocument]] = []
    requests: list[tuple[YamlDocument, RequestDocument]] = []
    settings_problems: list[Diagnostic] = []
    count = 0
    digest = hashlib.sha256()
    for file in found.files:
        read = read_documents(file.path, file.shown)
        diagnostics.extend(read.problems)
        digest.update(file.key + f"\0{read.sha256}\0".encode())
        for doc in read.documents:
            count += 1
            model, problems = validate_document(doc)
            diagnostics.extend(problems)
            if isinstance(doc.value, dict) and doc.value.get("kind") == "Settings":
                settings_problems.extend(problems)
            if isinstance(model, DeletionJobsDocument):
                groups.append((doc, model))
            elif isinstance(model, SettingsDocument):
                settings.append((doc, model))
            elif isinstance(model, RequestDocument):
                requests.append((doc, model))
    documents = _documents(groups, diagnostics)
    jobs = [job for document in documents if document.selector is None for job in document.expand()]
    _check_unique(jobs, diagnostics)
    request_specs = _requests(requests, diagnostics)
    settings_checks: list[Diagnostic] = []
    _check_single_settings(settings, settings_checks)
    _check_settings_files(settings, settings_checks)
    diagnostics += settings_checks
    settings_problems += settings_checks
    dataset_groups = tuple(sorted({arn for document in documents for arn in document.groups}))
    selectors = [document for document in documents if document.selector is not None]
    counts = ManifestCounts(
        files=len(found.files),
        documents=count,
        dataset_groups=len(dataset_groups),
        jobs=len(jobs),
        selectors=len(selectors),
        selected_jobs=sum(len(document.jobs) for document in selectors),
    )
    setting = settings[0] if settings else None

    def checked(manifests: ManifestSet | None) -> ManifestCheck:
        return ManifestCheck(
            counts,
            tuple(sorted(diagnostics)),
            manifests,
            settings=setting[1] if setting else None,
            settings_source=setting[0].start if setting else None,
            settings_problems=tuple(sorted(settings_problems)),
        )

    if diagnostics:
        return checked(None)
    manifests = ManifestSet(
        jobs=tuple(jobs),
        documents=tuple(documents),
        settings=setting[1] if setting else None,
        settings_source=setting[0].start if setting else None,
        dataset_groups=dataset_groups,
        files=counts.files,
        document_count=counts.documents,
        digest=f"sha256:{digest.hexdigest()}",
        requests=request_specs,
    )
    return checked(manifests)


def _requests(
    requests: list[tuple[YamlDocument, RequestDocument]], diagnostics: list[Diagnostic]
) -> tuple[RequestSpec, ...]:
    """The declared requests, sorted by id; an id declared twice is a problem."""
    found: dict[str, tuple[Location, RequestSpec]] = {}
    for doc, model in requests:
        where = doc.locate(("id",))
        first = found.get(model.id)
        if first is not None:
            diagnostics.append(
                Diagnostic(
                    where,
                    f"request {model.id!r} is already declared at {first[0]}: declare each "
                    "request once",
                )
            )
            continue
        spec = RequestSpec(
            id=model.id,
            received=model.received_at,
            regime=model.regime,
            due_days=model.due_days,
            extended_until=model.extended_until,
            reason=model.reason,
            source=where,
        )
        found[model.id] = (where, spec)
    return tuple(spec for _, spec in sorted(found.values(), key=lambda item: item[1].id))


def _documents(
    groups: list[tuple[YamlDocument, DeletionJobsDocument]], diagnostics: list[Diagnostic]
) -> list[JobsDocument]:
    """Each document's jobs with its defaults applied, and where they go; what is required
    once the defaults are in is checked here."""
    documents: list[JobsDocument] = []
    for doc, model in groups:
        templates: list[JobTemplate] = []
        for i, entry in enumerate(model.jobs):
            where = doc.locate(("jobs", i))
            role = entry.role_arn or model.defaults.role_arn
            tags = {**model.defaults.tags, **entry.tags}
            if role is None:
                diagnostics.append(
                    Diagnostic(
                        where,
                        f"jobs[{i}]: job {entry.job_name!r} has no roleArn: set roleArn on the "
                        "job or defaults.roleArn on the document",
                    )
                )
                continue
            if len(tags) > TAGS_PER_RESOURCE:
                diagnostics.append(
                    Diagnostic(
                        where,
                        f"jobs[{i}]: job {entry.job_name!r} has {len(tags)} tags with the "
                        f"defaults merged in; a Personalize resource holds at most "
                        f"{TAGS_PER_RESOURCE} (a request may carry {MAX_TAGS}, the job may not)",
                    )
                )
                continue
            retry = RetryPolicy(
                on_failure=entry.on_failure or model.defaults.on_failure or "report",
                max_attempts=entry.max_attempts or model.defaults.max_attempts or 3,
            )
            templates.append(
                JobTemplate(
                    job_name=entry.job_name,
                    data_location=entry.data_source.data_location,
                    role_arn=role,
                    tags=tags,
                    retry=retry,
                    source=where,
                )
            )
        documents.append(_jobs_document(doc, model, tuple(templates)))
    return documents


def _jobs_document(
    doc: YamlDocument, model: DeletionJobsDocument, templates: tuple[JobTemplate, ...]
) -> JobsDocument:
    targets = model.targets
    if targets is None:
        assert model.dataset_group_arn is not None  # the model requires one or the other
        return JobsDocument(
            source=doc.locate(("datasetGroupArn",), key=True),
            groups=(model.dataset_group_arn,),
            jobs=templates,
        )
    if targets.select is not None:
        select = targets.select
        selector = Selector(
            account=select.account,
            regions=tuple(dict.fromkeys(select.regions)),
            name_pattern=select.name_pattern,
        )
        return JobsDocument(
            source=doc.locate(("targets", "select"), key=True),
            selector=selector,
            fanned_out=True,
            jobs=templates,
        )
    return JobsDocument(
        source=doc.locate(("targets", "datasetGroupArns"), key=True),
        groups=tuple(dict.fromkeys(targets.dataset_group_arns or ())),
        fanned_out=True,
        jobs=templates,
    )


def _check_unique(jobs: list[DesiredJob], diagnostics: list[Diagnostic]) -> None:
    diagnostics.extend(problem for _, problem in colliding(jobs))


def colliding(jobs: Sequence[DesiredJob]) -> list[tuple[DesiredJob, Diagnostic]]:
    """The jobs that take a name (unique per account and region, the service's scope) or an
    address an earlier job of `jobs` has, each with its diagnostic."""
    found: list[tuple[DesiredJob, Diagnostic]] = []
    by_name: dict[tuple[str, str, str, str], DesiredJob] = {}
    by_address: dict[str, DesiredJob] = {}
    for job in jobs:
        group = job.dataset_group
        key = (*group.scope, job.spec.job_name)
        first = by_name.get(key)
        if first is not None:
            text = (
                f"jobName {job.spec.job_name!r}{_derived(job)} is already declared at "
                f"{first.source} for {first.address}{_derived(first)}: job names are unique "
                f"per account and region ({group.account}, {group.region}), so rename one "
                "of them"
            )
            found.append((job, Diagnostic(job.source, text)))
            continue
        by_name[key] = job
        other = by_address.get(job.address)
        if other is not None:
            if other.spec.dataset_group_arn == job.spec.dataset_group_arn:
                why = (
                    "by another job of this dataset group with the jobName "
                    f"{job.address.split('/', 1)[1]!r} (a job of `targets` is addressed "
                    "GROUP/jobName, whatever its derived name): rename one of them"
                )
            else:
                why = (
                    "by a dataset group of the same name in another account or region: rename "
                    "one job"
                )
                if _derived(job) or _derived(other):
                    why += ", or keep one group of that name per document"
            text = f"address {job.address!r} is already used at {other.source} {why}"
            found.append((job, Diagnostic(job.source, text)))
            continue
        by_address[job.address] = job
    return found


def _derived(job: DesiredJob) -> str:
    """What to say of a name made of the jobName and the dataset group's name (`targets`)."""
    declared = job.address.split("/", 1)[1]
    if job.spec.job_name == declared:
        return ""
    return f" (derived from jobName {declared!r} and the dataset group's name)"


def _check_single_settings(
    settings: list[tuple[YamlDocument, SettingsDocument]], diagnostics: list[Diagnostic]
) -> None:
    if len(settings) > 1:
        first = settings[0][0].start
        for doc, _ in settings[1:]:
            diagnostics.append(
                Diagnostic(
                    doc.start,
                    f"a second Settings document (the first is at {first}): keep one "
                    "Settings document per manifests tree",
                )
            )


def _check_settings_files(
    settings: list[tuple[YamlDocument, SettingsDocument]], diagnostics: list[Diagnostic]
) -> None:
    """The files a Settings document names must be there (relative to where reconciler runs)."""
    for doc, model in settings:
        path = model.provider.emulator_config
        if model.provider.name == "local" and path is not None and not path.is_file():
            why = "is a directory" if path.is_dir() else "does not exist"
            diagnostics.append(
                Diagnostic(
                    doc.locate(("provider", "emulatorConfig")),
                    f"provider.emulatorConfig: {path} {why} (relative paths are relative to the "
                    "directory reconciler runs in)",
                )
            )
