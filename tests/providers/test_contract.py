"""The provider contract: every provider passes every test here (the fake, the emulator in-process,
and the emulator through boto3 over HTTP). What the emulator does beyond the contract, as the
service does it, is in `test_emulated.py`."""

from __future__ import annotations

import pytest

from reconciler.models import JobStatus
from reconciler.providers.interface import (
    AlreadyExists,
    NotFound,
    QuotaExceeded,
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
    world.create_jobs(group, 230)
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


def test_unknown_job_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.provider.describe_job(f"arn:aws:personalize:eu-west-1:{ACCOUNT}:data-deletion-job/x")


def test_listing_stops_once_the_wanted_names_were_seen(world: World) -> None:
    group = world.create_group("shop")
    world.create_jobs(group, 230)
    for wanted, pages in (({"job-229"}, 1), ({"job-229", "job-000"}, 3), ({"absent"}, 3)):
        world.provider.calls.clear()
        jobs = world.provider.list_jobs(group, until_seen=frozenset(wanted))
        assert world.provider.calls["ListDataDeletionJobs"] == pages
        assert len(jobs) == (100 if pages == 1 else 230)


def test_the_tags_of_a_job_are_listed(world: World) -> None:
    group = world.create_group("shop")
    arn = world.provider.create_job(world.spec("tagged", group, team="privacy", ticket="P-1"))
    assert world.provider.list_tags(arn) == {"team": "privacy", "ticket": "P-1"}
    untagged = world.provider.create_job(world.spec("plain", group))
    assert world.provider.list_tags(untagged) == {}
    with pytest.raises(NotFound):
        world.provider.list_tags(arn.replace("tagged", "absent"))


def test_the_principal_is_whom_sts_names(world: World) -> None:
    """The ARN a create records as who ran it: the emulator's own STS user (in-process and over
    HTTP alike), the fake's role."""
    principal = world.provider.principal()
    assert principal is not None and principal.startswith("arn:aws:iam::")
    assert principal.split(":")[4] == ACCOUNT
    assert world.provider.principal() == principal  # asked again: the same answer


def test_campaigns_name_the_version_they_serve_and_when_it_was_trained(world: World) -> None:
    group = world.create_group("shop")
    quiet = world.create_group("quiet")
    solution = world.add_solution(group, "sol", auto_training="rate(3 days)")
    manual = world.add_solution(group, "manual")
    world.add_solution(group, "undeployed")  # a solution without campaigns: none listed
    trained = world.clock.now
    version = world.train(solution)
    other = world.train(manual)
    campaign = world.deploy("recs", version)
    world.deploy("ranking", other)
    statuses = [c.status for c in world.provider.campaigns(group) if c.name == "recs"]
    world.clock.advance(30)
    found = {c.name: c for c in world.provider.campaigns(group)}
    assert statuses == ["CREATE PENDING"]
    assert sorted(found) == ["ranking", "recs"]
    recs = found["recs"]
    assert (recs.arn, recs.status) == (campaign, "ACTIVE")
    assert (recs.solution_arn, recs.solution_version_arn) == (solution, version)
    assert recs.version_created is not None
    assert recs.version_created.timestamp() == pytest.approx(trained)
    assert (recs.auto_training, recs.updating_to) == ("rate(3 days)", None)
    assert found["ranking"].auto_training is None
    assert found["ranking"].solution_version_arn == other
    assert world.provider.campaigns(quiet) == []


def test_a_campaign_serves_its_old_version_until_its_update_is_active(world: World) -> None:
    group = world.create_group("shop")
    solution = world.add_solution(group, "sol")
    old = world.train(solution)
    campaign = world.deploy("recs", old)
    world.clock.advance(30)
    retrained = world.clock.now
    new = world.train(solution)
    world.redeploy(campaign, new)
    [updating] = world.provider.campaigns(group)
    assert (updating.status, updating.solution_version_arn) == ("ACTIVE", old)
    assert updating.updating_to == new
    world.clock.advance(30)
    [updated] = world.provider.campaigns(group)
    assert (updated.solution_version_arn, updated.updating_to) == (new, None)
    assert updated.version_created is not None
    assert updated.version_created.timestamp() == pytest.approx(retrained)
    assert updated.last_updated is not None
    assert updated.last_updated.timestamp() == pytest.approx(world.clock.now)


def test_imports_say_their_mode_and_when_they_completed(world: World) -> None:
    group = world.create_group("shop")
    quiet = world.create_group("quiet")
    world.add_import(group, "nightly", mode="INCREMENTAL")
    created = world.clock.now
    full = world.add_import(group, "reload")  # FULL, as the service's default
    running = {i.name: i for i in world.provider.imports(group)}
    world.clock.advance(70)
    done = {i.name: i for i in world.provider.imports(group)}
    assert {name: (i.status, i.mode) for name, i in running.items()} == {
        "nightly": ("CREATE PENDING", "INCREMENTAL"),
        "reload": ("CREATE PENDING", "FULL"),
    }
    assert running["reload"].completed is None
    reload = done["reload"]
    assert (reload.arn, reload.status) == (full, "ACTIVE")
    assert reload.created.timestamp() == pytest.approx(created)
    assert reload.completed is not None
    assert reload.completed.timestamp() == pytest.approx(created + 70)
    assert reload.dataset_arn is not None and reload.dataset_arn.endswith("/INTERACTIONS")
    assert world.provider.imports(quiet) == []
