"""The provider contract: every provider must pass every test here (local, and aws over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.models import JobStatus
from reconciler.providers.interface import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    TransientError,
)
from tests.providers.conftest import ACCOUNT, World, group_arn


def test_describe_dataset_group(world: World) -> None:
    arn = world.create_group("shop")
    info = world.provider.describe_dataset_group(arn)
    assert info is not None
    assert (info.arn, info.name, info.status) == (arn, "shop", "ACTIVE")
    assert world.provider.describe_dataset_group(group_arn("absent")) is None


def test_create_then_describe_returns_the_full_job(world: World) -> None:
    group = world.create_group("shop")
    location = world.put_csv("users.csv", "USER_ID\nu1\n")
    arn = world.provider.create_job(world.spec("gdpr-1", group, location, ticket="PRIV-1"))
    assert arn == f"arn:aws:personalize:eu-west-1:{ACCOUNT}:data-deletion-job/gdpr-1"
    job = world.provider.describe_job(arn)
    assert (job.job_name, job.dataset_group_arn, job.status) == ("gdpr-1", group, JobStatus.PENDING)
    assert job.data_location == location
    assert job.role_arn.endswith(":role/PersonalizeDeletion")
    assert job.num_deleted is None
    assert job.created.timestamp() == pytest.approx(world.clock.now)


def test_list_pages_through_every_job_newest_first(world: World) -> None:
    group = world.create_group("shop")
    other = world.create_group("other")
    for i in range(230):
        if i and i % 5 == 0:
            world.clock.advance(11)  # past PENDING, so the quota does not stop the setup
        world.provider.create_job(world.spec(f"job-{i:03d}", group))
    world.provider.create_job(world.spec("elsewhere", other))
    world.provider.calls.clear()
    jobs = world.provider.list_jobs(group)
    assert [j.job_name for j in jobs] == [f"job-{i:03d}" for i in reversed(range(230))]
    assert world.provider.calls["ListDataDeletionJobs"] == 3
    assert all(j.dataset_group_arn == group for j in jobs)


def test_names_are_unique_per_account_and_region(world: World) -> None:
    first = world.create_group("shop")
    second = world.create_group("shop-2")
    elsewhere = world.create_group("shop", region="us-east-1")
    world.provider.create_job(world.spec("gdpr-1", first))
    with pytest.raises(AlreadyExists, match="ResourceAlreadyExistsException"):
        world.provider.create_job(world.spec("gdpr-1", first))
    with pytest.raises(AlreadyExists):
        world.provider.create_job(world.spec("gdpr-1", second))
    arn = world.provider.create_job(world.spec("gdpr-1", elsewhere))
    assert ":us-east-1:" in arn


def test_five_pending_jobs_per_group_then_quota_refusal(world: World) -> None:
    group = world.create_group("shop")
    other = world.create_group("other")
    for i in range(5):
        world.provider.create_job(world.spec(f"j{i}", group))
    with pytest.raises(QuotaExceeded, match="LimitExceededException"):
        world.provider.create_job(world.spec("j5", group))
    world.provider.create_job(world.spec("o1", other))  # the quota is per dataset group
    world.clock.advance(10)  # the five move to IN_PROGRESS and free their slots
    world.provider.create_job(world.spec("j5", group))


def test_unknown_dataset_group_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="ResourceNotFoundException"):
        world.provider.create_job(world.spec("j", group_arn("absent")))


@pytest.mark.parametrize(
    "name", ["bad name", "-leading-dash", "x" * 64], ids=["space", "dash", "too-long"]
)
def test_invalid_job_names_are_refused_by_the_service(world: World, name: str) -> None:
    group = world.create_group("shop")
    with pytest.raises(InvalidInput, match="InvalidInputException"):
        world.provider.create_job(world.spec(name, group))


def test_invalid_tags_and_location_are_refused(world: World) -> None:
    group = world.create_group("shop")
    with pytest.raises(InvalidInput, match="tagKey"):
        world.provider.create_job(world.spec("j", group, **{"bad#key": "v"}))
    with pytest.raises(InvalidInput, match="dataLocation"):
        world.provider.create_job(world.spec("j", group, "ftp://bucket/users.csv"))


def test_job_progresses_to_completed_with_distinct_user_count(world: World) -> None:
    group = world.create_group("shop")
    location = world.put_csv("users.csv", "USER_ID\nu1\nu2\nu2\n\nu3\n")
    arn = world.provider.create_job(world.spec("j", group, location))
    seen = []
    for _ in range(4):
        [summary] = world.provider.list_jobs(group)
        seen.append(summary.status)
        world.clock.advance(10)
    assert seen == [
        JobStatus.PENDING,
        JobStatus.IN_PROGRESS,
        JobStatus.IN_PROGRESS,
        JobStatus.COMPLETED,
    ]
    job = world.provider.describe_job(arn)
    assert job.num_deleted == 3
    assert job.failure_reason is None
    assert job.last_updated.timestamp() == pytest.approx(job.created.timestamp() + 30)


def test_prefix_location_reads_every_csv_below_it(world: World) -> None:
    group = world.create_group("shop")
    world.put_csv("closed/a.csv", "USER_ID\nu1\nu2\n")
    world.put_csv("closed/deeper/b.csv", "USER_ID\nu2\nu3\n")
    world.put_csv("closed/notes.txt", "not,a,csv\n")
    arn = world.provider.create_job(world.spec("j", group, "s3://bucket/closed/"))
    world.clock.advance(30)
    job = world.provider.describe_job(arn)
    assert (job.status, job.num_deleted) == (JobStatus.COMPLETED, 3)


@pytest.mark.parametrize(
    ("key", "content", "reason"),
    [
        (None, None, "Input data not found at s3://bucket/missing.csv."),
        ("users.csv", "EMAIL\na@example.com\n", "must be a CSV file with a single USER_ID column"),
        ("users.csv", "USER_ID\nu1,extra\n", "row 2 has 2 columns; expected only USER_ID"),
        ("empty/", None, "No .csv files found under s3://bucket/empty/."),
    ],
    ids=["missing", "header", "columns", "empty-prefix"],
)
def test_job_fails_with_a_reason_for_bad_input(
    world: World, key: str | None, content: str | None, reason: str
) -> None:
    group = world.create_group("shop")
    location = (
        world.put_csv(key, content) if key and content else f"s3://bucket/{key or 'missing.csv'}"
    )
    arn = world.provider.create_job(world.spec("j", group, location))
    world.clock.advance(30)
    [summary] = world.provider.list_jobs(group)
    assert summary.status is JobStatus.FAILED
    assert summary.failure_reason is not None
    assert reason in summary.failure_reason
    assert "a@example.com" not in summary.failure_reason
    assert world.provider.describe_job(arn).num_deleted is None


def test_input_over_the_size_limit_fails(make_world: Any) -> None:
    for kind in ("local", "aws"):
        world: World = make_world(kind, input_bytes_limit=20)
        group = world.create_group("shop")
        location = world.put_csv("users.csv", "USER_ID\n" + "user-0001\n" * 3)
        arn = world.provider.create_job(world.spec("j", group, location))
        world.clock.advance(30)
        job = world.provider.describe_job(arn)
        assert job.status is JobStatus.FAILED
        assert job.failure_reason == (
            f"Input data at {location} is 38 bytes; the maximum is 20 bytes."
        )


def test_seeded_group_counts_matching_records_once(make_world: Any, tmp_path: Any) -> None:
    seed = tmp_path / "seed.csv"
    seed.write_text("USER_ID,ITEM_ID\nu1,a\nu1,b\nu2,a\nu9,c\n", encoding="utf-8")
    group = group_arn("seeded")
    for kind in ("local", "aws"):
        world: World = make_world(kind, dataset_groups=[{"arn": group, "seed_users": seed}])
        location = world.put_csv("users.csv", "USER_ID\nu1\nu2\nu3\n")
        first = world.provider.create_job(world.spec("first", group, location))
        world.clock.advance(30)
        second = world.provider.create_job(world.spec("second", group, location))
        world.clock.advance(30)
        assert world.provider.describe_job(first).num_deleted == 3  # u1 twice, u2 once
        assert world.provider.describe_job(second).num_deleted == 0  # already deleted


def test_unknown_job_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.provider.describe_job(f"arn:aws:personalize:eu-west-1:{ACCOUNT}:data-deletion-job/x")


def test_throttling_beyond_retries_is_transient(make_world: Any) -> None:
    for kind in ("local", "aws"):
        world: World = make_world(kind, faults={"throttle_fraction": 1.0, "seed": 1})
        with pytest.raises(TransientError, match="ThrottlingException"):
            world.provider.list_jobs(group_arn("shop"))


def test_server_errors_are_transient(make_world: Any) -> None:
    for kind in ("local", "aws"):
        world: World = make_world(kind, faults={"error_fraction": 1.0, "seed": 1})
        with pytest.raises(TransientError):
            world.provider.describe_dataset_group(group_arn("shop"))


def test_listing_stops_once_the_wanted_names_were_seen(world: World) -> None:
    group = world.create_group("shop")
    for i in range(230):
        if i and i % 5 == 0:
            world.clock.advance(11)
        world.provider.create_job(world.spec(f"job-{i:03d}", group))
    for wanted, pages in (({"job-229"}, 1), ({"job-229", "job-000"}, 3), ({"absent"}, 3)):
        world.provider.calls.clear()
        jobs = world.provider.list_jobs(group, until_seen=frozenset(wanted))
        assert world.provider.calls["ListDataDeletionJobs"] == pages
        assert len(jobs) == (100 if pages == 1 else 230)
