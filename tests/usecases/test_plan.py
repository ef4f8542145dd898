"""The `plan` use case with fakes: what it returns, what it refuses before reading the service,
and what it emits instead of writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.files import OutputRefused
from reconciler.planfile import load_plan
from reconciler.planning.model import Action
from reconciler.state.document import StateDocument
from reconciler.usecases.events import Note
from reconciler.usecases.plan import PlanInputs, make_plan, save
from reconciler.workspace import load_settings
from tests.fakes.state import MemoryBackend
from tests.usecases.fakeworld import MANIFESTS, W46, World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_plans_a_create_per_declared_job_and_writes_nothing(world: World) -> None:
    planned = make_plan(PlanInputs(MANIFESTS), world.runtime, world.emit)
    assert {c.action for c in planned.plan.changes} == {Action.CREATE}
    assert len(planned.plan.changes) == 5 and planned.changes_or_attention()
    assert world.provider.calls["CreateDataDeletionJob"] == 0
    assert world.events == [] and world.written() == ""


def test_nothing_to_do_once_applied(world: World) -> None:
    world.applied()
    planned = make_plan(PlanInputs(MANIFESTS), world.runtime, world.emit)
    assert {c.action for c in planned.plan.changes} == {Action.NOOP}
    assert not planned.changes_or_attention()


def test_a_plan_file_over_the_state_is_refused_before_the_service_is_read(world: World) -> None:
    state_file = load_settings(MANIFESTS, {}).state.path
    with pytest.raises(OutputRefused, match="one of the state's own files"):
        make_plan(PlanInputs(MANIFESTS, out_file=state_file), world.runtime, world.emit)
    assert sum(world.provider.calls.values()) == 0


def test_save_keeps_the_plan_it_made(world: World) -> None:
    planned = make_plan(
        PlanInputs(MANIFESTS, out_file=Path("plan.json")), world.runtime, world.emit
    )
    assert not Path("plan.json").exists()  # kept only when asked, once the plan is shown
    save(planned, world.runtime)
    assert load_plan(Path("plan.json")) == planned.plan


def test_a_refused_retry_is_an_error_and_such_a_plan_is_never_saved(world: World) -> None:
    world.applied()  # W46 runs: there is nothing to retry
    inputs = PlanInputs(MANIFESTS, out_file=Path("plan.json"), retry=(W46,))
    planned = make_plan(inputs, world.runtime, world.emit)
    assert planned.plan.errored
    with pytest.raises(ReconcilerError, match="it has errors"):
        save(planned, world.runtime)
    assert not Path("plan.json").exists()


class _Noticing(MemoryBackend):
    def notices(self) -> list[str]:
        return ["the state was moved\x1b[2J here."]


def test_the_backends_notices_are_notes(world: World) -> None:
    world.backend = _Noticing()
    world.backend.document = StateDocument(lineage="l", serial=1)
    make_plan(PlanInputs(MANIFESTS), world.runtime, world.emit)
    assert world.events == [Note("the state was moved\\x1b[2J here.")]
    assert world.written() == ""
