"""dataLocation: the forms the service can read pass, and the JSON Schema says what Python says.

The messages for each refused form are pinned by the corpus (`data-location-*`); here, what
passes, and that an editor with the schema agrees with `validate` on every location.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from reconciler.manifest.documents import DataLocation, json_schema
from reconciler.manifest.loader import load_manifests
from reconciler.manifest.locations import location_problem
from tests.conftest import HEADER, ROLE

Write = Callable[[str, str | bytes], Path]
ADAPTER: TypeAdapter[str] = TypeAdapter(DataLocation)
SCHEMA: dict[str, Any] = json_schema()["$defs"]["DataSource"]["properties"]["dataLocation"]
EDITOR = jsonschema.Draft202012Validator(SCHEMA)

ACCEPTED = [
    "s3://acme-privacy/2026/w47.csv",
    "s3://acme-privacy/2026/W47.CSV",  # S3 keys are case-sensitive: written as stored
    "s3://acme-privacy/2026/w47.Csv",
    "s3://acme-privacy/closed/2026-11/",
    "s3://acme.privacy.eu/a.csv",
    "s3://a-b/a.csv",
    "s3://123/a.csv",
    "s3://acme-111122223333-us-west-2-an/a.csv",  # an account regional namespace bucket
    "s3://" + "a" * 63 + "/a.csv",
    "s3://acme-privacy/.csv",
    "s3://acme-privacy/a.csv/",
    "https://example.com/users",  # the service's own pattern decides other schemes
    "http://example.com/users.txt",
]
REFUSED = [
    "s3://b/x",
    "s3://bucket/file.txt",
    "s3://UPPER_bucket/a.csv",
    "s3://bucket/prefix",
    "s3://bucket",
    "s3://bucket/",
    "s3://ab/a.csv",
    "s3://" + "a" * 64 + "/a.csv",
    "s3://acme..privacy/a.csv",
    "s3://192.168.5.4/a.csv",
    "s3://-acme/a.csv",
    "s3://acme./a.csv",
    "s3://xn--acme/a.csv",
    "s3://sthree-configurator/a.csv",
    "s3://amzn-s3-demo-bucket/a.csv",
    "s3://acme-s3alias/a.csv",
    "s3://acme--ol-s3/a.csv",
    "s3://acme.mrap/a.csv",
    "s3://acme--x-s3/a.csv",
    "s3://acme--table-s3/a.csv",
    "s3://acme_privacy/a.csv",
    "ftp://acme/a.csv",
]


def _python_accepts(location: str) -> bool:
    try:
        ADAPTER.validate_python(location)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("location", ACCEPTED)
def test_readable_locations_pass_python_and_the_schema(location: str) -> None:
    assert location_problem(location) is None
    assert _python_accepts(location)
    assert EDITOR.is_valid(location)


@pytest.mark.parametrize("location", REFUSED)
def test_refused_locations_fail_python_and_the_schema(location: str) -> None:
    assert not _python_accepts(location)
    assert not EDITOR.is_valid(location)


def test_a_manifest_with_every_readable_form_loads(write: Write) -> None:
    jobs = "".join(
        f"  - jobName: j{i}\n    dataSource: {{dataLocation: '{location}'}}\n"
        for i, location in enumerate(ACCEPTED)
    )
    path = write("m.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + jobs)
    assert [j.spec.data_location for j in load_manifests([path]).jobs] == ACCEPTED


def test_the_suggestion_is_offered_only_when_it_is_valid() -> None:
    # lower case and '-' would still leave a name of two characters: no suggestion
    assert "did you mean" not in (location_problem("s3://A_/a.csv") or "")
    assert "'s3://acme-privacy/a.csv'" in (location_problem("s3://Acme_Privacy/a.csv") or "")
    # the bucket and the key are both fixed in the one suggestion
    assert (location_problem("s3://Acme/p") or "").endswith(
        "(did you mean 's3://acme/p/' or 's3://acme/p.csv'?)"
    )


buckets = st.builds(
    lambda prefix, middle, suffix: prefix + middle + suffix,
    st.sampled_from(["", "xn--", "sthree-", "amzn-s3-demo-", "192.168.5.", "-", "a"]),
    st.one_of(st.text(alphabet="abz09.-_A ", max_size=10), st.sampled_from(["a" * 61, "a" * 63])),
    st.sampled_from(["", "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", ".", "4", "z"]),
)
keys = st.one_of(
    st.sampled_from(["", "a", "a.csv", "a.CSV", "a.txt", "p/", "p/q", "p/a.cvs", ".csv", "/"]),
    st.text(alphabet="ac.sv/V\n", max_size=8),
)


@given(bucket=buckets, slash=st.sampled_from(["/", ""]), key=keys)
def test_the_schema_agrees_with_python(bucket: str, slash: str, key: str) -> None:
    location = f"s3://{bucket}{slash}{key}"
    assume(not location.endswith("\n"))  # Python's `$` (jsonschema's) also matches before it
    assert EDITOR.is_valid(location) == _python_accepts(location), location
