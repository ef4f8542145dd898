"""Whatever a user writes, the loader returns validated jobs or raises ManifestError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.errors import ManifestError
from reconciler.manifest.loader import ManifestSet, load_manifests

VALID: dict[str, Any] = {
    "apiVersion": "reconciler/v1",
    "kind": "DeletionJobs",
    "datasetGroupArn": "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu",
    "defaults": {"roleArn": "arn:aws:iam::123456789012:role/R", "tags": {"team": "privacy"}},
    "jobs": [
        {"jobName": "a", "dataSource": {"dataLocation": "s3://bucket/a.csv"}, "tags": {"t": "1"}},
        {"jobName": "b", "dataSource": {"dataLocation": "s3://bucket/p/"}},
    ],
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=80)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*path, i))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "rename"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(path[-1])
    return doc


def check(path: Path) -> None:
    try:
        result = load_manifests([path])
    except ManifestError as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            assert diagnostic.location.file == str(path)
            assert diagnostic.location.line >= 1
            assert diagnostic.location.column >= 1
            assert diagnostic.message
    else:
        assert isinstance(result, ManifestSet)


LINES = [
    "apiVersion: reconciler/v1",
    "kind: DeletionJobs",
    "kind: Settings",
    "---",
    "jobs:",
    "  - jobName: a",
    "    dataSource: {dataLocation: s3://bucket/k.csv}",
    "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
    "defaults: &d {roleArn: 'arn:aws:iam::123456789012:role/R'}",
    "  <<: *d",
    "  - *d",
    "x: !!binary aGk=",
    "y: [1, {z: ",
    "  tags: {a: 1}",
    "'': ''",
]


YAML_PIECES = ["- ", ": ", "  ", "\n  ", "---\n", "...\n", "%YAML 1.1\n", "&a ", "*a", "<<: "]

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(doc=mutated_documents())
def test_mutated_documents(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    check(path)


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    check(path)
    read_with_both(path)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(data)
    check(path)
    read_with_both(path)


@SETTINGS
@given(
    lines=st.lists(
        st.sampled_from(LINES),
        max_size=14,
    )
)
def test_shuffled_manifest_lines(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check(path)


def read_with_both(path: Path) -> None:
    """libyaml and the pure-Python composer read `path` the same: every document with every
    position, and every problem word for word."""
    import yaml as pyyaml

    from reconciler.manifest import yamlsource

    saved = yamlsource.FAST_LOADER
    try:
        yamlsource.FAST_LOADER = pyyaml.CSafeLoader
        fast = yamlsource.read_documents(path, "m.yaml")
        yamlsource.FAST_LOADER = None
        pure = yamlsource.read_documents(path, "m.yaml")
    finally:
        yamlsource.FAST_LOADER = saved
    assert [str(p) for p in fast.problems] == [str(p) for p in pure.problems]
    assert [(d.start, d.value, d.value_locations, d.key_locations) for d in fast.documents] == [
        (d.start, d.value, d.value_locations, d.key_locations) for d in pure.documents
    ]


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@SETTINGS
@given(doc=mutated_documents(), lines=st.lists(st.sampled_from(LINES), max_size=14))
def test_libyaml_and_pure_python_read_the_same(
    tmp_path: Path, doc: dict[str, Any], lines: list[str]
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    read_with_both(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read_with_both(path)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@SETTINGS
@given(
    pieces=st.lists(
        st.sampled_from([*" \n:-[]{},'\"&*#|>%@`?.=<~0a1b", *YAML_PIECES]),
        max_size=80,
    )
)
@example(pieces=["?", " ", "."])  # a null value at the end of a file without a final newline
def test_plain_text_that_libyaml_reads_is_read_the_same_by_both(
    tmp_path: Path, pieces: list[str]
) -> None:
    """Plain YAML-ish text (what libyaml is asked to read): both composers agree."""
    path = tmp_path / "m.yaml"
    path.write_text("".join(pieces), encoding="utf-8")
    read_with_both(path)
