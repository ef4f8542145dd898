"""The `status` use case with fakes: what it returns and records, how watching ends and what it
emits on the way, and that it works beside a broken manifest. Nothing is written to a stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.applying.tracker import Progress
from reconciler.errors import UsageError
from reconciler.models import JobStatus
from reconciler.planning.attention import Concern
from reconciler.usecases.events import Note, Warned
from reconciler.usecases.status import (
    StatusInputs,
    StoppedWatching,
    Watched,
    WatchEnded,
    read_status,
)
from tests.usecases.fakeworld import MANIFESTS, W46, World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_no_state_yet(world: World) -> None:
    assert read_status(StatusInputs(MANIFESTS), world.runtime, world.emit) is None
    assert sum(world.provider.calls.values()) == 0 and world.written() == ""


def test_shows_and_records_what_the_service_says(world: World) -> None:
    serial = world.applied().serial
    world.clock.advance(15)
    seen = read_status(StatusInputs(MANIFESTS), world.runtime, world.emit)
    assert seen is not None and seen.watched is Watched.NOT_WATCHED
    addresses = [r.address for r in seen.records]
    assert addresses == sorted(addresses) and len(addresses) == 5
    assert {r.status for r in seen.records} == {JobStatus.IN_PROGRESS}
    assert seen.target is not None and seen.target.provider == "fake"
    assert seen.missing == frozenset() and seen.attention == ()
    stored = world.backend.document
    assert stored is not None and stored.serial == serial + 1
    assert [t.status for t in stored.jobs[W46].history] == ["PENDING", "IN_PROGRESS"]
    assert world.events == [] and world.written() == ""


def test_a_job_the_service_no_longer_lists_is_missing_and_needs_a_person(world: World) -> None:
    world.applied()
    world.provider.remove_job("gdpr-2026-w46")
    seen = read_status(StatusInputs(MANIFESTS), world.runtime, world.emit)
    assert seen is not None and seen.missing == {W46}
    assert [(a.address, a.concern) for a in seen.attention] == [(W46, Concern.MISSING)]


def test_watch_until_the_timeout_emits_progress_then_the_end(world: World) -> None:
    world.applied()
    inputs = StatusInputs(MANIFESTS, watch=True, timeout=5)
    seen = read_status(inputs, world.runtime, world.emit)
    assert seen is not None and seen.watched is Watched.RUNNING
    kinds = [type(event) for event in world.events]
    assert kinds[-2:] == [WatchEnded, StoppedWatching] and set(kinds[:-2]) == {Progress}
    assert world.events[-1] == StoppedWatching(None)
    assert world.written() == ""


def test_watch_until_every_job_ended(world: World) -> None:
    world.applied()
    seen = read_status(StatusInputs(MANIFESTS, watch=True), world.runtime, world.emit)
    assert seen is not None and seen.watched is Watched.ENDED
    assert {r.status for r in seen.records} == {JobStatus.COMPLETED}
    assert world.events[-1] == WatchEnded()
    assert world.clock.slept  # it waited, on the fake clock


def test_timeout_needs_watch_and_nothing_is_read(world: World) -> None:
    with pytest.raises(UsageError, match="--timeout limits --watch"):
        read_status(StatusInputs(MANIFESTS, timeout=5), world.runtime, world.emit)
    assert sum(world.provider.calls.values()) == 0


def test_while_another_run_holds_the_lock_it_shows_without_recording(world: World) -> None:
    serial = world.applied().serial
    world.backend.lock("apply")
    world.clock.advance(60)
    seen = read_status(StatusInputs(MANIFESTS), world.runtime, world.emit)
    assert seen is not None and {r.status for r in seen.records} == {JobStatus.COMPLETED}
    assert world.backend.document is not None and world.backend.document.serial == serial
    [note] = world.events
    assert isinstance(note, Note)
    assert note.text.endswith("; what status sees is shown, and recorded once it can be.")


def test_beside_a_broken_manifest_it_warns_and_goes_on(world: World) -> None:
    world.applied()
    world.break_a_manifest()
    seen = read_status(StatusInputs(MANIFESTS), world.runtime, world.emit)
    assert seen is not None and len(seen.records) == 5
    assert world.events == [
        Warned(
            "the manifests under manifests have 1 problem (`reconciler validate` lists them): "
            "going on with their settings alone."
        )
    ]
