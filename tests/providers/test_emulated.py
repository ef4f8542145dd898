"""The service as the emulator plays it beyond the provider contract (request validation, reading
the input, seeded records, injected faults), through both providers that reach it: in-process
(`local`) and boto3 over HTTP (`aws`)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.models import JobStatus
from reconciler.providers.base import auto_training
from reconciler.providers.interface import InvalidInput, TransientError
from tests.providers.conftest import ACCOUNT, RECIPE, World, group_arn


@pytest.mark.parametrize(
    "name", ["bad name", "-leading-dash", "x" * 64], ids=["space", "dash", "too-long"]
)
def test_invalid_job_names_are_refused_by_the_service(emulated: World, name: str) -> None:
    group = emulated.create_group("shop")
    with pytest.raises(InvalidInput, match="InvalidInputException"):
        emulated.provider.create_job(emulated.spec(name, group))


def test_invalid_tags_and_location_are_refused(emulated: World) -> None:
    group = emulated.create_group("shop")
    with pytest.raises(InvalidInput, match="tagKey"):
        emulated.provider.create_job(emulated.spec("j", group, **{"bad#key": "v"}))
    with pytest.raises(InvalidInput, match="dataLocation"):
        emulated.provider.create_job(emulated.spec("j", group, "ftp://bucket/users.csv"))


def test_prefix_location_reads_every_csv_below_it(emulated: World) -> None:
    group = emulated.create_group("shop")
    emulated.put_csv("closed/a.csv", "USER_ID\nu1\nu2\n")
    emulated.put_csv("closed/deeper/b.csv", "USER_ID\nu2\nu3\n")
    emulated.put_csv("closed/notes.txt", "not,a,csv\n")
    arn = emulated.provider.create_job(emulated.spec("j", group, "s3://bucket/closed/"))
    emulated.clock.advance(30)
    job = emulated.provider.describe_job(arn)
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
    emulated: World, key: str | None, content: str | None, reason: str
) -> None:
    group = emulated.create_group("shop")
    location = (
        emulated.put_csv(key, content) if key and content else f"s3://bucket/{key or 'missing.csv'}"
    )
    arn = emulated.provider.create_job(emulated.spec("j", group, location))
    emulated.clock.advance(30)
    [summary] = emulated.provider.list_jobs(group)
    assert summary.status is JobStatus.FAILED
    assert summary.failure_reason is not None
    assert reason in summary.failure_reason
    assert "a@example.com" not in summary.failure_reason
    assert emulated.provider.describe_job(arn).num_deleted is None


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


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "USER_ID\nu1\n" + "x" * 257 + "\nu2\n",
            "row 3 has a USER_ID longer than 256 characters.",
        ),
        (
            "USER_ID\nu1\n" + "x" * (128 * 1024 + 1) + "\nu2\n",
            "row 3 is longer than 8192 bytes: more than one USER_ID can be.",
        ),
        (
            "USER_ID\nu1\ru2\n",
            "row 2 is not valid CSV: it has a carriage return that does not end the line.",
        ),
        ("USER_ID\nu1\nu\x002\n", "row 3 contains a NUL character."),
        (
            'USER_ID\nu1\n"u2\nu3\n',
            "row 3 has a line break inside a quoted value (a quote is not closed).",
        ),
    ],
    ids=["value-over-256", "row-over-8KiB", "bare-CR", "NUL", "unclosed-quote"],
)
def test_r2_13_an_input_the_csv_reader_refuses_fails_its_job_and_the_emulator_serves_on(
    emulated: World, content: str, reason: str
) -> None:
    """In-process and through boto3 over HTTP: the job FAILs with a reason naming the row (never
    its content), and every later call is answered as before."""
    group = emulated.create_group("shop")
    location = emulated.put_csv("b.csv", content)
    bad = emulated.provider.create_job(emulated.spec("bad", group, location))
    emulated.clock.advance(30)  # the job is due: the next call reads its input
    [summary] = emulated.provider.list_jobs(group)
    assert (summary.status, summary.failure_reason) == (
        JobStatus.FAILED,
        f"Input file {location}: {reason}",
    )
    assert emulated.provider.describe_job(bad).status is JobStatus.FAILED  # asked again
    location = emulated.put_csv("g.csv", "USER_ID\nu1\n")
    good = emulated.provider.create_job(emulated.spec("good", group, location))
    emulated.clock.advance(30)
    job = emulated.provider.describe_job(good)
    assert (job.status, job.num_deleted) == (JobStatus.COMPLETED, 1)  # and it goes on working


def test_the_principal_is_the_emulators_sts_user(emulated: World) -> None:
    """In-process or over HTTP, the emulator names the one user its STS answers with."""
    assert emulated.provider.principal() == f"arn:aws:iam::{ACCOUNT}:user/emulator"


def test_campaigns_describe_each_solution_and_version_once(emulated: World) -> None:
    group = emulated.create_group("shop")
    solution = emulated.add_solution(group, "sol")
    emulated.add_solution(group, "undeployed")
    version = emulated.train(solution)
    emulated.deploy("recs", version)
    emulated.deploy("recs-2", version)
    emulated.provider.calls.clear()
    campaigns = emulated.provider.campaigns(group)
    assert sorted(c.name for c in campaigns) == ["recs", "recs-2"]
    calls = emulated.provider.calls
    assert (calls["ListSolutions"], calls["ListCampaigns"]) == (1, 2)
    assert (calls["DescribeSolution"], calls["DescribeCampaign"]) == (1, 2)
    assert calls["DescribeSolutionVersion"] == 1


def test_an_import_listed_without_its_mode_is_described(
    emulated: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older answer of ListDatasetImportJobs has no importMode: Describe says it; where the
    List says it, nothing is described."""
    group = emulated.create_group("shop")
    emulated.add_import(group, "nightly", mode="INCREMENTAL")
    emulated.provider.calls.clear()
    [listed] = emulated.provider.imports(group)
    assert listed.mode == "INCREMENTAL"
    assert emulated.provider.calls["DescribeDatasetImportJob"] == 0

    send = emulated.provider._send  # type: ignore[attr-defined]

    def older(region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = send(region, operation, params)
        for job in body.get("datasetImportJobs", []):
            job.pop("importMode", None)
        return body

    monkeypatch.setattr(emulated.provider, "_send", older)
    [described] = emulated.provider.imports(group)
    assert described == listed
    assert emulated.provider.calls["DescribeDatasetImportJob"] == 1


def test_a_solution_that_does_not_name_its_schedule_trains_weekly(emulated: World) -> None:
    """performAutoTraining is true unless said otherwise, every 7 days unless
    autoTrainingConfig says; a solution that does not say it trains is not assumed to."""
    group = emulated.create_group("shop")
    assert emulated.service is not None
    params = {"name": "sol", "datasetGroupArn": group, "recipeArn": RECIPE}
    solution = emulated.service.handle("CreateSolution", params, region="eu-west-1")
    emulated.clock.advance(30)
    emulated.deploy("recs", emulated.train(solution["solutionArn"]))
    [campaign] = emulated.provider.campaigns(group)
    assert campaign.auto_training == "rate(7 days)"
    assert auto_training({"performAutoTraining": False}) is None
    assert auto_training({}) is None


def test_a_campaign_that_follows_the_latest_version_serves_it(
    emulated: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A campaign deployed as SOLUTION/$LATEST with syncWithLatestSolutionVersion (which the
    emulator does not play: its answer is rewritten here) serves the solution's latest version."""
    group = emulated.create_group("shop")
    solution = emulated.add_solution(group, "sol", auto_training="rate(1 day)")
    emulated.deploy("recs", emulated.train(solution))
    trained = emulated.clock.now
    latest = emulated.train(solution)
    send = emulated.provider._send  # type: ignore[attr-defined]

    def following(region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = send(region, operation, params)
        if operation == "DescribeCampaign":
            body["campaign"]["solutionVersionArn"] = f"{solution}/$LATEST"
            body["campaign"]["campaignConfig"] = {"syncWithLatestSolutionVersion": True}
        return body

    monkeypatch.setattr(emulated.provider, "_send", following)
    [campaign] = emulated.provider.campaigns(group)
    assert (campaign.solution_version_arn, campaign.follows_latest) == (latest, True)
    assert campaign.version_created is not None
    assert campaign.version_created.timestamp() == pytest.approx(trained)
