"""`reconciler plan` on the local emulator, in process: real files, the real CLI parser."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from reconciler.emulator.config import EmulatorConfig, load_config
from reconciler.emulator.service import EmulatorService
from reconciler.manifest.loader import load_manifests
from reconciler.models import DesiredJob
from reconciler.planfile import load_plan
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Limits, Origin, Plan, RecordedJob, RecordedState
from reconciler.providers.interface import Provider
from reconciler.providers.local import LocalProvider
from reconciler.refresh import refresh
from reconciler.state.document import JobRecord, new_state
from reconciler.state.local import LocalBackend
from tests.commands.conftest import STATE, Project
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.planning.builders import desired


def emulator(project: Project) -> LocalProvider:
    config = load_config(Path("example-data/emulator.yaml"))
    return LocalProvider(EmulatorService(config, clock=project.clock))


def test_empty_emulator_plans_every_job_as_create(project: Project) -> None:
    assert project.run("plan", "--detailed-exitcode") == 2, project.err.getvalue()
    out = project.out.getvalue()
    assert "Plan: 5 to create, 0 to retry, 0 to forget." in out
    assert out.count("will be created") == 5
    assert "\x1b[" not in out  # not a terminal: no colours
    assert "eu-00001" not in out  # never the users' IDs


def test_json_plan_has_terraform_keys_and_create_actions(project: Project) -> None:
    assert project.run("plan", "--format", "json") == 0, project.err.getvalue()
    document = json.loads(project.out.getvalue())
    assert document["format_version"] == "1.6"
    assert document["applyable"] is True and document["errored"] is False
    assert [c["change"]["actions"] for c in document["resource_changes"]] == [["create"]] * 5
    assert {c["type"] for c in document["resource_changes"]} == {"personalize_data_deletion_job"}
    assert document["api_calls"] == {  # what runs in the 2 groups is asked: they get creates
        "DescribeDatasetGroup": 2,
        "ListDataDeletionJobs": 2,
        "ListDatasets": 2,
        "ListSolutions": 2,
    }
    assert document["prior_state"]["values"]["root_module"]["resources"] == []


def test_markdown_plan(project: Project) -> None:
    assert project.run("plan", "--format", "markdown") == 0
    out = project.out.getvalue()
    assert out.startswith("**Plan: 5 to create, 0 to retry, 0 to forget**\n\n**Target: local")
    assert "| 🆕 create | `shop-eu/gdpr-2026-w46` | `gdpr-2026-w46` | `shop-eu` |" in out
    assert out.endswith("<!-- reconciler-plan -->\n")  # CI updates the one comment in place


def test_saved_plan_round_trips(project: Project) -> None:
    assert project.run("plan", "-out=plan.json") == 0
    assert "Saved the plan to plan.json." in project.err.getvalue()
    saved = load_plan(Path("plan.json"))
    assert saved.summary()["create"] == 5
    assert saved.manifests_digest == load_manifests([Path("manifests")]).digest
    assert saved.serial is None and saved.lineage is None
    assert Path("plan.json").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in Path(".").iterdir() if p.name.endswith(".tmp")] == []


def test_defect_07_plan_out_never_writes_through_a_link_or_leaves_a_temporary(
    project: Project,
) -> None:
    Path(".plan.json.tmp").symlink_to("trap")  # the name the old code wrote through
    assert project.run("plan", "-out", "plan.json") == 0
    assert not Path("trap").exists()
    assert Path("plan.json").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in Path(".").iterdir() if p.name.startswith(".plan")) == [
        ".plan.json.tmp"
    ]
    Path("link.json").symlink_to("elsewhere.json")
    assert project.run("plan", "-out", "link.json") == 1
    assert project.err.getvalue() == (
        "Error: link.json is not a regular file: give -out a new file name\n"
    )


def test_defect_04_plan_out_to_a_directory_is_a_one_line_error(project: Project) -> None:
    Path("plans").mkdir()
    assert project.run("plan", "-out", "plans") == 1
    assert project.err.getvalue() == (
        "Error: plans is a directory: give -out a file name, e.g. plans/plan.json\n"
    )


def _files_under(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_r2_03_plan_out_never_writes_over_the_states_own_files(project: Project) -> None:
    assert project.apply() == 0
    assert project.apply() == 0  # a second write: the backup exists too
    temporary = f".state.json.{'ab' * 16}.tmp"  # what a killed write leaves, the next run removes
    (project.root / ".reconciler" / temporary).write_bytes(b"")
    Path("linked").symlink_to(".reconciler")  # a linked directory
    before = _files_under(project.root / ".reconciler")
    assert {"state.json", "state.json.backup", "state.json.lock", "state.json.lineage"} <= set(
        before
    )
    serial = project.state().serial
    for path in (
        ".reconciler/state.json",
        ".reconciler/state.json.backup",
        ".reconciler/state.json.lock",
        ".reconciler/state.json.lineage",
        f".reconciler/{temporary}",
        f".reconciler/.state.json.backup.{'cd' * 16}.tmp",  # a new temporary of the backup
        "./.reconciler/../.reconciler/state.json",
        "linked/state.json.backup",
        "manifests/../linked/./state.json.lineage",
    ):
        assert project.run("plan", "-out", path) == 1, path
        assert project.err.getvalue() == (
            f"Error: -out {Path(path)} is one of the state's own files (.reconciler/state.json, "
            "its backup, lock, lineage or their temporaries): write it elsewhere\n"
        )
        assert project.out.getvalue() == ""  # refused before anything was read or planned
    assert _files_under(project.root / ".reconciler") == before
    assert project.state().serial == serial  # reads, and nothing moved back


def test_r2_03_a_linked_states_files_are_found_beside_its_target(project: Project) -> None:
    assert project.apply() == 0
    shared = project.root / "shared"
    shared.mkdir()
    for name in ("state.json", "state.json.backup", "state.json.lineage"):
        source = project.root / ".reconciler" / name
        if source.exists():
            source.rename(shared / name)
    (project.root / ".reconciler" / "state.json").symlink_to(shared / "state.json")
    before = _files_under(shared)
    for path in ("shared/state.json", "shared/state.json.lineage", ".reconciler/state.json"):
        assert project.run("plan", "-out", path) == 1, path
        assert "is one of the state's own files" in project.err.getvalue()
    assert _files_under(shared) == before
    assert (project.root / ".reconciler" / "state.json").is_symlink()
    assert project.run("plan", "-out", "shared/plan.json") == 0  # beside it is fine


def test_jobs_already_in_the_service_are_imported(project: Project) -> None:
    provider = emulator(project)
    for job in load_manifests([Path("manifests")]).jobs:
        provider.create_job(job.spec)
    assert project.run("plan", "--detailed-exitcode") == 2, project.err.getvalue()
    assert "State: 5 jobs to import from the service (no service change)." in project.out.getvalue()
    assert project.run("plan", "--format", "json") == 0
    document = json.loads(project.out.getvalue())
    assert document["api_calls"]["DescribeDataDeletionJob"] == 5
    assert document["api_calls"]["ListTagsForResource"] == 5  # Describe returns no tags
    assert all("importing" in c["change"] for c in document["resource_changes"])


def test_a_job_with_other_tags_is_a_conflict_not_an_import(project: Project) -> None:
    provider = emulator(project)
    [job] = [
        j for j in load_manifests([Path("manifests")]).jobs if j.spec.job_name == "gdpr-2026-w46"
    ]
    provider.create_job(job.spec.model_copy(update={"tags": {**job.spec.tags, "team": "growth"}}))
    assert project.run("plan") == 1
    out = project.out.getvalue()
    assert "Error: Job name 'gdpr-2026-w46' is already used by another job" in out
    assert "  tags.team: 'growth' -> 'privacy'" in out
    assert project.apply() == 1
    assert not STATE.exists() or "shop-eu/gdpr-2026-w46" not in project.state().jobs


def test_recorded_jobs_are_no_changes_and_exit_0(project: Project) -> None:
    provider = emulator(project)
    records = {}
    for job in load_manifests([Path("manifests")]).jobs:
        arn = provider.create_job(job.spec)
        records[job.address] = JobRecord(
            address=job.address,
            spec=job.spec,
            spec_digest=job.spec.digest(),
            manifest=str(job.source),
            job_name=job.spec.job_name,
            seen=provider.describe_job(arn),
        )
    LocalBackend(STATE).save(new_state().model_copy(update={"jobs": records}))
    assert project.run("plan", "--detailed-exitcode") == 0, project.err.getvalue()
    target, _, verdict, *_ = project.out.getvalue().splitlines()
    assert target.startswith("Target: local emulator (.reconciler/emulator.sqlite3), eu-west-1")
    assert verdict.startswith("No changes.")


def test_plan_with_errors_exits_1_and_saves_nothing(project: Project) -> None:
    shop_eu = Path("manifests/shop-eu.yaml")
    shop_eu.write_text(shop_eu.read_text().replace("shop-eu\n", "shop-gone\n", 1))
    assert project.run("plan", "--detailed-exitcode", "-out", "plan.json") == 1
    assert "Error: Dataset group not found" in project.out.getvalue()
    assert "The plan was not saved to plan.json: it has errors." in project.err.getvalue()
    assert not Path("plan.json").exists()


def test_corrupt_state_is_reported_and_left_alone(project: Project) -> None:
    STATE.parent.mkdir()
    STATE.write_text('{"version": 1, "lineage": "x", "ser')
    assert project.run("plan") == 1
    err = project.err.getvalue()
    assert "is corrupt" in err and "state.json.backup" in err
    assert STATE.read_text() == '{"version": 1, "lineage": "x", "ser'


def test_invalid_manifests_are_listed_not_traced(project: Project) -> None:
    Path("manifests/bad.yaml").write_text("apiVersion: reconciler/v1\nkind: Nope\n")
    assert project.run("plan") == 1
    assert project.err.getvalue().splitlines() == [
        "manifests/bad.yaml:2:7: kind: unknown kind 'Nope'; expected one of DeletionJobs, "
        "Request, Settings",
        "1 problem found; nothing was changed.",
    ]


def recorded_jobs(
    provider: Provider, groups: list[str], per_group: int
) -> tuple[list[DesiredJob], RecordedState]:
    """`per_group` jobs created in each group, all recorded as the service lists them."""
    jobs, records = [], {}
    for group in groups:
        declared = {}
        for j in range(per_group):
            job = desired(f"{group.rsplit('/', 1)[1]}-j{j:03d}", grp=group)
            provider.create_job(job.spec)
            declared[job.spec.job_name] = job
        for seen in provider.list_jobs(group):
            job = declared[seen.job_name]
            jobs.append(job)
            records[job.address] = RecordedJob(
                address=job.address,
                spec=job.spec,
                spec_digest=job.spec.digest(),
                job_name=job.spec.job_name,
                seen=seen,
            )
    return jobs, RecordedState(lineage="L", serial=1, jobs=records)


def plan_of(provider: Provider, jobs: list[DesiredJob], stored: RecordedState) -> Plan:
    provider.calls.clear()
    live = refresh(jobs, sorted({j.spec.dataset_group_arn for j in jobs}), stored, provider)
    origin = Origin(target=provider.target([]), state_location="s", manifests_digest="d")
    return make_plan(jobs, stored, live, Limits(max_pending=5), origin)


def test_plan_at_scale_lists_each_group_once_and_describes_nothing_unchanged() -> None:
    """10,000 declared jobs in 100 dataset groups, all recorded: 100 List calls, 0 Describe."""
    provider = FakeProvider(FakeClock(), pending_limit=10_000, pending_seconds=3600)
    groups = [provider.add_group(f"g{g:03d}") for g in range(100)]
    jobs, stored = recorded_jobs(provider, groups, 100)
    plan = plan_of(provider, jobs, stored)
    assert plan.api_calls == {"ListDataDeletionJobs": 100}
    assert len(plan.changes) == 10_000
    assert not plan.has_changes and not plan.errored


def test_plan_through_the_emulator_reads_each_group_in_pages_and_describes_nothing(
    tmp_path: Path,
) -> None:
    """The same through the real provider code (paging and counting in providers/base.py):
    1,500 recorded jobs in 10 groups of two pages each: 20 List calls, 0 Describe."""
    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3", s3_root=tmp_path, pending_jobs_limit=1000
    )
    provider = LocalProvider(EmulatorService(config))
    groups = [
        provider.service.handle("CreateDatasetGroup", {"name": f"g{g}"}, region="eu-west-1")[
            "datasetGroupArn"
        ]
        for g in range(10)
    ]
    jobs, stored = recorded_jobs(provider, groups, 150)
    plan = plan_of(provider, jobs, stored)
    assert plan.api_calls == {"ListDataDeletionJobs": 20}
    assert len(plan.changes) == 1500 and not plan.has_changes and not plan.errored


def test_the_quick_start_keeps_its_directory_private_whatever_the_umask(project: Project) -> None:
    previous = os.umask(0)
    try:
        assert project.run("plan") == 0  # the emulator's database is made first, then the state
        assert project.apply() == 0
    finally:
        os.umask(previous)
    made = project.root / ".reconciler"
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
