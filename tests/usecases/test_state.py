"""The `state …` use cases with fakes: what they return, what they refuse, what they change
under the lock, and that they work beside a broken manifest. Nothing is written to a stream."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError, UsageError
from reconciler.models import RunInfo
from reconciler.state.interface import LockInfo, StateError, StateLocked
from reconciler.usecases.events import LockWaiting, Note, Warned
from reconciler.usecases.state import StateInputs, push, read_state, records, remove
from tests.fakes.state import MemoryBackend
from tests.usecases.fakeworld import MANIFESTS, W46, W47, World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_reading_needs_a_state(world: World) -> None:
    with pytest.raises(ReconcilerError, match="there is no state at memory yet"):
        read_state(StateInputs(MANIFESTS), world.runtime, world.emit)


def test_records_by_address_and_a_near_miss_named(world: World) -> None:
    world.applied()
    [shown] = records(StateInputs(MANIFESTS, addresses=(W47,)), world.runtime, world.emit)
    assert shown.address == W47 and shown.arn is not None
    with pytest.raises(UsageError, match="did you mean 'shop-eu/gdpr-2026-w47'"):
        records(
            StateInputs(MANIFESTS, addresses=("shop-eu/gdpr-2026-w48",)), world.runtime, world.emit
        )
    assert world.written() == ""


def test_remove_forgets_each_address_once_under_the_lock(world: World) -> None:
    world.applied()
    inputs = StateInputs(MANIFESTS, addresses=(W46, W46))
    [gone] = remove(inputs, world.runtime, world.emit)
    assert gone.record.address == W46 and gone.record.forgotten is not None and gone.declared
    stored = world.backend.document
    assert stored is not None and W46 not in stored.jobs
    assert [r.address for r in stored.forgotten] == [W46]
    assert world.backend.held is None and world.provider.calls.total() == 0
    assert world.events == [] and world.written() == ""


def test_remove_beside_a_broken_manifest_only_loses_the_reminder(world: World) -> None:
    world.applied()
    world.break_a_manifest()
    [gone] = remove(StateInputs(MANIFESTS, addresses=(W46,)), world.runtime, world.emit)
    assert not gone.declared
    assert [type(e) for e in world.events] == [Warned]


class _Sticky(MemoryBackend):
    def unlock(self, lock: LockInfo) -> None:
        raise StateError("the lock object is gone")


def test_a_lock_that_cannot_be_released_is_a_note(world: World) -> None:
    stored = world.applied()
    world.backend = _Sticky()
    world.backend.document = stored
    remove(StateInputs(MANIFESTS, addresses=(W46,)), world.runtime, world.emit)
    assert world.backend.document is not None
    assert world.backend.document.jobs.keys() == stored.jobs.keys() - {W46}  # removed all the same
    [note] = world.events
    assert isinstance(note, Note) and "could not be released (the lock object is gone)" in note.text
    assert note.text.endswith(f"`reconciler force-unlock {world.backend.held.id}` removes it.")


def test_a_wait_for_the_lock_is_told_as_events_naming_the_holder_and_its_age(
    world: World,
) -> None:
    stored = world.applied()
    world.backend = MemoryBackend(lambda: world.clock.datetime() - timedelta(minutes=45))
    world.backend.document = stored
    held = world.backend.lock(
        "apply", RunInfo(kind="github", url="https://github.com/a/b/actions/runs/1")
    )
    inputs = StateInputs(MANIFESTS, addresses=(W46,), lock_timeout=35)
    with pytest.raises(StateLocked) as refused:
        remove(inputs, world.runtime, world.emit)
    assert all(isinstance(event, LockWaiting) for event in world.events)
    said = [event.text for event in world.events if isinstance(event, LockWaiting)]
    assert len(said) == 4 and world.written() == ""  # events only: the command writes them
    for text in said:
        assert (
            "test@memory (apply, pid 1, GitHub run https://github.com/a/b/actions/runs/1)" in text
        )
        assert "the lock is 45m" in text and "probably stale" not in text
    assert f"`reconciler force-unlock {held.id}` removes it" in str(refused.value)

    settings = MANIFESTS / "settings.yaml"  # the settings, read on their own: 30 minutes
    settings.write_text(settings.read_text() + "state:\n  lockStaleAfter: 30m\n")
    world.events.clear()
    with pytest.raises(StateLocked, match="probably stale"):
        remove(dataclasses.replace(inputs, lock_timeout=5), world.runtime, world.emit)
    [waiting] = world.events
    assert isinstance(waiting, LockWaiting) and waiting.wait.stale
    assert "older than state.lockStaleAfter (30m00s): probably stale" in waiting.text
    assert f"`reconciler force-unlock {held.id}` removes it" in waiting.text
    assert world.backend.held == held  # never removed automatically


class _Recording(MemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.taken: list[LockInfo] = []

    def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
        self.taken.append(super().lock(operation, run))
        return self.taken[-1]


def test_the_lock_names_the_github_run_that_took_it(world: World) -> None:
    stored = world.applied()
    world.backend = _Recording()
    world.backend.document = stored
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/erasure",
        "GITHUB_RUN_ID": "991",
    }
    runtime = dataclasses.replace(world.runtime, environ=github)
    remove(StateInputs(MANIFESTS, addresses=(W46,)), runtime, world.emit)
    [taken] = world.backend.taken
    assert taken.operation == "state rm" and taken.run is not None
    assert taken.run.url == "https://github.com/acme/erasure/actions/runs/991"
    remove(StateInputs(MANIFESTS, addresses=(W47,)), world.runtime, world.emit)
    assert world.backend.taken[1].run == RunInfo(kind="host", host="test-host", user="tester")


def _pull(world: World, path: str) -> Path:
    document = read_state(StateInputs(MANIFESTS), world.runtime, world.emit)
    Path(path).write_text(document.model_dump_json(), encoding="utf-8")
    return Path(path)


def test_push_refuses_another_lineage_unless_forced(world: World) -> None:
    world.applied()
    pulled = _pull(world, "pulled.json")
    other = world.backend.document
    assert other is not None
    world.backend.document = other.model_copy(update={"lineage": "another"})
    inputs = StateInputs(MANIFESTS, file=pulled)
    with pytest.raises(ReconcilerError, match="pushing it would replace another state"):
        push(inputs, world.runtime, world.emit)
    assert world.backend.held is None  # the lock is given back on a refusal too
    pushed = push(StateInputs(MANIFESTS, file=pulled, force=True), world.runtime, world.emit)
    assert pushed.location == "memory" and pushed.stored.lineage == other.lineage


def test_push_refuses_an_older_serial(world: World) -> None:
    world.applied()
    pulled = _pull(world, "pulled.json")
    stored = world.backend.document
    assert stored is not None
    world.backend.save(stored)  # the state moved on
    with pytest.raises(ReconcilerError, match="lower than the state at memory"):
        push(StateInputs(MANIFESTS, file=pulled), world.runtime, world.emit)


def test_push_of_a_file_that_is_no_state(world: World) -> None:
    Path("nonsense.json").write_text('{"version": 3}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"nonsense\.json is not a state document"):
        push(StateInputs(MANIFESTS, file=Path("nonsense.json")), world.runtime, world.emit)
    assert world.backend.document is None
