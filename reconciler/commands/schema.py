"""`reconciler schema`: print the JSON Schema of a manifest document."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.exitcodes import ExitCode
from reconciler.manifest.documents import json_schema_text
from reconciler.runtime import Runtime


@dataclass(frozen=True)
class SchemaOptions:
    pass


def schema(options: SchemaOptions, runtime: Runtime) -> int:
    runtime.out.write(json_schema_text())
    return ExitCode.OK
