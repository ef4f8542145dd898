"""The operations written once over one `_call`, for every provider that speaks the API.

A subclass only sends one request (`_call`) and translates its errors; pagination, the restart
on an expired `nextToken`, call counting and the mapping of the wire's JSON to models live here.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from reconciler.models import (
    Activity,
    CampaignModel,
    DatasetImport,
    JobSpec,
    ServiceJob,
    SolutionModel,
)
from reconciler.providers.interface import (
    DatasetGroupInfo,
    InvalidInput,
    NotFound,
    ProviderError,
)

PAGE_SIZE = 100
MAX_LISTING_RESTARTS = 3


def region_of(arn: str) -> str:
    """The region field of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        raise InvalidInput(f"{arn!r} is not an ARN with a region")
    return parts[3]


class ExpiredToken(ProviderError):
    """The service refused a nextToken: list again from the first page."""


class ServiceProvider(ABC):
    name: str
    polling_defaults: tuple[float, float]

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._counting = threading.Lock()

    @abstractmethod
    def _send(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one request; raise a ProviderError (ExpiredToken for a refused nextToken)."""

    def _call(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._counting:
            self.calls[operation] += 1
        return self._send(region, operation, params)

    def list_jobs(
        self, dataset_group_arn: str, *, until_seen: frozenset[str] | None = None
    ) -> list[ServiceJob]:
        region = region_of(dataset_group_arn)
        for _ in range(MAX_LISTING_RESTARTS):
            try:
                return self._list_all(region, dataset_group_arn, until_seen)
            except ExpiredToken:
                continue
        raise ProviderError(
            f"ListDataDeletionJobs: the service refused its own nextToken "
            f"{MAX_LISTING_RESTARTS} times for {dataset_group_arn}; try again later"
        )

    def _list_all(
        self, region: str, dataset_group_arn: str, until_seen: frozenset[str] | None
    ) -> list[ServiceJob]:
        jobs: dict[str, ServiceJob] = {}
        missing = set(until_seen) if until_seen is not None else None
        params: dict[str, Any] = {"datasetGroupArn": dataset_group_arn, "maxResults": PAGE_SIZE}
        while True:
            page = self._call(region, "ListDataDeletionJobs", params)
            for item in page.get("dataDeletionJobs", []):
                job = job_from_wire(item)
                jobs.setdefault(job.arn, job)
                if missing is not None:
                    missing.discard(job.job_name)
            token = page.get("nextToken")
            if not token or missing == set():
                return list(jobs.values())
            params = {**params, "nextToken": token}

    def describe_job(self, job_arn: str) -> ServiceJob:
        body = self._call(
            region_of(job_arn), "DescribeDataDeletionJob", {"dataDeletionJobArn": job_arn}
        )
        return job_from_wire(body["dataDeletionJob"])

    def list_tags(self, job_arn: str) -> dict[str, str]:
        body = self._call(region_of(job_arn), "ListTagsForResource", {"resourceArn": job_arn})
        return {tag["tagKey"]: tag["tagValue"] for tag in body.get("tags", [])}

    def create_job(self, spec: JobSpec) -> str:
        params: dict[str, Any] = {
            "jobName": spec.job_name,
            "datasetGroupArn": spec.dataset_group_arn,
            "dataSource": {"dataLocation": spec.data_location},
            "roleArn": spec.role_arn,
        }
        if spec.tags:
            params["tags"] = [{"tagKey": k, "tagValue": v} for k, v in spec.tags.items()]
        body = self._call(region_of(spec.dataset_group_arn), "CreateDataDeletionJob", params)
        return str(body["dataDeletionJobArn"])

    def activity(self, dataset_group_arn: str) -> list[Activity]:
        region = region_of(dataset_group_arn)
        group = {"datasetGroupArn": dataset_group_arn}
        found: list[Activity] = []
        for dataset in self._every(region, "ListDatasets", group, "datasets"):
            imports = {"datasetArn": dataset["datasetArn"]}
            for job in self._every(region, "ListDatasetImportJobs", imports, "datasetImportJobs"):
                found.append(_activity("dataset import job", job["jobName"], job))
        for solution in self._every(region, "ListSolutions", group, "solutions"):
            of = {"solutionArn": solution["solutionArn"]}
            for version in self._every(region, "ListSolutionVersions", of, "solutionVersions"):
                arn = version["solutionVersionArn"]
                found.append(_activity("solution version", arn, version))
                batch = {"solutionVersionArn": arn}
                for operation, key, kind in _BATCH:
                    for job in self._every(region, operation, batch, key):
                        found.append(_activity(kind, job["jobName"], job))
        return [item for item in found if running(item.status)]

    def solutions(self, dataset_group_arn: str) -> list[SolutionModel]:
        region = region_of(dataset_group_arn)
        found = []
        for solution in self._every(
            region, "ListSolutions", {"datasetGroupArn": dataset_group_arn}, "solutions"
        ):
            of = {"solutionArn": solution["solutionArn"]}
            versions = [
                SolutionModel(
                    arn=solution["solutionArn"],
                    name=solution["name"],
                    version_arn=version["solutionVersionArn"],
                    version_created=version["creationDateTime"],
                )
                for version in self._every(region, "ListSolutionVersions", of, "solutionVersions")
                if version.get("status") == "ACTIVE"
            ]
            latest = max(versions, key=lambda v: v.version_created or _EPOCH, default=None)
            found.append(
                latest or SolutionModel(arn=solution["solutionArn"], name=solution["name"])
            )
        return found

    def campaigns(self, dataset_group_arn: str) -> list[CampaignModel]:
        region = region_of(dataset_group_arn)
        found = []
        versions: dict[str, dict[str, Any]] = {}  # each version described once
        group = {"datasetGroupArn": dataset_group_arn}
        for solution in self._every(region, "ListSolutions", group, "solutions"):
            of = {"solutionArn": solution["solutionArn"]}
            listed = self._every(region, "ListCampaigns", of, "campaigns")
            if not listed:
                continue
            described = self._call(region, "DescribeSolution", of)["solution"]
            schedule = auto_training(described)
            for summary in listed:
                campaign = self._call(
                    region, "DescribeCampaign", {"campaignArn": summary["campaignArn"]}
                )["campaign"]
                version_arn = campaign.get("solutionVersionArn")
                if version_arn and version_arn.endswith("/$LATEST"):  # it follows the latest
                    version_arn = described.get("latestSolutionVersion", {}).get(
                        "solutionVersionArn"
                    )
                if version_arn and version_arn not in versions:
                    versions[version_arn] = self._call(
                        region, "DescribeSolutionVersion", {"solutionVersionArn": version_arn}
                    )["solutionVersion"]
                update = campaign.get("latestCampaignUpdate") or {}
                found.append(
                    CampaignModel(
                        arn=campaign["campaignArn"],
                        name=campaign["name"],
                        status=campaign["status"],
                        solution_version_arn=version_arn,
                        # a version not ACTIVE (training, failed) serves nothing yet
                        version_created=versions[version_arn]["creationDateTime"]
                        if version_arn and versions[version_arn].get("status") == "ACTIVE"
                        else None,
                        solution_arn=solution["solutionArn"],
                        auto_training=schedule,
                        follows_latest=bool(
                            (campaign.get("campaignConfig") or {}).get(
                                "syncWithLatestSolutionVersion"
                            )
                        ),
                        updating_to=update.get("solutionVersionArn")
                        if running(str(update.get("status", "")))
                        else None,
                        last_updated=campaign.get("lastUpdatedDateTime"),
                    )
                )
        return found

    def imports(self, dataset_group_arn: str) -> list[DatasetImport]:
        region = region_of(dataset_group_arn)
        found = []
        group = {"datasetGroupArn": dataset_group_arn}
        for dataset in self._every(region, "ListDatasets", group, "datasets"):
            of = {"datasetArn": dataset["datasetArn"]}
            for job in self._every(region, "ListDatasetImportJobs", of, "datasetImportJobs"):
                if "importMode" not in job:  # an older answer: Describe says it
                    job = self._call(
                        region,
                        "DescribeDatasetImportJob",
                        {"datasetImportJobArn": job["datasetImportJobArn"]},
                    )["datasetImportJob"]
                status = str(job["status"])
                found.append(
                    DatasetImport(
                        arn=job["datasetImportJobArn"],
                        name=job["jobName"],
                        status=status,
                        mode=job.get("importMode"),
                        dataset_arn=dataset["datasetArn"],
                        created=job["creationDateTime"],
                        completed=job.get("lastUpdatedDateTime") if status == "ACTIVE" else None,
                    )
                )
        return found

    def _every(
        self, region: str, operation: str, params: dict[str, Any], key: str
    ) -> list[dict[str, Any]]:
        """Every item of a paginated List operation."""
        items: list[dict[str, Any]] = []
        request = {**params, "maxResults": PAGE_SIZE}
        while True:
            page = self._call(region, operation, request)
            items += page.get(key, [])
            token = page.get("nextToken")
            if not token:
                return items
            request = {**request, "nextToken": token}

    def list_dataset_groups(self, region: str) -> list[DatasetGroupInfo]:
        return [
            DatasetGroupInfo(arn=item["datasetGroupArn"], name=item["name"], status=item["status"])
            for item in self._every(region, "ListDatasetGroups", {}, "datasetGroups")
        ]

    def describe_dataset_group(self, dataset_group_arn: str) -> DatasetGroupInfo | None:
        try:
            body = self._call(
                region_of(dataset_group_arn),
                "DescribeDatasetGroup",
                {"datasetGroupArn": dataset_group_arn},
            )
        except NotFound:
            return None
        group = body["datasetGroup"]
        return DatasetGroupInfo(
            arn=group["datasetGroupArn"], name=group["name"], status=group["status"]
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_BATCH = (
    ("ListBatchInferenceJobs", "batchInferenceJobs", "batch inference job"),
    ("ListBatchSegmentJobs", "batchSegmentJobs", "batch segment job"),
)


def running(status: str) -> bool:
    """Pending, in progress or stopping, however the kind spells it: CREATE PENDING, CREATE
    IN_PROGRESS, IN PROGRESS (batch jobs), CREATE_STOPPING…"""
    words = status.upper().replace("_", " ")
    return any(word in words for word in ("PENDING", "IN PROGRESS", "STOPPING"))


DEFAULT_AUTO_TRAINING = "rate(7 days)"  # the service's schedule where the solution names none


def auto_training(solution: dict[str, Any]) -> str | None:
    """The schedule of a solution's automatic training (DescribeSolution), or None where it
    does not train on its own. Only `performAutoTraining: true` counts: a solution that does not
    say (one created before automatic training existed) is not assumed to."""
    if solution.get("performAutoTraining") is not True:
        return None
    config = (solution.get("solutionConfig") or {}).get("autoTrainingConfig") or {}
    return str(config.get("schedulingExpression") or DEFAULT_AUTO_TRAINING)


def _activity(kind: str, name: str, item: dict[str, Any]) -> Activity:
    return Activity(kind=kind, name=name, status=str(item.get("status", "")))


def job_from_wire(item: dict[str, Any]) -> ServiceJob:
    """A job of a List answer (a summary) or of a Describe answer (with the data source, role and
    numDeleted). Timestamps arrive as datetimes from boto3 and as Unix seconds in-process."""
    return ServiceJob(
        arn=item["dataDeletionJobArn"],
        job_name=item["jobName"],
        dataset_group_arn=item["datasetGroupArn"],
        status=item["status"],
        created=item["creationDateTime"],
        last_updated=item.get("lastUpdatedDateTime", item["creationDateTime"]),
        failure_reason=item.get("failureReason"),
        data_location=item.get("dataSource", {}).get("dataLocation"),
        role_arn=item.get("roleArn"),
        num_deleted=item.get("numDeleted"),
    )
