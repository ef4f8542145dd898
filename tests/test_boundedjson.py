"""The bounded JSON reader: nesting is measured without recursing, strings do not count, and
every reader of outside JSON refuses a document nested too deeply instead of crashing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.boundedjson import MAX_DEPTH, TooDeep, check_depth, loads
from reconciler.planfile import PlanFileError, load_plan


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


tricky_text = st.text(alphabet='[]{}"\\ab\n\x00\u202e', max_size=8)
values = st.recursive(
    st.none() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=30,
)


@given(values)
def test_the_depth_is_the_nesting_of_the_value_whatever_its_strings_hold(value: Any) -> None:
    text = json.dumps(value)
    check_depth(text, limit=depth(value))
    assert loads(text, limit=depth(value)) == value
    if depth(value):
        with pytest.raises(TooDeep):
            check_depth(text, limit=depth(value) - 1)


def test_r2_12_a_document_nested_too_deeply_is_a_value_error_not_a_recursion_error() -> None:
    with pytest.raises(ValueError, match=f"JSON nested deeper than {MAX_DEPTH} levels"):
        loads("[" * 100_000 + "]" * 100_000)
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    started = time.monotonic()  # an unterminated string full of escapes is read once, not again
    check_depth(b'["' + b'\\"[' * 300_000)  # and again from each of its quotes
    assert time.monotonic() - started < 5


def test_r2_12_a_saved_plan_nested_too_deeply_is_refused_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format": "reconciler-plan", "plan": ' + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(PlanFileError, match=r"not a readable plan file \(JSON nested deeper"):
        load_plan(path)
