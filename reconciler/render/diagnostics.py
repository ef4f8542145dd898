"""Problems found in files (manifests), for people and for machines: the one rendering that
`validate` and every other command's error handler use; and `plural`, the one way any renderer
writes a count ("1 job", "2 jobs").

`validation_json` is what `validate --format json` prints, valid or not:

    {"valid": false,
     "summary": {"files": 2, "documents": 2, "datasetGroups": 1, "jobs": 3,
                 "errors": 1, "warnings": 0},
     "diagnostics": [{"file": "a.yaml", "line": 8, "column": 32, "severity": "error",
                      "message": "..."}]}

The summary's counts are of what could be read (see `reconciler.manifest.loader.ManifestCounts`):
every file and document, and the dataset groups and jobs that passed checking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.diagnostics import Diagnostic, Severity
from reconciler.escaping import printable
from reconciler.render.escape import json_text


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 job`, `2 jobs`, `0 jobs`: a count and its noun; `many` for a noun whose plural is not
    the noun and an s (`plural(n, "entry", "entries")`)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def diagnostics_text(diagnostics: Sequence[Diagnostic]) -> str:
    """One `file:line:col: message` line each (`printable`: a file name or a value quoted in a
    message never breaks the line), then the count."""
    lines = [printable(str(d)) for d in diagnostics]
    lines.append(f"{plural(len(diagnostics), 'problem')} found; nothing was changed.")
    return "\n".join(lines) + "\n"


def validation_text(counts: Mapping[str, int]) -> str:
    """`Success: 1 file, 2 documents, 1 dataset group, 3 jobs.` for valid manifests."""
    read = [
        plural(counts["files"], "file"),
        plural(counts["documents"], "document"),
        plural(counts["datasetGroups"], "dataset group"),
        plural(counts["jobs"], "job"),
    ]
    selected = ""
    if counts.get("selectors"):
        selected = (
            f"; {plural(counts['selectors'], 'selector')} with "
            f"{plural(counts['selectedJobs'], 'job')} for each group matched at plan time"
        )
    return f"Success: {', '.join(read)}{selected}.\n"


def validation_json(diagnostics: Sequence[Diagnostic], counts: Mapping[str, int]) -> str:
    """The report of `validate --format json` (see the module's docstring): `counts` are
    `files`, `documents`, `datasetGroups`, `jobs`, `selectors` and `selectedJobs` (the jobs of
    documents whose groups a selector lists at plan time); the summary adds `errors` and
    `warnings`."""
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    report = {
        "valid": not diagnostics,
        "summary": {**counts, "errors": errors, "warnings": warnings},
        "diagnostics": [d.to_json() for d in diagnostics],
    }
    return json_text(report)
