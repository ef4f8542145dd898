"""The apply use case without the command line: a manifests tree on disk, the in-memory
provider and state backend, a fake clock; assertions on the result and the events, never on
streams (the use case writes to none)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.applying.executor import Result
from reconciler.applying.verdict import Undone, Unfinished, Waited
from reconciler.errors import UsageError
from reconciler.exitcodes import ExitCode
from reconciler.models import Activity
from reconciler.planfile import save_plan
from reconciler.state.document import StateDocument
from reconciler.state.interface import StateError
from reconciler.usecases.apply import (
    Applied,
    ApplyInputs,
    JobDone,
    Polled,
    checked,
    execute,
    prepare,
)
from reconciler.usecases.events import Note, Warned
from reconciler.usecases.saved_plans import StalePlan
from reconciler.workspace import open_tree
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.runtime import fake_runtime
from tests.fakes.state import MemoryBackend

GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
MANIFEST = f"""\
apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP}
defaults:
  roleArn: arn:aws:iam::123456789012:role/PersonalizeDeletion
jobs:
  - jobName: w46
    dataSource: {{dataLocation: s3://bucket/w46.csv}}
  - jobName: w47
    dataSource: {{dataLocation: s3://bucket/w47.csv}}
"""


class World:
    def __init__(self, root: Path) -> None:
        self.manifests = root / "manifests"
        self.manifests.mkdir()
        (self.manifests / "shop.yaml").write_text(MANIFEST)
        self.clock = FakeClock()
        self.provider = FakeProvider(self.clock)
        self.provider.add_group("shop")
        self.provider.inputs.update({"s3://bucket/w46.csv": 3, "s3://bucket/w47.csv": 4})
        self.backend = MemoryBackend()
        self.out, self.err = io.StringIO(), io.StringIO()
        self.runtime = fake_runtime(
            self.clock,
            out=self.out,
            err=self.err,
            make_provider=lambda settings: self.provider,
            make_backend=lambda settings: self.backend,
        )

    def apply(self, **inputs: object) -> tuple[Applied, list[object]]:
        events: list[object] = []
        given = ApplyInputs(self.manifests, **inputs)  # type: ignore[arg-type]
        with prepare(given, self.runtime) as prepared:
            assert self.backend.held is not None  # under the lock
            applied = execute(prepared, events.append)
        assert self.backend.held is None
        assert self.out.getvalue() == self.err.getvalue() == ""  # events only
        return applied, events

    @property
    def state(self) -> StateDocument:
        assert self.backend.document is not None
        return self.backend.document


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_apply_creates_the_declared_jobs_and_tells_each_outcome(world: World) -> None:
    with prepare(ApplyInputs(world.manifests), world.runtime) as prepared:
        assert prepared.asks  # changes, and no saved plan: the caller asks
        assert [c.address for c in prepared.plan.changes if c.creates] == ["shop/w46", "shop/w47"]
        events: list[object] = []
        applied = execute(prepared, events.append)
    assert applied.ok and applied.unfinished == () and applied.created
    assert applied.results == [Result.CREATED, Result.CREATED]
    done = [e.outcome.address for e in events if isinstance(e, JobDone)]
    assert done == ["shop/w46", "shop/w47"]
    assert sorted(world.state.jobs) == ["shop/w46", "shop/w47"]
    again, _ = world.apply()
    assert again.ok and again.outcomes == () and not again.created  # nothing left to do


def test_waiting_follows_the_jobs_and_says_which_failed(world: World) -> None:
    world.provider.inputs["s3://bucket/w47.csv"] = "Input data has no USER_ID column."
    applied, events = world.apply(wait=True)
    assert any(isinstance(e, Polled) for e in events)
    came_to = [e for e in events if isinstance(e, Waited)]
    assert len(came_to) == 1 and came_to[0].finished
    assert [item.address for item in came_to[0].failed] == ["shop/w47"]
    assert "no USER_ID column" in came_to[0].failed[0].detail
    assert not applied.ok and not applied.created  # waited: nothing left PENDING to mention
    assert applied.unfinished == (Unfinished(Undone.FAILED, 1),)
    assert applied.exit_code is ExitCode.FAILED and applied.attention == came_to[0].failed
    assert {r.address: r.status for r in world.state.jobs.values()} == {
        "shop/w46": "COMPLETED",
        "shop/w47": "FAILED",
    }


def test_a_wait_that_times_out_says_what_is_still_running(world: World) -> None:
    applied, events = world.apply(wait=True, timeout=5)
    (came_to,) = [e for e in events if isinstance(e, Waited)]
    assert not came_to.finished and came_to.running == 2 and came_to.timeout == 5
    assert not applied.ok and applied.unfinished == (Unfinished(Undone.RUNNING, 2),)
    assert applied.exit_code is ExitCode.ERROR and applied.attention == ()


def test_without_waiting_a_held_create_is_left_for_the_next_apply(world: World) -> None:
    nightly = Activity(kind="dataset import job", name="nightly", status="IN_PROGRESS")
    world.provider.running[GROUP].append(nightly)
    applied, events = world.apply()
    assert applied.results == [Result.QUEUED, Result.QUEUED]
    assert applied.ok and applied.exit_code is ExitCode.OK  # nothing wrong: the group is busy
    assert applied.unfinished == (Unfinished(Undone.HELD, 2),)
    assert world.provider.calls["CreateDataDeletionJob"] == 0
    assert not [e for e in events if isinstance(e, Warned)]


def test_a_job_deleted_out_of_band_is_a_warning_and_left_for_a_person(world: World) -> None:
    world.apply()
    world.provider.remove_job("w46")
    applied, events = world.apply()
    warned = [e.text for e in events if isinstance(e, Warned)]
    assert len(warned) == 1 and warned[0].startswith("shop/w46: ")
    assert applied.unfinished == (Unfinished(Undone.ATTENTION, 1),)
    assert [item.address for item in applied.attention] == ["shop/w46"]
    assert applied.exit_code is ExitCode.FAILED  # nothing will restore it: 5, not 0


def test_a_failed_job_the_plan_shows_is_left_for_a_person_without_waiting(world: World) -> None:
    world.provider.inputs["s3://bucket/w47.csv"] = "Input data has no USER_ID column."
    world.apply()
    world.clock.advance(3600)  # w47 FAILED; its manifest does not retry it
    applied, events = world.apply()
    assert applied.outcomes == () and applied.unfinished == (Unfinished(Undone.ATTENTION, 1),)
    assert [(a.address, a.concern) for a in applied.attention] == [("shop/w47", "failed")]
    assert applied.exit_code is ExitCode.FAILED
    (warned,) = [e.text for e in events if isinstance(e, Warned)]
    assert warned.startswith("shop/w47: w47 FAILED (Input data has no USER_ID column.)")


def test_a_state_that_cannot_be_saved_comes_back_in_the_result(world: World) -> None:
    class Full(MemoryBackend):
        full = False

        def save(self, document: StateDocument) -> StateDocument:
            if self.full:
                raise StateError("cannot write the state: the disk is full")
            return super().save(document)

    world.backend = backend = Full()

    def crash_after_create(point: str, address: str) -> None:
        backend.full = point == "after_create" or backend.full

    world.runtime = replace(world.runtime, checkpoint=crash_after_create)
    applied, events = world.apply()
    assert isinstance(applied.unsaved, StateError)
    assert not applied.ok and not applied.created and applied.exit_code is ExitCode.ERROR
    assert applied.unfinished[-1] == Unfinished(Undone.NOT_SAVED)
    assert applied.results == [Result.CREATED, Result.CREATED]  # they were: the service has them
    assert backend.document is not None and backend.document.serial == 1  # the intents only
    assert not [e for e in events if isinstance(e, Note)]  # the error is the result's


def test_a_saved_plan_is_applied_only_while_the_state_has_not_moved_on(
    world: World, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    save_plan(saved, open_tree(world.manifests, world.runtime).load().plan())
    world.apply()  # another apply got there first
    stale = ApplyInputs(world.manifests, plan_file=saved)
    with (
        pytest.raises(StalePlan, match="the state changed since the plan was made"),
        prepare(stale, world.runtime),
    ):
        pass
    assert world.backend.held is None  # the lock is given back


def test_a_current_saved_plan_needs_no_yes(world: World, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    save_plan(saved, open_tree(world.manifests, world.runtime).load().plan())
    with prepare(ApplyInputs(world.manifests, plan_file=saved), world.runtime) as prepared:
        assert prepared.plan.has_changes and not prepared.asks


def test_inputs_that_cannot_work_together_are_refused() -> None:
    here = Path("manifests")
    with pytest.raises(UsageError, match="--timeout limits --wait"):
        checked(ApplyInputs(here, timeout=60))
    with pytest.raises(UsageError, match="--skip-preflight goes to `reconciler plan -out`"):
        checked(ApplyInputs(here, plan_file=Path("p.json"), skip_preflight=True))
    assert checked(ApplyInputs(here, wait=True, timeout=60)).timeout == 60
