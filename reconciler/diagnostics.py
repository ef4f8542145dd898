"""Diagnostics: a problem found in a file, as a value that sorts and prints as `file:line:col: msg`.

Parts collect diagnostics rather than raising at the first problem, so a run reports everything
that is wrong at once. Lines and columns are 1-based, as editors show them. `Location` is the one
source-location type of the project: manifests, desired jobs and plans all use it; in JSON (a
saved plan) it is the string `file:line:col`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


def printable(name: str) -> str:
    """A file name as it can be shown: bytes that are not UTF-8 and control characters (an ANSI
    escape sequence, a newline) are written as escapes, so a name never garbles a terminal."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def parse(cls, text: str) -> Location:
        """The inverse of `str()`: `file:line:col` (a file name may itself hold colons)."""
        file, line, column = text.rsplit(":", 2)
        return cls(file, int(line), int(column))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        from_text = core_schema.no_info_after_validator_function(
            cls.parse, core_schema.str_schema()
        )
        return core_schema.union_schema(
            [core_schema.is_instance_schema(cls), from_text],
            serialization=core_schema.to_string_ser_schema(),
        )


@dataclass(frozen=True, order=True)
class Diagnostic:
    location: Location
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.location}: {prefix}{self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": str(self.severity),
            "message": self.message,
        }
