"""`validate`: check manifests, and the files their settings name (the emulator's settings file
and what it names), collecting every problem as a diagnostic at its file:line:col."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.diagnostics import Diagnostic
from reconciler.manifest.loader import check_manifests
from reconciler.providers.registry import check_settings


@dataclass(frozen=True)
class Validated:
    diagnostics: tuple[Diagnostic, ...]
    counts: Mapping[str, int]  # files, documents, datasetGroups, jobs, selectors, selectedJobs


def validate(paths: Sequence[Path], environ: Mapping[str, str]) -> Validated:
    check = check_manifests(paths)
    diagnostics = list(check.diagnostics)
    if check.manifests is not None:
        diagnostics += check_settings(check.manifests.settings_with(environ))
    counts = {
        "files": check.counts.files,
        "documents": check.counts.documents,
        "datasetGroups": check.counts.dataset_groups,
        "jobs": check.counts.jobs,
        "selectors": check.counts.selectors,
        "selectedJobs": check.counts.selected_jobs,
    }
    return Validated(tuple(diagnostics), counts)
