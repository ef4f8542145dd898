"""Preflight: a job whose input the service would FAIL it for is refused at `plan`, at its
manifest line, and never created; the other jobs still apply. Creates in a dataset group that
imports or trains are held until it is quiet. Against the emulator in-process, and through boto3
with the inputs on moto's S3 server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator.service import EmulatorService
from reconciler.providers.aws import AwsProvider
from reconciler.providers.local import LocalProvider, emulator_config
from reconciler.settings import ProviderSettings, Settings
from reconciler.workspace import load_settings
from tests.commands.conftest import GROUP_EU, Project
from tests.providers.conftest import serve
from tests.s3server import s3_client

USERS = ("eu-secret-1", "eu-secret-2")  # personal data: never in any output
GOOD = "USER_ID\n" + "\n".join(USERS) + "\n"
HEADER = "apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {group}\n"
DEFAULTS = "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
CASES = {  # job name -> (its input's key, or a prefix, and what the key holds)
    "missing": ("bad/missing.csv", None),
    "empty-prefix": ("bad/empty/", None),
    "oversize": ("bad/big.csv", "USER_ID\n" + "eu-x\n" * 120),
    "wrong-header": ("bad/headerless.csv", "\n".join(USERS) + "\n"),
    "header-only": ("ok/header-only.csv", "USER_ID\n"),
    "mixed": ("bad/mixed/", None),
    "empty-file": ("bad/zero.csv", ""),  # S3 refuses a ranged GET of it: not read
}


def manifest(group: str = GROUP_EU) -> str:
    jobs = "".join(
        f"  - jobName: {name}\n    dataSource: {{dataLocation: s3://acme-privacy/{key}}}\n"
        for name, (key, _) in CASES.items()
    )
    return HEADER.format(group=group) + DEFAULTS + jobs


def inputs() -> dict[str, str | bytes]:
    """Every object of the case's bucket: key -> contents."""
    objects: dict[str, str | bytes] = {
        key: text for key, text in CASES.values() if text is not None
    }
    objects["bad/mixed/a.csv"] = GOOD
    objects["bad/mixed/deeper/b.csv"] = "\n".join(USERS) + "\n"  # no header, among good ones
    objects.update({f"rows/{name}.csv": text for name, (text, _) in ROWS.items()})
    return objects


def body(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


ROWS = {  # job name -> (its input, what preflight says of it, or None: it passes)
    "two-columns": (
        GOOD + f"{USERS[0]},{USERS[1]}\n",
        "row 4 is not a USER_ID row: it has more than one column",
    ),
    "unclosed-quote": (
        f'USER_ID\n"{USERS[0]}\n{USERS[1]}\n',
        "row 2 is not a USER_ID row: a quote in it is not closed",
    ),
    "nul": (f"USER_ID\n{USERS[0]}\x00\n", "row 2 is not a USER_ID row: it holds a NUL byte"),
    "not-utf8": (
        GOOD.encode() + b"\xff" + USERS[0].encode() + b"\n",
        "row 4 is not a USER_ID row: it is not UTF-8 text",
    ),
    "bare-cr": (
        f"USER_ID\n{USERS[0]}\r{USERS[1]}\n",
        "row 2 is not a USER_ID row: it holds a carriage return that does not end it",
    ),
    "far-down": (  # every row is read, not only the first bytes
        "USER_ID\n" + "u\n" * 20_000 + f"u,{USERS[0]}\n",
        "row 20002 is not a USER_ID row: it has more than one column",
    ),
    "row-7": (
        "USER_ID\n" + "u\n" * 5 + f"{USERS[0]},{USERS[1]}\n" + "u\n",
        "row 7 is not a USER_ID row: it has more than one column",
    ),
    "value-257": (
        "USER_ID\nu\n" + "x" * 257 + "\n",
        "row 3 is not a USER_ID row: its USER_ID is longer than 256 characters",
    ),
    "value-256": ("USER_ID\nu\n" + "x" * 256 + "\n", None),
    "blank-rows-and-crlf": (f'USER_ID\r\n\r\n"{USERS[0]}"\r\n  \r\n{USERS[1]}\r\n', None),
}


EXPECTED = {  # what preflight says, at which line of the manifest
    "missing": ("6:5", "s3://acme-privacy/bad/missing.csv does not exist (HeadObject)"),
    "empty-prefix": (
        "8:5",
        "s3://acme-privacy/bad/empty/: no .csv object under the prefix (ListObjectsV2)",
    ),
    "oversize": (
        "10:5",
        "s3://acme-privacy/bad/big.csv holds 608 bytes, over preflight.maxInputBytes (500): split "
        "it into jobs of at most 500 bytes",
    ),
    "wrong-header": (
        "12:5",
        "s3://acme-privacy/bad/headerless.csv: the first line is not the header USER_ID",
    ),
    "mixed": (
        "16:5",
        "s3://acme-privacy/bad/mixed/deeper/b.csv: the first line is not the header USER_ID",
    ),
    "empty-file": ("18:5", "s3://acme-privacy/bad/zero.csv: the file is empty: no header USER_ID"),
}


def check_refusals(project: Project) -> None:
    project.write_manifest("preflight.yaml", manifest())
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("preflight: {maxInputBytes: 500}\n")
    assert project.run("plan", "--detailed-exitcode") == 1  # refused jobs are errors
    out = project.out.getvalue()
    for name, (line, said) in EXPECTED.items():
        assert (
            f"Error: Preflight: shop-eu/{name} is not created: see its input's problem\n"
            f"  on manifests/preflight.yaml:{line} (shop-eu/{name})\n  {said}\n"
        ) in out, name
    assert (
        "Warning: Preflight: shop-eu/header-only\n  on manifests/preflight.yaml:14:5 "
        "(shop-eu/header-only)\n  s3://acme-privacy/ok/header-only.csv: has no data rows"
    ) in out
    assert "will be created" in out and "shop-eu/header-only will be created" in out
    assert "Refused by preflight: 6 jobs (not created)." in out
    for user in USERS:
        assert user not in out + project.err.getvalue()
    assert project.apply() == 1  # the rest applies; the refused are an error all the same
    assert "Apply incomplete: 6 created, 0 imported, 0 forgotten; 6 jobs refused" in (
        project.out.getvalue()
    )
    assert set(project.state().jobs) >= {"shop-eu/header-only", "shop-eu/gdpr-2026-w46"}
    assert "shop-eu/missing" not in project.state().jobs  # nothing created for it
    for user in USERS:
        assert user not in project.out.getvalue() + project.err.getvalue()


def test_preflight_refuses_what_the_service_would_fail_on_the_emulator(project: Project) -> None:
    for key, text in inputs().items():
        path = project.root / "example-data" / "s3" / "acme-privacy" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body(text))
    (project.root / "example-data" / "s3" / "acme-privacy" / "bad" / "empty").mkdir()
    check_refusals(project)
    assert "shop-eu/missing" not in project.live_names()
    assert len(project.live_names()) == 6


