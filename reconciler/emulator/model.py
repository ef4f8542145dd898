"""The Amazon Personalize service model shipped with botocore, read rather than retyped.

botocore's model is the authority for member names, lengths and patterns. botocore itself does
not check maximum lengths or patterns on the client side, so the emulator checks every request
against the model here, as the service does. The model's patterns are AWS-style (ECMA-262, some
with `\\p{L}` classes) and unanchored.
"""

from __future__ import annotations

import functools
from typing import Any

SERVICE_NAME = "personalize"


@functools.cache
def service_description() -> dict[str, Any]:
    """The raw `service-2` description of Personalize from botocore's data files."""
    from botocore.loaders import Loader

    model: dict[str, Any] = Loader().load_service_model(SERVICE_NAME, "service-2")
    return model


def shape(name: str) -> dict[str, Any]:
    shapes: dict[str, Any] = service_description()["shapes"]
    return dict(shapes[name])
