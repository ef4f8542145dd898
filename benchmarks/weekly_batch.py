"""Benchmark: the weekly batch. 100 dataset groups hold 100 recorded, COMPLETED jobs each; this
week's manifests add one job per group. Reports the time of `reconciler plan` of that tree, the
time of `reconciler apply` that creates the 100 jobs (and of `apply --wait` that follows them to
the end), and the state writes each made.

Target (issue 10): apply <= 3x plan; <= 4 state writes, plus one per tracking poll.
Run: python benchmarks/weekly_batch.py [GROUPS] [JOBS_PER_GROUP]
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.cli import main
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.service import EmulatorService
from reconciler.models import JobSpec, ServiceJob
from reconciler.runtime import Runtime
from reconciler.settings import StateSettings
from reconciler.state.document import JobRecord, new_state
from reconciler.state.interface import StateBackend
from reconciler.state.local import LocalBackend

ROLE = "arn:aws:iam::123456789012:role/R"
LOCATION = "s3://bench/users.csv"


def group_arn(g: int) -> str:
    return f"arn:aws:personalize:eu-west-1:123456789012:dataset-group/g{g:03d}"


def setup(root: Path, groups: int, per_group: int) -> None:
    """The emulator with every old job COMPLETED, the state recording them, the manifests."""
    (root / "s3" / "bench").mkdir(parents=True)
    (root / "s3" / "bench" / "users.csv").write_text("USER_ID\nu1\nu2\n")
    (root / "emulator.yaml").write_text(
        "apiVersion: emulator/v1\nkind: Emulator\n"
        f"database: {root}/e.sqlite3\ns3Root: {root}/s3\n"
        "pendingSeconds: 0\ninProgressSeconds: 0\npendingJobsLimit: 1000\n"
        "datasetGroups:\n" + "".join(f"  - arn: {group_arn(g)}\n" for g in range(groups))
    )
    config = EmulatorConfig(
        database=root / "e.sqlite3",
        s3_root=root / "s3",
        pending_seconds=0,
        in_progress_seconds=0,
        pending_jobs_limit=1000,
        dataset_groups=[{"arn": group_arn(g)} for g in range(groups)],  # type: ignore[list-item]
    )
    service = EmulatorService(config)
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\n"
        f"provider: {{name: local, emulatorConfig: {root}/emulator.yaml}}\n"
        f"state: {{backend: local, path: {root}/state.json}}\n"
        "polling: {intervalSeconds: 0.05, maxIntervalSeconds: 0.2}\n"
    )
    records: dict[str, JobRecord] = {}
    now = datetime.now(UTC)
    for g in range(groups):
        jobs = []
        for j in range(per_group):
            name = f"g{g:03d}-w{j:03d}"
            jobs.append(f"  - jobName: {name}\n    dataSource: {{dataLocation: {LOCATION}}}\n")
            spec = JobSpec(
                dataset_group_arn=group_arn(g),
                job_name=name,
                data_location=LOCATION,
                role_arn=ROLE,
            )
            arn = service.handle(
                "CreateDataDeletionJob",
                {
                    "jobName": name,
                    "datasetGroupArn": group_arn(g),
                    "dataSource": {"dataLocation": LOCATION},
                    "roleArn": ROLE,
                },
                region="eu-west-1",
            )["dataDeletionJobArn"]
            seen = ServiceJob(
                arn=arn,
                job_name=name,
                dataset_group_arn=group_arn(g),
                status="COMPLETED",
                created=now,
                last_updated=now,
                data_location=LOCATION,
                role_arn=ROLE,
                num_deleted=2,
            )
            address = f"g{g:03d}/{name}"
            records[address] = JobRecord(
                address=address,
                spec=spec,
                spec_digest=spec.digest(),
                manifest=f"manifests/g{g:03d}.yaml:5:5",
                job_name=name,
                seen=seen,
            )
        new = f"  - jobName: g{g:03d}-this-week\n    dataSource: {{dataLocation: {LOCATION}}}\n"
        (manifests / f"g{g:03d}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
            f"datasetGroupArn: {group_arn(g)}\ndefaults: {{roleArn: '{ROLE}'}}\njobs:\n"
            + "".join(jobs)
            + new
        )
    LocalBackend(root / "state.json").save(new_state().model_copy(update={"jobs": records}))


class Counting:
    """The state backend the settings name, counting its writes."""

    def __init__(self) -> None:
        self.writes = 0

    def __call__(self, settings: StateSettings) -> StateBackend:
        backend = LocalBackend(settings.path)
        save = backend.save

        def counted(document: Any) -> Any:
            self.writes += 1
            return save(document)

        backend.save = counted  # type: ignore[method-assign]
        return backend


def run(*argv: str) -> tuple[float, int]:
    counting = Counting()
    runtime = Runtime(environ={}, out=io.StringIO(), err=io.StringIO(), make_backend=counting)
    started = time.perf_counter()
    code = main(list(argv), runtime)
    elapsed = time.perf_counter() - started
    if code not in (0, 2):
        raise SystemExit(f"{argv} exited {code}: {runtime.err.getvalue()}")
    return elapsed, counting.writes


def main_() -> None:
    groups = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per_group = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        started = time.perf_counter()
        setup(root, groups, per_group)
        print(
            f"setup: {groups * per_group} recorded COMPLETED jobs in {groups} groups, "
            f"{time.perf_counter() - started:.1f} s"
        )
        os.chdir(root)
        plan_seconds, plan_writes = run("plan", "-m", "manifests")
        apply_seconds, apply_writes = run("apply", "-m", "manifests", "--auto-approve")
        print(f"plan   {plan_seconds:6.2f} s   {plan_writes} state writes")
        print(
            f"apply  {apply_seconds:6.2f} s   {apply_writes} state writes   "
            f"({apply_seconds / plan_seconds:.1f}x plan; {groups} jobs created)"
        )
        met = apply_seconds <= 3 * plan_seconds and apply_writes <= 4
        print(f"target (apply <= 3x plan, <= 4 state writes): {'met' if met else 'NOT MET'}")
        for g in range(groups):  # next week: one more job per group, followed to the end
            path = root / "manifests" / f"g{g:03d}.yaml"
            new = f"  - jobName: g{g:03d}-next-week\n    dataSource: {{dataLocation: {LOCATION}}}\n"
            path.write_text(path.read_text() + new)
        wait_seconds, wait_writes = run("apply", "-m", "manifests", "--auto-approve", "--wait")
        print(
            f"apply --wait {wait_seconds:6.2f} s   {wait_writes} state writes "
            f"(creates, then tracking to COMPLETED)"
        )


if __name__ == "__main__":
    main_()
