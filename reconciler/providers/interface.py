"""What the reconciler needs from Personalize, as a small Protocol, and the errors it may raise.

Only providers talk to the service. Every implementation (the boto3 `aws` provider, the in-process
`local` emulator, a test fake) runs the same contract tests and translates the service's errors
into the `ProviderError` subclasses below, each with a message that says what to do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from reconciler.errors import ReconcilerError
from reconciler.models import (
    Activity,
    CampaignModel,
    DatasetImport,
    Frozen,
    JobSpec,
    ServiceJob,
    SolutionModel,
    Target,
)
from reconciler.providers.inputs import InputReader


class DatasetGroupInfo(Frozen):
    arn: str
    name: str
    status: str


class ProviderError(ReconcilerError):
    """The service refused or failed a call; the message says what to do."""


class TransientError(ProviderError):
    """Throttling, a 5xx answer or a broken connection that outlasted the retries: try later."""


class Throttled(TransientError):
    """The service refused the request's rate (after the retries): it was not carried out."""


class QuotaExceeded(ProviderError):
    """The dataset group already has the maximum of PENDING jobs (or the account's job quota)."""


class AlreadyExists(ProviderError):
    """A job of this name exists in the account and region."""


class InvalidInput(ProviderError):
    """The service rejected the request's values."""


class NotFound(ProviderError):
    """The dataset group or job does not exist."""


class AccessDenied(ProviderError):
    """Missing or refused credentials or permissions."""


class Provider(Protocol):
    """The Personalize operations the reconciler uses. `calls` counts API calls by operation."""

    name: str
    calls: Counter[str]
    polling_defaults: tuple[float, float]  # first and longest interval between tracking polls
    parallel_reads: int  # calls worth making at once per region (1: one after another)

    def list_jobs(
        self, dataset_group_arn: str, *, until_seen: frozenset[str] | None = None
    ) -> list[ServiceJob]:
        """The group's deletion jobs as List shows them, newest first: every page, or with
        `until_seen` only the pages up to the one where the last of those job names appeared
        (trackers poll the newest jobs, which the first page holds)."""
        ...

    def describe_job(self, job_arn: str) -> ServiceJob:
        """The job with everything Describe tells (data source, role, numDeleted)."""
        ...

    def list_tags(self, job_arn: str) -> dict[str, str]:
        """The job's tags (Describe does not return them)."""
        ...

    def create_job(self, spec: JobSpec) -> str:
        """Create the job and return its ARN."""
        ...

    def describe_dataset_group(self, dataset_group_arn: str) -> DatasetGroupInfo | None:
        """The dataset group, or None where it does not exist."""
        ...

    def list_dataset_groups(self, region: str) -> list[DatasetGroupInfo]:
        """Every dataset group of the credentials' account in `region` (every page)."""
        ...

    def activity(self, dataset_group_arn: str) -> list[Activity]:
        """What runs in the group now (pending or in progress): dataset imports (ListDatasets,
        ListDatasetImportJobs), trainings (ListSolutions, ListSolutionVersions), batch inference
        and batch segment jobs of its solution versions."""
        ...

    def solutions(self, dataset_group_arn: str) -> list[SolutionModel]:
        """The group's solutions, each with its latest ACTIVE version (ListSolutions,
        ListSolutionVersions): deletions reach a custom model only through a new version."""
        ...

    def campaigns(self, dataset_group_arn: str) -> list[CampaignModel]:
        """The campaigns of the group's solutions, each with the solution version it serves and
        when that version was created, its solution's automatic training schedule, and any
        update in progress (ListSolutions, ListCampaigns per solution, DescribeSolution,
        DescribeCampaign, DescribeSolutionVersion once per version): a campaign serving a
        version created before a deletion COMPLETED still recommends from the deleted data."""
        ...

    def imports(self, dataset_group_arn: str) -> list[DatasetImport]:
        """Every dataset import job of the group's datasets, whatever its status, with its mode
        (ListDatasets, ListDatasetImportJobs per dataset; DescribeDatasetImportJob where the
        List does not say the mode): a FULL import, or one overlapping a deletion, can bring
        erased users back."""
        ...

    def input_reader(self) -> InputReader:
        """Where a job's input is read for preflight: S3, or the emulator's directory."""
        ...

    def target(self, regions: Sequence[str]) -> Target:
        """Where this provider acts for dataset groups in `regions`. The `aws` provider asks STS
        which account the credentials belong to (once)."""
        ...

    def principal(self) -> str | None:
        """Who the credentials are (the STS GetCallerIdentity ARN), as a create records it;
        None where it cannot be known. The `aws` provider asks STS once for this and `target`."""
        ...
