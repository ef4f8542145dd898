"""The `state …` use cases with fakes: what they return, what they refuse, what they change
under the lock, and that they work beside a broken manifest. Nothing is written to a stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError, UsageError
from reconciler.state.interface import LockInfo, StateError
from reconciler.usecases.events import Note, Warned
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
