"""`reconciler validate`: check manifests and report every problem as file:line:col."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from reconciler.errors import ManifestError
from reconciler.manifest import load_manifests


def validate(*, paths: Sequence[Path], output_format: str, out: TextIO, err: TextIO) -> int:
    try:
        manifests = load_manifests(paths)
    except ManifestError as exc:
        if output_format == "json":
            report = {"valid": False, "diagnostics": [d.to_json() for d in exc.diagnostics]}
            out.write(json.dumps(report, indent=2) + "\n")
        else:
            for diagnostic in exc.diagnostics:
                err.write(f"{diagnostic}\n")
            count = len(exc.diagnostics)
            err.write(f"{count} problem{'s' if count != 1 else ''} found; nothing was changed.\n")
        return 1
    summary = {
        "files": manifests.files,
        "documents": manifests.documents,
        "datasetGroups": len(manifests.dataset_groups),
        "jobs": len(manifests.jobs),
    }
    if output_format == "json":
        out.write(json.dumps({"valid": True, "summary": summary, "diagnostics": []}, indent=2))
        out.write("\n")
    else:
        out.write(
            f"Success: {summary['files']} files, {summary['documents']} documents, "
            f"{summary['datasetGroups']} dataset groups, {summary['jobs']} jobs.\n"
        )
    return 0