@pytest.fixture
def through_boto3(project: Project, s3_endpoint: str, s3_credentials: None) -> Iterator[Project]:
    """The aws provider against the emulator over HTTP, the inputs on moto's S3 server."""
    client = s3_client(s3_endpoint)
    client.create_bucket(
        Bucket="acme-privacy", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client.put_bucket_versioning(
        Bucket="acme-privacy", VersioningConfiguration={"Status": "Enabled"}
    )
    for key, text in inputs().items():
        client.put_object(Bucket="acme-privacy", Key=key, Body=body(text))
    for path in (project.root / "example-data" / "s3" / "acme-privacy").rglob("*.csv"):
        key = path.relative_to(project.root / "example-data" / "s3" / "acme-privacy").as_posix()
        client.put_object(Bucket="acme-privacy", Key=key, Body=path.read_bytes())
    stops: list[Iterator[str]] = []
    endpoints: list[str] = []  # one emulator for every run: a saved plan names its endpoint

    def over_http(settings: Settings) -> AwsProvider:
        if not endpoints:
            config = emulator_config(settings.provider.emulator_config)
            stops.append(serve(EmulatorService(config, clock=project.clock)))
            endpoints.append(next(stops[-1]))
        return AwsProvider(
            ProviderSettings(name="aws", endpoint_url=endpoints[0], max_attempts=1),
            inputs_endpoint_url=s3_endpoint,
        )

    project.provider = over_http  # type: ignore[method-assign]
    project.s3_endpoint = s3_endpoint  # type: ignore[attr-defined]
    yield project
    for stop in stops:
        next(stop, None)
    for page in client.get_paginator("list_object_versions").paginate(Bucket="acme-privacy"):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(
                Bucket="acme-privacy", Key=item["Key"], VersionId=item["VersionId"]
            )
    client.delete_bucket(Bucket="acme-privacy")  # the next test makes its own


def test_preflight_refuses_the_same_through_boto3_and_s3(through_boto3: Project) -> None:
    check_refusals(through_boto3)


def test_skip_preflight_is_said_and_creates_everything(project: Project) -> None:
    project.write_manifest("preflight.yaml", manifest())
    assert project.run("plan", "--skip-preflight", "--detailed-exitcode") == 2
    assert "Preflight skipped (--skip-preflight): the inputs were not read." in (
        project.out.getvalue()
    )
    assert project.apply("--skip-preflight") == 0
    assert "shop-eu/missing" in project.state().jobs  # created: the service will FAIL it


def importing(project: Project) -> None:
    """A dataset import job under way in shop-eu, made through the emulator's API."""
    emulator = project.provider(load_settings(Path("manifests"), {}))
    assert isinstance(emulator, LocalProvider)
    handle = emulator.service.handle
    schema = handle(
        "CreateSchema",
        {"name": "s", "schema": json.dumps({"type": "record", "name": "Interactions"})},
        region="eu-west-1",
    )
    dataset = handle(
        "CreateDataset",
        {
            "name": "interactions",
            "schemaArn": schema["schemaArn"],
            "datasetGroupArn": GROUP_EU,
            "datasetType": "Interactions",
        },
        region="eu-west-1",
    )
    project.clock.advance(20)  # the dataset is ACTIVE
    handle(
        "CreateDatasetImportJob",
        {
            "jobName": "import-42",
            "datasetArn": dataset["datasetArn"],
            "dataSource": {"dataLocation": "s3://acme-privacy/interactions.csv"},
            "roleArn": "arn:aws:iam::123456789012:role/R",
        },
        region="eu-west-1",
    )


def test_a_create_waits_while_its_group_imports_and_goes_once_it_is_quiet(
    project: Project,
) -> None:
    importing(project)
    assert project.run("plan") == 0
    out = project.out.getvalue()
    assert "shop-eu/gdpr-2026-w46 will be held (dataset import job import-42 is CREATE" in out
    assert "Plan: 5 to create (3 held), 0 to retry" in out  # held, not also counted queued
    assert "Quota:" not in out  # the group has free PENDING slots: it waits for the import
    assert project.run("plan", "--format", "json") == 0
    document = json.loads(project.out.getvalue())
    calls = document["api_calls"]
    assert (calls["ListDatasets"], calls["ListDatasetImportJobs"]) == (2, 1)  # creating groups
    held = [c["reconciler"]["held"] for c in document["resource_changes"]]
    assert sum(1 for h in held if h and "import-42" in h) == 3
    assert project.apply() == 0  # shop-us now; shop-eu waits, and the summary says why
    out = project.out.getvalue()
    assert "shop-eu/gdpr-2026-w46: queued: held: dataset import job import-42" in out
    assert "Applied: 2 created" in out
    assert "3 jobs held while their dataset group imports or trains" in out
    assert project.apply(wait=True) == 0  # shop-eu once the import has ended
    assert len(project.live_names()) == 5
    assert project.run("plan", "--format", "json") == 0
    assert "ListDatasets" not in json.loads(project.out.getvalue())["api_calls"]  # no creates


def test_ignore_activity_creates_while_the_group_imports(project: Project) -> None:
    importing(project)
    assert project.run("plan", "--ignore-activity") == 0
    out = project.out.getvalue()
    assert "will be held" not in out
    assert "Activity ignored (--ignore-activity): creates go while groups train." in out
    assert project.apply("--ignore-activity") == 0
    assert len(project.live_names()) == 5


def test_check_warns_of_a_deletion_that_runs_while_its_group_imports(project: Project) -> None:
    importing(project)
    assert project.apply("--ignore-activity") == 0  # made to overlap
    assert project.check() == 4  # still running: a warning does not change the verdict
    out = project.out.getvalue()
    assert (
        "warning: shop-eu/gdpr-2026-w46: dataset import job import-42 is CREATE PENDING while "
        "the deletion runs: AWS does not guarantee the deletion from models trained meanwhile; "
        "declare another deletion job for the same users once both have ended"
    ) in out
    assert "warning: shop-us/" not in out  # nothing runs there


def test_a_refused_retry_keeps_its_failed_job_in_attention_and_check_red(
    project: Project,
) -> None:
    location = project.write_input("retried.csv")  # the service FAILS it
    project.write_manifest(
        "retried.yaml",
        HEADER.format(group=GROUP_EU)
        + DEFAULTS
        + f"  - jobName: retried\n    dataSource: {{dataLocation: {location}}}\n"
        + "    onFailure: retry\n",
    )
    assert project.apply("--skip-preflight") == 0
    project.clock.advance(3600)  # the job has FAILED
    project.write_input("retried.csv", "\n".join(USERS) + "\n")  # and the input lost its header
    assert project.run("plan", "--detailed-exitcode") == 1
    out = project.out.getvalue()
    assert "Attention: 1 failed" in out  # the FAILED job is not hidden by the refused retry
    assert "shop-eu/retried: retried FAILED" in out
    assert "Next: preflight refuses the retry (see its error); replace the file at its" in out
    assert project.check() == 2  # its retry is not applied: never "converged"
    assert "not applied: shop-eu/retried: retry" in project.out.getvalue()
    for user in USERS:
        assert user not in project.out.getvalue() + project.err.getvalue()


def test_check_does_not_pass_with_a_job_preflight_refuses(project: Project) -> None:
    project.write_manifest("preflight.yaml", manifest())
    assert project.apply() == 1  # the good jobs are created; the refused ones are not
    project.clock.advance(3600)
    assert project.check() == 2  # the refused ones are declared and not applied
    out = project.out.getvalue()
    assert "not applied: shop-eu/missing: create" in out
    assert "ListDatasets" not in str(project.provider(load_settings(Path("manifests"), {})).calls)


def test_apply_through_boto3_records_each_inputs_version_and_never_a_plain_hash(
    through_boto3: Project,
) -> None:
    said = []
    for args in (("plan", "-out", "plan.json"), ("plan", "--format", "json")):
        assert through_boto3.run(*args) == 0
        said.append(through_boto3.out.getvalue() + through_boto3.err.getvalue())
    # no digest key, and the prefixes hold three objects, listed (no VersionId): said once
    assert said[0].count("3 input objects are known by size and LastModified only") == 1
    assert through_boto3.run("plan", "--format", "markdown") == 0
    said.append(through_boto3.out.getvalue())
    assert through_boto3.apply(plan_file=Path("plan.json")) == 0
    said.append(through_boto3.out.getvalue() + through_boto3.err.getvalue())
    for fmt in ("markdown", "json", "csv"):
        assert through_boto3.run("report", "--format", fmt) == 0
        said.append(through_boto3.out.getvalue())
    record = through_boto3.state().jobs["shop-eu/closed-accounts-2026-11"]
    folder = through_boto3.root / "example-data" / "s3" / "acme-privacy"
    parts = sorted((folder / "shop-eu" / "closed-accounts" / "2026-11").glob("*.csv"))
    assert {e.location: e.version_id for e in record.inputs} == {
        f"s3://acme-privacy/{path.relative_to(folder).as_posix()}": None for path in parts
    }  # both parts of the prefix (ListObjectsV2 gives no VersionId)
    assert all(e.rows > 0 and e.bytes > 0 for e in record.inputs)
    [single] = through_boto3.state().jobs["shop-eu/gdpr-2026-w46"].inputs
    client = s3_client(str(through_boto3.s3_endpoint))
    head = client.head_object(Bucket="acme-privacy", Key="shop-eu/2026-w46.csv")
    assert single.version_id == head["VersionId"]
    said += [(through_boto3.root / name).read_text() for name in (".reconciler/state.json",)]
    said.append((through_boto3.root / "plan.json").read_text())
    for path in folder.rglob("*.csv"):  # S3's ETag of a one-part upload is the MD5 of its bytes
        content = path.read_bytes()
        for plain in (hashlib.sha256(content).hexdigest(), hashlib.md5(content).hexdigest()):
            assert not [text for text in said if plain in text], path


def check_row_refusals(project: Project) -> None:
    """Every row preflight reads is blank or one USER_ID; the refusal names the row's number and
    never its contents."""
    project.write_manifest(
        "rows.yaml",
        HEADER.format(group=GROUP_EU)
        + DEFAULTS
        + "".join(
            f"  - jobName: {name}\n    dataSource: {{dataLocation: s3://acme-privacy/rows/{name}.csv}}\n"
            for name in ROWS
        ),
    )
    assert project.run("plan", "--detailed-exitcode") == 1
    out = project.out.getvalue()
    for index, (name, (_, said)) in enumerate(ROWS.items()):
        block = (
            f"Error: Preflight: shop-eu/{name} is not created: see its input's problem\n"
            f"  on manifests/rows.yaml:{6 + 2 * index}:5 (shop-eu/{name})\n"
            f"  s3://acme-privacy/rows/{name}.csv: {said}\n"
        )
        assert (block in out) is (said is not None), name
    assert "shop-eu/blank-rows-and-crlf will be created" in out
    assert "Refused by preflight: 8 jobs (not created)." in out
    for user in USERS:
        assert user not in out + project.err.getvalue()


def test_r2_21_preflight_refuses_a_bad_row_it_read_on_the_emulator(project: Project) -> None:
    for name, (text, _) in ROWS.items():
        path = project.root / "example-data" / "s3" / "acme-privacy" / "rows" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body(text))
    check_row_refusals(project)


def test_r2_21_preflight_refuses_the_same_rows_through_boto3_and_s3(through_boto3: Project) -> None:
    check_row_refusals(through_boto3)
