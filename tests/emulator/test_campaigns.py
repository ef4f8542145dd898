"""Campaigns of the emulated service (reconciler/emulator/campaigns.py) and the mode of its
dataset imports, through boto3 over HTTP on the fake clock (pending 10 s, a campaign or its
update in progress 20 s, a training or an import 60 s): what AWS's documentation says of
CreateCampaign, DescribeCampaign, ListCampaigns and UpdateCampaign, and of importMode."""

from __future__ import annotations

from typing import Any

from tests.emulator.conftest import Served
from tests.emulator.test_activity import (
    PREFIX,
    RECIPE,
    active_dataset,
    active_version,
    error_of,
    import_job,
)


def campaign_of(client: Any, arn: str) -> dict[str, Any]:
    campaign: dict[str, Any] = client.describe_campaign(campaignArn=arn)["campaign"]
    return campaign


def test_a_campaign_moves_on_the_clock_and_is_listed_by_solution(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    version = active_version(served, client, group, "sol")
    other = active_version(served, client, group, "other")
    created = clock.now
    arn = client.create_campaign(
        name="recs", solutionVersionArn=version, tags=[{"tagKey": "team", "tagValue": "ml"}]
    )["campaignArn"]
    assert arn == f"{PREFIX}:campaign/recs"
    client.create_campaign(name="ranking", solutionVersionArn=other, minProvisionedTPS=5)
    seen = []
    for step in (0, 10, 20):
        clock.advance(step)
        campaign = campaign_of(client, arn)
        seen.append((campaign["status"], campaign["lastUpdatedDateTime"].timestamp() - created))
    assert seen == [("CREATE PENDING", 0), ("CREATE IN_PROGRESS", 10), ("ACTIVE", 30)]
    assert (campaign["solutionVersionArn"], campaign["minProvisionedTPS"]) == (version, 1)
    assert "latestCampaignUpdate" not in campaign  # only once updated, as the model says
    by_solution = client.list_campaigns(solutionArn=f"{PREFIX}:solution/sol")["campaigns"]
    assert [(c["name"], c["status"]) for c in by_solution] == [("recs", "ACTIVE")]
    assert "solutionVersionArn" not in by_solution[0]  # a summary: Describe says it
    everything = client.list_campaigns(maxResults=1)  # newest first; at one time, by ARN
    assert [c["name"] for c in everything["campaigns"]] == ["recs"]
    rest = client.list_campaigns(maxResults=1, nextToken=everything["nextToken"])
    assert [c["name"] for c in rest["campaigns"]] == ["ranking"]
    assert "nextToken" not in rest
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"tagKey": "team", "tagValue": "ml"}
    ]


