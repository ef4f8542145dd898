"""The Amazon Personalize service model shipped with botocore, read rather than retyped.

botocore's model is the authority for member names, lengths and patterns. botocore itself does
not check maximum lengths or patterns on the client side, so the emulator checks every request
against the model here, as the service does. The model's patterns are AWS-style (ECMA-262, some
with `\\p{L}` classes) and unanchored.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

SERVICE_NAME = "personalize"


@functools.cache
def service_description() -> dict[str, Any]:
    """The raw `service-2` description of Personalize from botocore's data files: its newest API
    version, as botocore's loader picks it. The file is read directly: importing botocore's
    loader (and urllib3 behind it) costs a tenth of a second each time the emulator starts."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or spec.origin is None:
        raise RuntimeError("botocore is not installed: the emulator reads its service model")
    data = Path(spec.origin).parent / "data" / SERVICE_NAME
    newest = max(p for p in data.iterdir() if p.is_dir())
    packed = newest / "service-2.json.gz"
    raw = (
        gzip.decompress(packed.read_bytes())
        if packed.exists()
        else ((newest / "service-2.json").read_bytes())
    )
    model: dict[str, Any] = json.loads(raw)
    return model


def shape(name: str) -> dict[str, Any]:
    shapes: dict[str, Any] = service_description()["shapes"]
    return dict(shapes[name])
