"""The `force-unlock` use case with fakes: only the lock of the ID given is found and removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.usecases.events import Warned
from reconciler.usecases.force_unlock import UnlockInputs, held_lock, remove_lock
from tests.usecases.fakeworld import MANIFESTS, World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_an_unlocked_state_has_nothing_to_remove(world: World) -> None:
    with pytest.raises(ReconcilerError, match="the state at memory is not locked"):
        held_lock(UnlockInputs(MANIFESTS, "any"), world.runtime, world.emit)


def test_another_lock_id_is_refused_and_the_lock_stays(world: World) -> None:
    held = world.backend.lock("apply")
    with pytest.raises(ReconcilerError, match=f"lock ID {held.id}, not wrong-id: nothing was"):
        held_lock(UnlockInputs(MANIFESTS, "wrong-id"), world.runtime, world.emit)
    assert world.backend.held == held


def test_the_lock_found_is_the_one_removed_beside_a_broken_manifest(world: World) -> None:
    world.break_a_manifest()
    held = world.backend.lock("apply")
    lock = held_lock(UnlockInputs(MANIFESTS, held.id), world.runtime, world.emit)
    assert lock.holder == held and lock.location == "memory"
    assert world.backend.held == held  # finding it removes nothing: the caller asks first
    assert remove_lock(lock) == held and world.backend.held is None
    assert [type(e) for e in world.events] == [Warned] and world.written() == ""
