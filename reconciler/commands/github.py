"""What `--format github` adds to a command's run in GitHub Actions: manifest problems as
annotations even when they stop the command, and the Markdown of the run appended to the job's
step summary (`$GITHUB_STEP_SUMMARY`) when there is one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.errors import ManifestError
from reconciler.escaping import printable
from reconciler.render.github import diagnostics_github
from reconciler.runtime import Runtime


@contextmanager
def annotated(runtime: Runtime, github: bool) -> Iterator[None]:
    """Invalid manifests, as annotations at their lines, before the usual error."""
    try:
        yield
    except ManifestError as exc:
        if github:
            runtime.out.write(diagnostics_github(exc.diagnostics))
        raise


def step_summary(runtime: Runtime, markdown: str) -> None:
    """Append `markdown` to the step summary file, where GitHub Actions names one."""
    path = runtime.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")
    except OSError as exc:  # the run's own result is what counts
        runtime.err.write(
            f"Note: could not append to the step summary {printable(path)} "
            f"(GITHUB_STEP_SUMMARY): {exc.strerror or exc}.\n"
        )
