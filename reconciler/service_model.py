"""The Amazon Personalize service model shipped with botocore, read rather than retyped.

botocore's model is the authority for member names, lengths and patterns. botocore itself does
not check maximum lengths or patterns on the client side, so the manifest validator and the
emulator read them from here. The model's patterns are AWS-style (ECMA-262, some with `\\p{L}`
classes) and unanchored; callers decide whether a value must match whole.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from botocore.loaders import Loader

SERVICE_NAME = "personalize"


@dataclass(frozen=True)
class StringConstraint:
    shape: str
    min_length: int | None
    max_length: int | None
    pattern: str | None


@functools.cache
def service_description() -> dict[str, Any]:
    """The raw `service-2` description of Personalize from botocore's data files."""
    model: dict[str, Any] = Loader().load_service_model(SERVICE_NAME, "service-2")
    return model


def shape(name: str) -> dict[str, Any]:
    shapes: dict[str, Any] = service_description()["shapes"]
    return dict(shapes[name])


def member_shape_name(structure: str, member: str) -> str:
    return str(shape(structure)["members"][member]["shape"])


def string_constraint(structure: str, member: str) -> StringConstraint:
    """Length and pattern limits of a string member, e.g. (`DataSource`, `dataLocation`)."""
    name = member_shape_name(structure, member)
    spec = shape(name)
    if spec["type"] != "string":
        raise ValueError(f"{structure}.{member} is a {spec['type']}, not a string")
    return StringConstraint(
        shape=name,
        min_length=spec.get("min"),
        max_length=spec.get("max"),
        pattern=spec.get("pattern"),
    )


def list_max(structure: str, member: str) -> int:
    """The maximum number of items of a list member, e.g. the tags of a create request."""
    return int(shape(member_shape_name(structure, member))["max"])
