"""`reconciler schema`: the JSON Schema validates the shipped manifests and rejects bad ones."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
import yaml

from reconciler.cli import main
from reconciler.runtime import Runtime
from tests.conftest import REPO, SHIPPED_MANIFESTS


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    out = io.StringIO()
    assert main(["schema"], Runtime(environ={}, out=out, err=io.StringIO())) == 0
    loaded: dict[str, object] = json.loads(out.getvalue())
    return loaded


def test_schema_has_no_emulator_knobs(schema: dict[str, object]) -> None:
    text = json.dumps(schema)
    for knob in ("faults", "pendingSeconds", "seedUsers", "s3Root", "datasetGroups"):
        assert f'"{knob}"' not in text


def test_committed_schema_file_is_current(schema: dict[str, object]) -> None:
    committed = json.loads((REPO / "schema" / "manifest-v1.json").read_text(encoding="utf-8"))
    assert committed == schema, "run: reconciler schema > schema/manifest-v1.json"


def test_schema_is_valid_draft_2020_12(schema: dict[str, object]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_validates_every_shipped_document(schema: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    documents = [
        doc
        for path in sorted(SHIPPED_MANIFESTS.rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc is not None
    ]
    assert len(documents) >= 2
    for doc in documents:
        assert list(validator.iter_errors(doc)) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"kind": "Unknown"}, "kind"),
        ({"datasetGroupArn": "not-an-arn"}, "datasetGroupArn"),
        ({"extra": 1}, "extra"),
        ({"jobs": [{"jobName": "x" * 64, "dataSource": {"dataLocation": "s3://b/k"}}]}, "jobName"),
        ({"jobs": [{"jobName": "a", "dataSource": {"dataLocation": "ftp://b/k"}}]}, "dataLocation"),
    ],
)
def test_schema_rejects_bad_documents(
    schema: dict[str, object], change: dict[str, object], path: str
) -> None:
    doc = {
        "apiVersion": "reconciler/v1",
        "kind": "DeletionJobs",
        "datasetGroupArn": "arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
        "jobs": [],
        **change,
    }
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors
    assert any(path in json.dumps(list(e.absolute_path)) + e.message for e in errors)
