"""The constraints copied into `reconciler.constraints` match botocore's model of Personalize."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader

from reconciler.constraints import LIST_MAXIMA, STRINGS, StringConstraint

SHAPES: dict[str, Any] = Loader().load_service_model("personalize", "service-2")["shapes"]


def member_shape(structure: str, member: str) -> tuple[str, dict[str, Any]]:
    name = SHAPES[structure]["members"][member]["shape"]
    return name, SHAPES[name]


@pytest.mark.parametrize(("structure", "member"), sorted(STRINGS))
def test_string_constraint_matches_the_model(structure: str, member: str) -> None:
    name, spec = member_shape(structure, member)
    expected = StringConstraint(
        shape=name,
        min_length=spec.get("min"),
        max_length=spec.get("max"),
        pattern=spec.get("pattern"),
    )
    assert STRINGS[(structure, member)] == expected, f"paste into STRINGS: {expected!r}"


@pytest.mark.parametrize(("structure", "member"), sorted(LIST_MAXIMA))
def test_list_maximum_matches_the_model(structure: str, member: str) -> None:
    _, spec = member_shape(structure, member)
    assert LIST_MAXIMA[(structure, member)] == spec["max"]
