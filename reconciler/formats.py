"""`OutputFormat`: every format a command writes (`--format`). Which renderings each kind of
result offers is `reconciler.render.formats`; the command line offers each command those (a
test keeps the two equal)."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    GITHUB = "github"  # the text, GitHub Actions annotations, and the step summary
    CSV = "csv"
