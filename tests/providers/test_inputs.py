"""Inputs by identity, read whole once per identity, with keyed digests: the `aws` provider's
reader against moto's S3 server (a versioned bucket, an unversioned one, two pages of a prefix,
botocore's errors), SSM and Secrets Manager for the digest key, and the emulator's directory
(its key file, its identities, the same row rules as the jobs it FAILs)."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.service import EmulatorService
from reconciler.models import DatasetGroupRef, InputCheck, JobSpec, JobStatus, same_inputs
from reconciler.planning.model import Action, ActionReason, Change
from reconciler.preflight import Preflight, identities, preflight
from reconciler.providers.aws import AwsProvider
from reconciler.providers.digestkey import key_file
from reconciler.providers.inputs import (
    DigestKeyError,
    DirectoryInputs,
    InputChanged,
    InputDenied,
    InputReader,
)
from reconciler.providers.local import LocalProvider
from reconciler.providers.s3_inputs import S3Inputs
from reconciler.settings import DigestKeySettings, ProviderSettings
from tests.fakes.clock import FakeClock
from tests.s3server import REGION, s3_client

GROUP = f"arn:aws:personalize:{REGION}:123456789012:dataset-group/shop"
ROLE = "arn:aws:iam::123456789012:role/R"
SECRETS = ("eu-secret-1", "eu-secret-2")  # personal data: never in any output
GOOD = ("USER_ID\n" + "\n".join(SECRETS) + "\n").encode()
BAD_ROW_7 = ("USER_ID\nu1\nu2\nu3\nu4\nu5\n" + ",".join(SECRETS) + "\nu8\n").encode()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def creating(location: str, name: str = "j") -> Change:
    spec = JobSpec(job_name=name, dataset_group_arn=GROUP, data_location=location, role_arn=ROLE)
    return Change(
        address=f"shop/{name}",
        action=Action.CREATE,
        reason=ActionReason.DECLARED_NOT_FOUND,
        detail="declared, not found",
        dataset_group_arn=GROUP,
        job_name=name,
        desired=spec,
    )


def run(
    reader: InputReader, location: str, cache: dict[str, InputCheck] | None = None
) -> Preflight:
    return preflight([creating(location)], reader, 1 << 20, cache or {}, lambda: NOW)


def said(found: Preflight) -> list[tuple[bool, str]]:
    return [(f.error, f.message) for f in found.findings]


# S3 (moto's server), through the aws provider's reader


def new_bucket(endpoint: str) -> str:
    name = f"inputs-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


@pytest.fixture
def bucket(s3_endpoint: str, s3_credentials: None) -> str:
    return new_bucket(s3_endpoint)


@pytest.fixture
def versioned(s3_endpoint: str, s3_credentials: None) -> str:
    name = new_bucket(s3_endpoint)
    s3_client(s3_endpoint).put_bucket_versioning(
        Bucket=name, VersioningConfiguration={"Status": "Enabled"}
    )
    return name


class Counted:
    """An aws provider's reader against moto, with its S3 calls counted by operation."""

    def __init__(self, endpoint: str, digest_key: DigestKeySettings | None = None) -> None:
        session = boto3.session.Session(region_name=REGION)
        self.calls: Counter[str] = Counter()
        session.events.register(
            "before-call.s3.*", lambda model, **_: self.calls.update([model.name])
        )
        provider = AwsProvider(
            ProviderSettings(name="aws", max_attempts=1),
            session,
            inputs_endpoint_url=endpoint,
            digest_key=digest_key,
        )
        reader = provider.input_reader()
        assert isinstance(reader, S3Inputs)
        self.reader = reader


