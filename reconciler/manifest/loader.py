"""Loading a manifests tree into validated desired jobs, collecting every diagnostic on the way.

The files are found by `discovery` (in a stable order, so results and diagnostics are stable).
`check_manifests` returns every problem found in every file, including files that could not be
read, with the counts of what could be read (for `validate`); `load_manifests` returns a
`ManifestSet` or raises one `ManifestError` holding those problems.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Location
from reconciler.errors import ManifestError
from reconciler.manifest.checking import validate_document
from reconciler.manifest.discovery import discover
from reconciler.manifest.documents import (
    MAX_TAGS,
    DeletionJobsDocument,
    SettingsDocument,
)
from reconciler.manifest.yamlsource import YamlDocument, read_documents
from reconciler.models import DatasetGroupRef, DesiredJob, JobSpec, RetryPolicy
from reconciler.settings import Settings, with_environment

TAGS_PER_RESOURCE = 50  # the service's quota of tags on one resource (TagResource's too)


@dataclass(frozen=True)
class ManifestSet:
    """Everything a manifests tree declares."""

    jobs: tuple[DesiredJob, ...]
    settings: SettingsDocument | None
    settings_source: Location | None
    dataset_groups: tuple[str, ...]
    files: int
    documents: int
    digest: str  # of every file's relative path and bytes: tells a saved plan it is stale

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


@dataclass(frozen=True)
class ManifestCheck:
    """A checked manifests tree: its counts, every problem, and the set when there are none."""

    counts: ManifestCounts
    diagnostics: tuple[Diagnostic, ...]  # sorted
    manifests: ManifestSet | None  # None when there is any problem


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
            if isinstance(model, DeletionJobsDocument):
                groups.append((doc, model))
            elif isinstance(model, SettingsDocument):
                settings.append((doc, model))
    jobs = _expand(groups, diagnostics)
    _check_unique(jobs, diagnostics)
    _check_single_settings(settings, diagnostics)
    _check_settings_files(settings, diagnostics)
    dataset_groups = tuple(sorted({model.dataset_group_arn for _, model in groups}))
    counts = ManifestCounts(
        files=len(found.files), documents=count, dataset_groups=len(dataset_groups), jobs=len(jobs)
    )
    if diagnostics:
        return ManifestCheck(counts, tuple(sorted(diagnostics)), None)
    setting = settings[0] if settings else None
    manifests = ManifestSet(
        jobs=tuple(jobs),
        settings=setting[1] if setting else None,
        settings_source=setting[0].start if setting else None,
        dataset_groups=dataset_groups,
        files=counts.files,
        documents=counts.documents,
        digest=f"sha256:{digest.hexdigest()}",
    )
    return ManifestCheck(counts, tuple(sorted(diagnostics)), manifests)


def _expand(
    groups: list[tuple[YamlDocument, DeletionJobsDocument]], diagnostics: list[Diagnostic]
) -> list[DesiredJob]:
    """Apply each document's defaults to its jobs and check what is required afterwards."""
    jobs: list[DesiredJob] = []
    for doc, model in groups:
        group = DatasetGroupRef.parse(model.dataset_group_arn)
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
            spec = JobSpec(
                dataset_group_arn=model.dataset_group_arn,
                job_name=entry.job_name,
                data_location=entry.data_source.data_location,
                role_arn=role,
                tags=tags,
            )
            address = f"{group.name}/{entry.job_name}"
            retry = RetryPolicy(
                on_failure=entry.on_failure or model.defaults.on_failure or "report",
                max_attempts=entry.max_attempts or model.defaults.max_attempts or 3,
            )
            jobs.append(DesiredJob(address=address, spec=spec, source=where, retry=retry))
    return jobs


def _check_unique(jobs: list[DesiredJob], diagnostics: list[Diagnostic]) -> None:
    """Job names are unique per account and region (the service's scope); addresses too."""
    by_name: dict[tuple[str, str, str, str], DesiredJob] = {}
    by_address: dict[str, DesiredJob] = {}
    for job in jobs:
        group = job.dataset_group
        key = (*group.scope, job.spec.job_name)
        first = by_name.get(key)
        if first is not None:
            diagnostics.append(
                Diagnostic(
                    job.source,
                    f"jobName {job.spec.job_name!r} is already declared at {first.source}: job "
                    f"names are unique per account and region ({group.account}, "
                    f"{group.region}), so rename one of them",
                )
            )
            continue
        by_name[key] = job
        other = by_address.get(job.address)
        if other is not None:
            diagnostics.append(
                Diagnostic(
                    job.source,
                    f"address {job.address!r} is already used at {other.source} by a dataset "
                    "group of the same name in another account or region: rename one job",
                )
            )
            continue
        by_address[job.address] = job


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
