"""Problems found in files (manifests), for people and for machines: the one rendering that
`validate` and every other command's error handler use."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from reconciler.diagnostics import Diagnostic


def diagnostics_text(diagnostics: Sequence[Diagnostic]) -> str:
    """One `file:line:col: message` line each, then the count."""
    count = len(diagnostics)
    lines = [str(d) for d in diagnostics]
    lines.append(f"{count} problem{'s' if count != 1 else ''} found; nothing was changed.")
    return "\n".join(lines) + "\n"


def validation_json(
    diagnostics: Sequence[Diagnostic], summary: Mapping[str, int] | None = None
) -> str:
    """`{"valid": …, "summary": …, "diagnostics": [{file, line, column, severity, message}]}`
    (no summary when the manifests are invalid)."""
    report: dict[str, object] = {"valid": not diagnostics}
    if summary is not None:
        report["summary"] = dict(summary)
    report["diagnostics"] = [d.to_json() for d in diagnostics]
    return json.dumps(report, indent=2) + "\n"