def test_a_campaign_needs_an_active_version_and_a_free_name(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    version = active_version(served, client, group)
    training = client.create_solution_version(solutionArn=f"{PREFIX}:solution/sol")
    code, message = error_of(
        lambda: client.create_campaign(
            name="early", solutionVersionArn=training["solutionVersionArn"]
        )
    )
    assert (code, "is not ACTIVE" in message) == ("ResourceInUseException", True)
    absent = f"{PREFIX}:solution/sol/00000000"
    code, _ = error_of(lambda: client.create_campaign(name="x", solutionVersionArn=absent))
    assert code == "ResourceNotFoundException"
    code, message = error_of(
        lambda: client.create_campaign(name="bad name", solutionVersionArn=version)
    )
    assert (code, "at 'name'" in message) == ("InvalidInputException", True)
    client.create_campaign(name="recs", solutionVersionArn=version)
    code, _ = error_of(lambda: client.create_campaign(name="recs", solutionVersionArn=version))
    assert code == "ResourceAlreadyExistsException"
    arn = f"{PREFIX}:campaign/recs"
    code, _ = error_of(lambda: client.update_campaign(campaignArn=arn))
    assert code == "ResourceInUseException"  # CREATE PENDING: updated only when ACTIVE
    clock.advance(30)
    code, _ = error_of(lambda: client.update_campaign(campaignArn=arn, solutionVersionArn=absent))
    assert code == "ResourceNotFoundException"
    code, _ = error_of(lambda: client.describe_campaign(campaignArn=f"{PREFIX}:campaign/absent"))
    assert code == "ResourceNotFoundException"


def test_an_update_deploys_the_new_version_once_it_is_active(served: Served) -> None:
    client, clock = served.client(), served.clock
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    old = active_version(served, client, group, "sol")
    arn = client.create_campaign(name="recs", solutionVersionArn=old)["campaignArn"]
    clock.advance(30)
    new = client.create_solution_version(solutionArn=f"{PREFIX}:solution/sol")
    new_arn = new["solutionVersionArn"]
    clock.advance(70)
    other = active_version(served, client, group, "other")
    started = clock.now
    response = client.update_campaign(campaignArn=arn, solutionVersionArn=new_arn)
    assert response["campaignArn"] == arn
    seen = []
    for step in (0, 10, 20):
        clock.advance(step)
        campaign = campaign_of(client, arn)
        update = campaign["latestCampaignUpdate"]
        seen.append(
            (
                campaign["status"],
                campaign["solutionVersionArn"] == new_arn,
                update["status"],
                update["lastUpdatedDateTime"].timestamp() - started,
            )
        )
        if step == 10:
            code, _ = error_of(lambda: client.update_campaign(campaignArn=arn))
            assert code == "ResourceInUseException"  # an update is in progress
    assert seen == [
        ("ACTIVE", False, "CREATE PENDING", 0),
        ("ACTIVE", False, "CREATE IN_PROGRESS", 10),
        ("ACTIVE", True, "ACTIVE", 30),
    ]
    assert update["solutionVersionArn"] == new_arn
    assert campaign["lastUpdatedDateTime"].timestamp() == started + 30
    client.update_campaign(campaignArn=arn, solutionVersionArn=other)
    clock.advance(30)
    listed = client.list_campaigns(solutionArn=f"{PREFIX}:solution/other")["campaigns"]
    assert [c["campaignArn"] for c in listed] == [arn]  # it now serves the other solution
    assert client.list_campaigns(solutionArn=f"{PREFIX}:solution/sol")["campaigns"] == []


def test_an_import_says_its_mode_full_by_default(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    dataset = active_dataset(served, client, group)
    full = import_job(client, dataset, "reload")
    incremental = client.create_dataset_import_job(
        jobName="nightly",
        datasetArn=dataset,
        dataSource={"dataLocation": "s3://bucket/nightly.csv"},
        roleArn="arn:aws:iam::210987654321:role/Personalize",
        importMode="INCREMENTAL",
    )["datasetImportJobArn"]
    described = client.describe_dataset_import_job(datasetImportJobArn=full)
    assert described["datasetImportJob"]["importMode"] == "FULL"
    listed = client.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert {j["datasetImportJobArn"]: j["importMode"] for j in listed} == {
        full: "FULL",
        incremental: "INCREMENTAL",
    }
    code, message = error_of(
        lambda: client.create_dataset_import_job(
            jobName="odd",
            datasetArn=dataset,
            dataSource={"dataLocation": "s3://bucket/odd.csv"},
            importMode="PARTIAL",
        )
    )
    assert (code, "importMode" in message) == ("InvalidInputException", True)


def test_a_solution_says_its_automatic_training(served: Served) -> None:
    client = served.client()
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    default = client.create_solution(name="default", datasetGroupArn=group, recipeArn=RECIPE)
    weekly = client.describe_solution(solutionArn=default["solutionArn"])["solution"]
    assert weekly["performAutoTraining"] is True  # the service's default
    every3 = client.create_solution(
        name="every3",
        datasetGroupArn=group,
        recipeArn=RECIPE,
        performAutoTraining=True,
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
    )
    described = client.describe_solution(solutionArn=every3["solutionArn"])["solution"]
    assert described["solutionConfig"]["autoTrainingConfig"] == {
        "schedulingExpression": "rate(3 days)"
    }
    code, _ = error_of(
        lambda: client.create_solution(
            name="hourly",
            datasetGroupArn=group,
            recipeArn=RECIPE,
            solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(1 hour)"}},
        )
    )
    assert code == "InvalidInputException"
