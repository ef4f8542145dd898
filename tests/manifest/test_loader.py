from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ManifestError, UsageError
from reconciler.manifest.loader import load_manifests
from reconciler.models import JobSpec
from tests.conftest import HEADER, ROLE, SHIPPED_MANIFESTS

Write = Callable[[str, str | bytes], Path]


def job(name: str, location: str = "s3://bucket/users.csv", extra: str = "") -> str:
    return f"  - jobName: {name}\n    dataSource: {{dataLocation: {location}}}\n{extra}"


def messages(paths: list[Path]) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load_manifests(paths)
    return [str(d) for d in info.value.diagnostics]


def test_shipped_manifests_are_valid() -> None:
    manifests = load_manifests([SHIPPED_MANIFESTS])
    assert manifests.files == 3
    assert manifests.settings is not None
    assert len(manifests.dataset_groups) == 2
    assert len(manifests.jobs) == 5
    assert all(
        j.spec.role_arn.startswith("arn:aws:iam::123456789012:role/") for j in manifests.jobs
    )


def test_defaults_apply_and_job_tags_merge_over_default_tags(write: Write) -> None:
    path = write(
        "m.yaml",
        HEADER
        + f"defaults:\n  roleArn: {ROLE}\n  tags: {{team: privacy, ticket: NONE}}\njobs:\n"
        + job("a", extra="    tags: {ticket: PRIV-1}\n")
        + job("b", extra="    roleArn: arn:aws:iam::123456789012:role/Other\n"),
    )
    a, b = load_manifests([path]).jobs
    assert a.address == "shop-eu/a"
    assert a.spec == JobSpec(
        dataset_group_arn="arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu",
        job_name="a",
        data_location="s3://bucket/users.csv",
        role_arn=ROLE,
        tags={"team": "privacy", "ticket": "PRIV-1"},
    )
    assert str(a.source) == "m.yaml:8:5"
    assert b.spec.role_arn == "arn:aws:iam::123456789012:role/Other"
    assert b.spec.tags == {"team": "privacy", "ticket": "NONE"}


def test_errors_of_every_file_are_reported_together(write: Write) -> None:
    write("a.yaml", HEADER + "jobs:\n" + job("bad name"))
    write("sub/b.yaml", "apiVersion: reconciler/v1\nkind: Nope\n")
    write("c.yml", "a: [\n")
    got = messages([Path(".")])
    assert [m.split(":", 1)[0] for m in got] == ["a.yaml", "c.yml", "sub/b.yaml"]


def test_files_are_read_recursively_in_stable_order_skipping_hidden(write: Write) -> None:
    write("z.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("z"))
    write("a/b.yml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("b"))
    write(".hidden/c.yaml", "not: [valid\n")
    write("notes.txt", "ignored")
    manifests = load_manifests([Path(".")])
    assert [j.spec.job_name for j in manifests.jobs] == ["b", "z"]
    assert manifests.files == 2


def test_same_job_name_in_another_region_is_allowed(write: Write) -> None:
    other = HEADER.replace("eu-west-1", "us-east-1")
    write("a.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("x"))
    write(
        "b.yaml",
        other.replace("shop-eu", "shop-us")
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + job("x"),
    )
    assert len(load_manifests([Path(".")]).jobs) == 2


def test_duplicate_job_name_across_files_names_both_places(write: Write) -> None:
    write("a.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("x"))
    write(
        "b.yaml",
        HEADER.replace("shop-eu", "shop-eu-2")
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + job("x"),
    )
    assert messages([Path(".")]) == [
        "b.yaml:6:5: jobName 'x' is already declared at a.yaml:6:5 for shop-eu/x: job names are "
        "unique per account and region (123456789012, eu-west-1), so rename one of them"
    ]


def test_same_address_in_two_accounts_is_an_error(write: Write) -> None:
    write("a.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("x"))
    write(
        "b.yaml",
        HEADER.replace("123456789012", "210987654321")
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + job("x"),
    )
    got = messages([Path(".")])
    assert len(got) == 1
    assert got[0].startswith("b.yaml:6:5: address 'shop-eu/x' is already used at a.yaml:6:5")


def test_too_many_tags_after_merging_defaults(write: Write) -> None:
    defaults = ", ".join(f"d{i}: v" for i in range(30))
    own = ", ".join(f"j{i}: v" for i in range(21))
    path = write(
        "m.yaml",
        HEADER
        + f"defaults:\n  roleArn: {ROLE}\n  tags: {{{defaults}}}\njobs:\n"
        + job("a", extra=f"    tags: {{{own}}}\n"),
    )
    assert messages([path]) == [
        "m.yaml:8:5: jobs[0]: job 'a' has 51 tags with the defaults merged in; a Personalize "
        "resource holds at most 50 (a request may carry 200, the job may not)"
    ]


def test_unicode_tags_follow_the_service_pattern(write: Write) -> None:
    path = write(
        "m.yaml",
        HEADER
        + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        + job("a", extra="    tags: {équipe: 'données privées', 'x y': 'a=b+c@d:/e.f-g_h'}\n"),
    )
    assert load_manifests([path]).jobs[0].spec.tags["équipe"] == "données privées"


def test_prefix_data_location_is_kept_as_declared(write: Write) -> None:
    path = write(
        "m.yaml", HEADER + f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n" + job("a", "s3://bucket/p/")
    )
    assert load_manifests([path]).jobs[0].spec.data_location == "s3://bucket/p/"


def test_empty_jobs_list_declares_the_group(write: Write) -> None:
    path = write("m.yaml", HEADER + "jobs: []\n")
    manifests = load_manifests([path])
    assert manifests.jobs == ()
    assert manifests.dataset_groups == (
        "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu",
    )


def test_settings_document_is_returned_with_its_place(write: Write) -> None:
    write("settings.yaml", "apiVersion: reconciler/v1\nkind: Settings\n")
    write("m.yaml", HEADER + "jobs: []\n")
    manifests = load_manifests([Path(".")])
    assert manifests.settings is not None
    assert str(manifests.settings_source) == "settings.yaml:1:1"


def test_missing_path_and_empty_directory_are_usage_errors(write: Write) -> None:
    with pytest.raises(UsageError, match="nope: no such file or directory"):
        load_manifests([Path("nope")])
    Path("empty").mkdir()
    with pytest.raises(UsageError, match=r"no manifest files \(\*.yaml, \*.yml\) found in empty"):
        load_manifests([Path("empty")])


def test_digest_follows_content_not_where_the_tree_is(write: Write) -> None:
    write("a/m.yaml", HEADER + "jobs: []\n")
    write("b/m.yaml", HEADER + "jobs: []\n")
    first, second = load_manifests([Path("a")]), load_manifests([Path("b").resolve()])
    assert first.digest == second.digest
    write("b/m.yaml", HEADER + "jobs: []\n# a comment changes the digest\n")
    assert load_manifests([Path("b")]).digest != first.digest
