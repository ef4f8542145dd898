"""Refresh reads dataset groups concurrently, at most `per_region` calls at once in a region, and
sees exactly what reading them one after another sees, with the same calls."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from reconciler.models import DesiredJob, JobStatus, ServiceJob
from reconciler.planning.model import RecordedJob, RecordedState
from reconciler.providers.interface import TransientError
from reconciler.refresh import refresh
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.planning.builders import desired

REGIONS = ("eu-west-1", "us-east-1")


class Overlapping(FakeProvider):
    """The fake service, counting the List calls in flight per region; the first `hold` calls of
    each region wait until that many are in flight together (a sequential refresh would time
    out on the barrier and fail the test rather than pass it)."""

    def __init__(self, clock: FakeClock, hold: int) -> None:
        super().__init__(clock, pending_seconds=3600)
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.barriers = {region: threading.Barrier(hold, timeout=10) for region in REGIONS}
        self.waited: Counter[str] = Counter()

    def list_jobs(
        self, dataset_group_arn: str, *, until_seen: frozenset[str] | None = None
    ) -> list[ServiceJob]:
        region = dataset_group_arn.split(":")[3]
        with self.lock:
            self.in_flight[region] += 1
            self.most[region] = max(self.most[region], self.in_flight[region])
            wait = self.waited[region] < self.barriers[region].parties
            self.waited[region] += 1
        try:
            if wait:
                self.barriers[region].wait()
            with self.lock:  # the fake itself is not made for threads
                return super().list_jobs(dataset_group_arn, until_seen=until_seen)
        finally:
            with self.lock:
                self.in_flight[region] -= 1


def world(provider: FakeProvider) -> tuple[list[DesiredJob], RecordedState]:
    """20 groups in each of 2 regions, a job recorded in each, one unrecorded found by name."""
    jobs, records = [], {}
    for region in REGIONS:
        for g in range(20):
            group = provider.add_group(f"{region}-g{g:02d}", region)
            job = desired(f"j-{region}-{g:02d}", grp=group)
            provider.inputs[job.spec.data_location] = 3
            arn = provider.create_job(job.spec)
            jobs.append(job)
            if g == 0:
                continue  # unrecorded: found by name, described and its tags read
            records[job.address] = RecordedJob(
                address=job.address,
                spec=job.spec,
                spec_digest=job.spec.digest(),
                job_name=job.spec.job_name,
                seen=provider.describe_job(arn),
            )
    provider.calls.clear()
    return jobs, RecordedState(lineage="L", serial=1, jobs=records)


def test_groups_are_read_concurrently_bounded_per_region_and_see_the_same() -> None:
    clock = FakeClock()
    concurrent = Overlapping(clock, hold=8)
    jobs, recorded = world(concurrent)
    groups = sorted({j.spec.dataset_group_arn for j in jobs})
    seen = refresh(jobs, groups, recorded, concurrent, per_region=8)
    assert dict(concurrent.most) == {"eu-west-1": 8, "us-east-1": 8}  # 8 at once, never more

    sequential = FakeProvider(clock, pending_seconds=3600)
    jobs_again, recorded_again = world(sequential)
    one_by_one = refresh(jobs_again, groups, recorded_again, sequential, per_region=1)
    assert seen.groups == one_by_one.groups and seen.tags == one_by_one.tags
    assert (
        seen.api_calls
        == one_by_one.api_calls
        == {
            "ListDataDeletionJobs": 40,
            "DescribeDataDeletionJob": 2,
            "ListTagsForResource": 2,
        }
    )
    assert all(j.status is JobStatus.PENDING for g in seen.groups.values() for j in g.jobs)


def test_the_first_error_is_raised_once_the_calls_under_way_ended() -> None:
    provider = FakeProvider(FakeClock())
    jobs, recorded = world(provider)
    provider.fail_next["ListDataDeletionJobs"] = [TransientError("busy")]
    groups = sorted({j.spec.dataset_group_arn for j in jobs})
    with pytest.raises(TransientError, match="busy"):
        refresh(jobs, groups, recorded, provider, per_region=8)
