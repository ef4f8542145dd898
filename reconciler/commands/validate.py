"""`reconciler validate`: check manifests and report every problem as file:line:col."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ManifestError
from reconciler.exitcodes import ExitCode
from reconciler.manifest.loader import load_manifests
from reconciler.render.diagnostics import diagnostics_text, validation_json
from reconciler.runtime import Runtime


@dataclass(frozen=True)
class ValidateOptions:
    paths: tuple[Path, ...]
    output_format: str = "text"  # or json


def validate(options: ValidateOptions, runtime: Runtime) -> int:
    try:
        manifests = load_manifests(options.paths)
    except ManifestError as exc:
        if options.output_format == "json":
            runtime.out.write(validation_json(exc.diagnostics))
        else:
            runtime.err.write(diagnostics_text(exc.diagnostics))
        return ExitCode.ERROR
    summary = {
        "files": manifests.files,
        "documents": manifests.documents,
        "datasetGroups": len(manifests.dataset_groups),
        "jobs": len(manifests.jobs),
    }
    if options.output_format == "json":
        runtime.out.write(validation_json([], summary))
    else:
        runtime.out.write(
            f"Success: {summary['files']} files, {summary['documents']} documents, "
            f"{summary['datasetGroups']} dataset groups, {summary['jobs']} jobs.\n"
        )
    return ExitCode.OK
