"""`reconciler schema`: print the JSON Schema of a manifest document."""

from __future__ import annotations

from typing import TextIO

from reconciler.manifest.documents import json_schema_text


def schema(*, out: TextIO) -> int:
    out.write(json_schema_text())
    return 0
