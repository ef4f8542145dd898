"""The worlds the benchmarks run in: a manifests tree, an emulator holding its jobs, and a state
recording them, built directly (in seconds, not through thousands of applies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from reconciler.emulator.config import EmulatorConfig, Faults
from reconciler.emulator.service import EmulatorService
from reconciler.models import JobSpec, JobStatus, ServiceJob
from reconciler.state.document import JobRecord, new_state
from reconciler.state.local import LocalBackend

ROLE = "arn:aws:iam::123456789012:role/R"
LOCATION = "s3://bench/users.csv"
REGION = "eu-west-1"


def group_arn(g: int) -> str:
    return f"arn:aws:personalize:{REGION}:123456789012:dataset-group/g{g:03d}"


def job_entry(name: str) -> str:
    return f"  - jobName: {name}\n    dataSource: {{dataLocation: {LOCATION}}}\n"


def emulator_config(root: Path, groups: int, **knobs: object) -> EmulatorConfig:
    """The emulator's settings file at root/emulator.yaml (and its config): `groups` dataset
    groups, one input file of 2 users; `knobs` override its timings, quota and faults."""
    (root / "s3" / "bench").mkdir(parents=True, exist_ok=True)
    (root / "s3" / "bench" / "users.csv").write_text("USER_ID\nu1\nu2\n")
    values: dict[str, object] = {
        "database": str(root / "e.sqlite3"),
        "s3Root": str(root / "s3"),
        "pendingSeconds": 0,
        "inProgressSeconds": 0,
        "pendingJobsLimit": 1000,
        **knobs,
    }
    lines = "".join(f"{key}: {json.dumps(value)}\n" for key, value in values.items())
    arns = "".join(f"  - arn: {group_arn(g)}\n" for g in range(groups))
    (root / "emulator.yaml").write_text(
        f"apiVersion: emulator/v1\nkind: Emulator\n{lines}datasetGroups:\n{arns}"
    )
    config = EmulatorConfig.model_validate(
        {**values, "datasetGroups": [{"arn": group_arn(g)} for g in range(groups)]}
    )
    return config


def tree(
    root: Path,
    groups: int,
    recorded: int,
    new: int = 0,
    *,
    polling: str = "{intervalSeconds: 0.05, maxIntervalSeconds: 0.2}",
    **knobs: object,
) -> Path:
    """`groups` manifests (one per dataset group) declaring `recorded` jobs each, every one
    COMPLETED in the emulator and recorded in the state, plus `new` jobs each not created yet.
    Returns the manifests directory; the emulator's settings are `local`, the state local."""
    config = emulator_config(root, groups, **knobs)
    service = EmulatorService(config.model_copy(update={"faults": Faults()}))  # setup: no delay
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\n"
        f"provider: {{name: local, emulatorConfig: {json.dumps(str(root / 'emulator.yaml'))}}}\n"
        f"state: {{backend: local, path: {json.dumps(str(root / 'state.json'))}}}\n"
        f"polling: {polling}\n"
    )
    records: dict[str, JobRecord] = {}
    now = datetime.now(UTC)
    for g in range(groups):
        entries = []
        for j in range(recorded):
            name = f"g{g:03d}-w{j:04d}"
            entries.append(job_entry(name))
            spec = JobSpec(
                dataset_group_arn=group_arn(g), job_name=name, data_location=LOCATION, role_arn=ROLE
            )
            arn = service.handle(
                "CreateDataDeletionJob",
                {
                    "jobName": name,
                    "datasetGroupArn": group_arn(g),
                    "dataSource": {"dataLocation": LOCATION},
                    "roleArn": ROLE,
                },
                region=REGION,
            )["dataDeletionJobArn"]
            seen = ServiceJob(
                arn=arn,
                job_name=name,
                dataset_group_arn=group_arn(g),
                status=JobStatus.COMPLETED,
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
        entries += [job_entry(f"g{g:03d}-new{j:04d}") for j in range(new)]
        (manifests / f"g{g:03d}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
            f"datasetGroupArn: {group_arn(g)}\ndefaults: {{roleArn: '{ROLE}'}}\njobs:\n"
            + "".join(entries)
        )
    LocalBackend(root / "state.json").save(new_state().model_copy(update={"jobs": records}))
    return manifests


def add_jobs(manifests: Path, groups: int, label: str, count: int = 1) -> None:
    """`count` more jobs in each group's manifest (next week's batch)."""
    for g in range(groups):
        path = manifests / f"g{g:03d}.yaml"
        new = "".join(job_entry(f"g{g:03d}-{label}{j:04d}") for j in range(count))
        path.write_text(path.read_text() + new)
