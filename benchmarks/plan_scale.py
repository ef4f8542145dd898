"""Benchmark: plan 10,000 declared jobs in 100 dataset groups, every one recorded in state.

Reports seconds and peak memory for the refresh + plan of one `reconciler plan`, through the
local provider and through the aws provider (boto3) against the emulator over HTTP on loopback,
plus the API calls made. Run: python benchmarks/plan_scale.py [GROUPS] [JOBS_PER_GROUP]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import boto3

from reconciler.diagnostics import Location
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.service import EmulatorService
from reconciler.models import DesiredJob, JobSpec
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Limits, Origin, RecordedState
from reconciler.providers.aws import AwsProvider
from reconciler.providers.base import ServiceProvider
from reconciler.providers.local import LocalProvider
from reconciler.refresh import refresh
from reconciler.settings import ProviderSettings
from reconciler.state.document import JobRecord, new_state
from reconciler.workspace import recorded_state

ROLE = "arn:aws:iam::123456789012:role/R"


def world(
    directory: Path, groups: int, per_group: int
) -> tuple[EmulatorService, list[DesiredJob], RecordedState]:
    config = EmulatorConfig(
        database=directory / "e.sqlite3",
        s3_root=directory / "s3",
        pending_jobs_limit=per_group,
        pending_seconds=3600,
    )
    service = EmulatorService(config)
    provider = LocalProvider(service)
    jobs: list[DesiredJob] = []
    records: dict[str, JobRecord] = {}
    for g in range(groups):
        group = service.handle("CreateDatasetGroup", {"name": f"g{g:03d}"}, region="eu-west-1")
        for j in range(per_group):
            name = f"g{g:03d}-j{j:04d}"
            spec = JobSpec(
                dataset_group_arn=group["datasetGroupArn"],
                job_name=name,
                data_location=f"s3://b/{name}.csv",
                role_arn=ROLE,
            )
            job = DesiredJob(address=f"g{g:03d}/{name}", spec=spec, source=Location("m"))
            arn = provider.create_job(spec)
            jobs.append(job)
            records[job.address] = JobRecord(
                address=job.address,
                spec=spec,
                spec_digest=spec.digest(),
                manifest="m",
                job_name=name,
                seen=provider.describe_job(arn),
            )
    recorded = recorded_state(new_state().model_copy(update={"jobs": records}))
    assert recorded is not None
    return service, jobs, recorded


def measure(
    label: str, provider: ServiceProvider, jobs: list[DesiredJob], state: RecordedState
) -> None:
    """Time one refresh + plan; then run it again under tracemalloc for the peak memory."""
    groups = sorted({j.spec.dataset_group_arn for j in jobs})

    def once() -> None:
        live = refresh(jobs, groups, state, provider)
        origin = Origin(target=provider.target([]), state_location="-", manifests_digest="-")
        plan = make_plan(jobs, state, live, Limits(max_pending=5), origin)
        assert not plan.has_changes and not plan.errored
        assert plan.api_calls == {"ListDataDeletionJobs": len(groups)}

    started = time.perf_counter()
    once()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    memory = f"peak {peak / 2**20:6.1f} MiB"
    print(f"{label:<24} {elapsed:6.2f} s   {memory}   {len(groups)} List calls, 0 Describe")


def main() -> None:
    groups = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per_group = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        service, jobs, state = world(Path(directory), groups, per_group)
        print(
            f"setup: {len(jobs)} jobs in {groups} groups created in "
            f"{time.perf_counter() - started:.1f} s"
        )
        measure("local provider", LocalProvider(service), jobs, state)
        server = EmulatorServer(service, "127.0.0.1", 0, verbose=False)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        session = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name="eu-west-1"
        )
        aws = AwsProvider(ProviderSettings(name="aws", endpoint_url=server.url), session=session)
        measure("aws provider over HTTP", aws, jobs, state)
        server.shutdown()
        server.server_close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