def test_a_versioned_object_is_known_by_its_version_and_read_once_per_identity(
    versioned: str, s3_endpoint: str
) -> None:
    client = s3_client(s3_endpoint)
    put = client.put_object(Bucket=versioned, Key="w47.csv", Body=GOOD)
    location = f"s3://{versioned}/w47.csv"
    counted = Counted(s3_endpoint)
    first = run(counted.reader, location)
    assert said(first) == []
    [evidence] = first.evidence[location]
    assert (evidence.tag, evidence.version_id) == (None, put["VersionId"])  # no key: no tag
    assert put["ETag"].strip('"') not in evidence.model_dump_json()
    assert (evidence.rows, evidence.bytes, evidence.hmac) == (2, len(GOOD), None)  # no key
    assert counted.calls["GetObject"] == 1
    again = run(counted.reader, location, first.checks)  # the state kept the check
    assert again.evidence == first.evidence and again.checks == {}
    assert counted.calls["GetObject"] == 1  # an unchanged object is not read again
    assert counted.calls["HeadObject"] == 2  # only asked which version it is
    # replaced by a file of the same size: another identity, read again
    client.put_object(Bucket=versioned, Key="w47.csv", Body=GOOD.replace(b"1", b"9"))
    third = run(counted.reader, location, first.checks)
    [replaced] = third.evidence[location]
    assert replaced.bytes == evidence.bytes and replaced.version_id != evidence.version_id
    assert not same_inputs([evidence.identity], [replaced.identity])
    assert counted.calls["GetObject"] == 2


def test_a_bad_row_is_refused_by_its_number_and_never_quoted(
    versioned: str, s3_endpoint: str
) -> None:
    client = s3_client(s3_endpoint)
    client.put_object(Bucket=versioned, Key="bad.csv", Body=BAD_ROW_7)
    client.put_object(Bucket=versioned, Key="257.csv", Body=b"USER_ID\n" + b"x" * 257 + b"\n")
    client.put_object(Bucket=versioned, Key="256.csv", Body=b"USER_ID\n" + b"x" * 256 + b"\n")
    reader = Counted(s3_endpoint).reader
    bad = run(reader, f"s3://{versioned}/bad.csv")
    assert said(bad) == [
        (True, f"s3://{versioned}/bad.csv: row 7 is not a USER_ID row: it has more than one column")
    ]
    [check] = bad.checks.values()
    assert check.problem == "row 7 is not a USER_ID row: it has more than one column"
    assert all(secret not in repr(bad) for secret in SECRETS)
    assert said(run(reader, f"s3://{versioned}/257.csv")) == [
        (
            True,
            f"s3://{versioned}/257.csv: row 2 is not a USER_ID row: its USER_ID is longer than "
            "256 characters",
        )
    ]
    assert said(run(reader, f"s3://{versioned}/256.csv")) == []


def test_a_version_read_is_the_version_found_and_an_overwritten_object_is_a_412(
    bucket: str, versioned: str, s3_endpoint: str
) -> None:
    client = s3_client(s3_endpoint)
    reader = Counted(s3_endpoint).reader
    for name in (bucket, versioned):
        client.put_object(Bucket=name, Key="k.csv", Body=GOOD)
    plain = reader.identity(bucket, "k.csv", REGION)
    kept = reader.identity(versioned, "k.csv", REGION)
    assert plain is not None and plain.version_id is None
    assert kept is not None and kept.version_id is not None
    for name in (bucket, versioned):
        client.put_object(Bucket=name, Key="k.csv", Body=BAD_ROW_7)
    chunks: list[bytes] = []
    reader.stream(kept, REGION, lambda chunk: chunks.append(chunk) or True)
    assert b"".join(chunks) == GOOD  # the version identified, not the one that replaced it
    with pytest.raises(InputChanged, match=r"k\.csv changed while preflight read it") as info:
        reader.stream(plain, REGION, lambda chunk: True)  # IfMatch: 412 Precondition Failed
    assert all(secret not in str(info.value) for secret in SECRETS)


def test_every_csv_of_a_prefix_on_every_page(bucket: str, s3_endpoint: str) -> None:
    client = s3_client(s3_endpoint)
    for key in ("p/a.csv", "p/b.csv", "p/notes.txt", "p/deeper/c.csv", "q/d.csv"):
        client.put_object(Bucket=bucket, Key=key, Body=GOOD)
    counted = Counted(s3_endpoint)
    counted.reader.page_size = 2
    found = identities(f"s3://{bucket}/p/", REGION, counted.reader)
    assert [i.location.rsplit("/", 2)[-2:] for i in found] == [
        ["p", "a.csv"],
        ["p", "b.csv"],
        ["deeper", "c.csv"],
    ]
    assert counted.calls["ListObjectsV2"] == 2
    checked = run(counted.reader, f"s3://{bucket}/p/")
    assert len(checked.evidence[f"s3://{bucket}/p/"]) == 3 and said(checked) == []


