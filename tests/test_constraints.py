"""The constraints copied into `reconciler.constraints` match botocore's model of Personalize."""

from __future__ import annotations

import pytest

from reconciler.constraints import LIST_MAXIMA, STRINGS, StringConstraint
from reconciler.emulator.model import member_shape


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