def test_botocore_errors_say_what_to_do(s3_endpoint: str, s3_credentials: None) -> None:
    reader = Counted(s3_endpoint).reader
    stubber = Stubber(reader._client(REGION))
    stubber.add_client_error("head_object", "403", http_status_code=403)
    stubber.add_client_error("head_object", "InternalError", http_status_code=500)
    stubber.activate()
    with pytest.raises(InputDenied) as denied:
        identities("s3://b/k.csv", REGION, reader)
    assert denied.value.permission == "s3:GetObject"
    assert "s3:ListBucket" in str(denied.value)
    assert said(run(reader, "s3://b/k.csv")) == [
        (
            True,
            "preflight could not read s3://b/k.csv: InternalError; try again, or plan with "
            "--skip-preflight",
        )
    ]


# The digest key


def test_an_env_key_gives_an_hmac_that_is_no_plain_hash_and_is_never_shown(
    versioned: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_client(s3_endpoint).put_object(Bucket=versioned, Key="k.csv", Body=GOOD)
    monkeypatch.setenv("DIGEST_KEY", "k3y-never-shown")
    reader = Counted(s3_endpoint, DigestKeySettings(env="DIGEST_KEY")).reader
    found = run(reader, f"s3://{versioned}/k.csv")
    [evidence] = found.evidence[f"s3://{versioned}/k.csv"]
    assert evidence.hmac == hmac.new(b"k3y-never-shown", GOOD, hashlib.sha256).hexdigest()
    assert evidence.hmac != hashlib.sha256(GOOD).hexdigest()
    assert (
        evidence.key_id
        == (hmac.new(b"k3y-never-shown", b"reconciler key id", hashlib.sha256).hexdigest()[:16])
    )
    shown = repr(found) + evidence.model_dump_json() + repr(reader.digest_key(REGION))
    assert "k3y-never-shown" not in shown and hashlib.sha256(GOOD).hexdigest() not in shown
    monkeypatch.setenv("DIGEST_KEY", "another-key")
    again = run(
        Counted(s3_endpoint, DigestKeySettings(env="DIGEST_KEY")).reader,
        f"s3://{versioned}/k.csv",
        found.checks,
    )
    assert again.checks  # read again: the digest kept is under another key


def test_a_missing_env_key_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    reader = S3Inputs(
        boto3.session.Session(), None, digest_key=DigestKeySettings(env="NO_SUCH_KEY")
    )
    with pytest.raises(DigestKeyError, match=r"evidence\.digestKey\.env \(NO_SUCH_KEY\): the "):
        reader.digest_key(REGION)


@pytest.fixture
def aws_keys(s3_endpoint: str, s3_credentials: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """SSM and Secrets Manager on moto's server (botocore's per-service endpoint variables)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", s3_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_endpoint)
    return uuid.uuid4().hex[:8]


def aws_key(setting: DigestKeySettings) -> Any:
    session = boto3.session.Session(region_name=REGION)
    return S3Inputs(session, None, digest_key=setting).digest_key(REGION)


def test_keys_from_ssm_and_secrets_manager(aws_keys: str, s3_endpoint: str) -> None:
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=s3_endpoint)
    ssm.put_parameter(Name=f"/r/{aws_keys}", Value="from-ssm", Type="SecureString")
    secrets = boto3.client("secretsmanager", region_name=REGION, endpoint_url=s3_endpoint)
    secrets.create_secret(Name=f"s-{aws_keys}", SecretString="from-secret")
    secrets.create_secret(Name=f"b-{aws_keys}", SecretBinary=b"\x00binary")
    for setting, secret in (
        (DigestKeySettings(ssm=f"/r/{aws_keys}"), b"from-ssm"),
        (DigestKeySettings(secrets_manager=f"s-{aws_keys}"), b"from-secret"),
        (DigestKeySettings(secrets_manager=f"b-{aws_keys}", region=REGION), b"\x00binary"),
    ):
        key = aws_key(setting)
        assert key.secret == secret and str(secret) not in repr(key)


def test_a_key_that_cannot_be_read_names_the_setting_and_the_permission(
    aws_keys: str,
) -> None:
    with pytest.raises(DigestKeyError) as missing:
        aws_key(DigestKeySettings(ssm=f"/absent/{aws_keys}"))
    assert str(missing.value).startswith(f"evidence.digestKey.ssm (/absent/{aws_keys}): no such")
    session = boto3.session.Session(region_name=REGION)
    reader = S3Inputs(session, None, digest_key=DigestKeySettings(secrets_manager="s"))
    client = session.client("secretsmanager", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error("get_secret_value", "AccessDeniedException", http_status_code=400)
    stubber.activate()
    reader._session = type("One", (), {"client": lambda *a, **k: client})()
    with pytest.raises(DigestKeyError) as denied:
        reader.digest_key(REGION)
    assert "secretsmanager:GetSecretValue" in str(denied.value)
    assert "kms:Decrypt" in str(denied.value)


# The emulator's directory


def test_the_emulators_key_file_is_private_and_the_same_on_every_run(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3.digest-key"
    first = key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_file(path) == first and len(first.key_id) == 16
    assert path.read_bytes().strip().decode() not in repr(first)


def local(tmp_path: Path) -> tuple[LocalProvider, EmulatorService, FakeClock]:
    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3",
        s3_root=tmp_path / "s3",
        pending_seconds=1,
        in_progress_seconds=1,
    )
    clock = FakeClock()
    service = EmulatorService(config, clock=clock, sleep=clock.sleep)
    return LocalProvider(service), service, clock


def test_the_emulator_always_shows_a_keyed_digest_and_a_replaced_file_another_identity(
    tmp_path: Path,
) -> None:
    provider, _, _ = local(tmp_path)
    path = tmp_path / "s3" / "b" / "k.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD)
    found = run(provider.input_reader(), "s3://b/k.csv")
    [evidence] = found.evidence["s3://b/k.csv"]
    assert evidence.hmac is not None and evidence.key_id is not None
    assert (tmp_path / "e.sqlite3.digest-key").exists()
    again, _, _ = local(tmp_path)  # another run: the same key
    assert again.input_reader().digest_key(REGION) == provider.input_reader().digest_key(REGION)
    assert run(again.input_reader(), "s3://b/k.csv", found.checks).checks == {}  # not read
    replaced = path.with_name("new.csv")
    replaced.write_bytes(GOOD.replace(b"1", b"9"))
    os.utime(replaced, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))  # same mtime
    replaced.replace(path)
    third = run(again.input_reader(), "s3://b/k.csv", found.checks)
    assert third.checks  # read again: another file, whatever its size and mtime
    assert not same_inputs([evidence.identity], [third.evidence["s3://b/k.csv"][0].identity])


def test_the_emulator_fails_a_job_on_the_row_preflight_refuses(tmp_path: Path) -> None:
    provider, service, clock = local(tmp_path)
    path = tmp_path / "s3" / "b" / "bad.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(BAD_ROW_7)
    assert said(run(provider.input_reader(), "s3://b/bad.csv")) == [
        (True, "s3://b/bad.csv: row 7 is not a USER_ID row: it has more than one column")
    ]
    group = service.handle("CreateDatasetGroup", {"name": "shop"}, region=REGION)
    arn = provider.create_job(
        JobSpec(
            job_name="j",
            dataset_group_arn=group["datasetGroupArn"],
            data_location="s3://b/bad.csv",
            role_arn=ROLE,
        )
    )
    clock.advance(5)
    job = provider.describe_job(arn)
    assert job.status is JobStatus.FAILED
    assert (
        job.failure_reason
        == "Input file s3://b/bad.csv: row 7 has 2 columns; expected only USER_ID."
    )


def test_the_directory_reader_streams_only_the_file_it_identified(tmp_path: Path) -> None:
    path = tmp_path / "b" / "k.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD)
    reader = DirectoryInputs(tmp_path)
    found = reader.identity("b", "k.csv", REGION)
    assert found is not None and found.size == len(GOOD)
    assert found.last_modified == datetime.fromtimestamp(path.stat().st_mtime_ns / 1e9, UTC)
    path.write_bytes(BAD_ROW_7)
    with pytest.raises(InputChanged):
        reader.stream(found, REGION, lambda chunk: True)
    assert DatasetGroupRef.parse(GROUP).region == REGION
