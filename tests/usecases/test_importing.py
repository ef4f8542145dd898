"""The import use case with fakes and no command line: what it records, what it refuses (and
then leaves unwritten), the events it emits, and the lock it always gives back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError, UsageError
from reconciler.models import JobStatus
from reconciler.state.interface import LockInfo, StateError
from reconciler.usecases.events import Note, Said
from reconciler.usecases.importing import ImportInputs, import_job
from tests.fakes.state import MemoryBackend
from tests.usecases.world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def run(world: World, address: str, arn: str) -> object:
    inputs = ImportInputs(world.manifests, address, arn)
    return import_job(inputs, world.runtime(), world.events.append)


def test_a_matching_job_is_recorded_and_the_target_said_first(world: World) -> None:
    arn = world.create("w46")
    world.clock.advance(60)  # COMPLETED
    done = import_job(
        ImportInputs(world.manifests, "shop/w46", arn), world.runtime(), world.events.append
    )
    assert (done.found.job_name, done.found.status) == ("w46", JobStatus.COMPLETED)
    assert (done.state_location, done.serial) == ("memory", 1)
    assert world.backend.document is not None
    record = world.backend.document.jobs["shop/w46"]
    assert record == done.record and record.arn == arn and record.attempts == ()
    assert world.events == [Said("Target: " + world.provider.target(["eu-west-1"]).describe())]
    assert world.backend.held is None and world.silent()


def test_a_retry_records_its_earlier_attempts_and_the_earlier_one_is_refused(
    world: World,
) -> None:
    first = world.create("w47")
    world.clock.advance(60)  # w47's input is unknown to the fake: FAILED
    retried = world.create("w47", "w47-r2")
    with pytest.raises(ReconcilerError) as refused:
        run(world, "shop/w47", first)
    assert "jobName: 'w47' is an earlier attempt; the latest in the service is 'w47-r2'" in str(
        refused.value
    )
    assert world.backend.saves == 0
    done = import_job(ImportInputs(world.manifests, "shop/w47", retried), world.runtime())
    assert [a.job_name for a in done.record.attempts] == ["w47"]
    assert done.record.job_name == "w47-r2"


def test_another_spec_is_refused_with_its_differences_and_nothing_recorded(world: World) -> None:
    arn = world.create("w46")
    with pytest.raises(ReconcilerError) as refused:
        run(world, "shop/w47", arn)
    message = str(refused.value)
    assert message.startswith(f"{arn} is not the job shop/w47 declares; nothing was recorded:\n")
    assert "  jobName: 'w46' is neither 'w47' nor a retry of it" in message
    assert "s3://bucket/w46.csv" in message  # the data location differs too
    assert world.backend.saves == 0 and world.backend.held is None


def test_an_undeclared_address_is_refused_before_the_service_is_read(world: World) -> None:
    arn = world.create("w46")
    before = sum(world.provider.calls.values())
    with pytest.raises(UsageError, match="'shop/nope' is not declared in the manifests"):
        run(world, "shop/nope", arn)
    assert sum(world.provider.calls.values()) == before
    assert world.events == [] and world.backend.held is None


def test_an_address_already_recorded_is_refused(world: World) -> None:
    arn = world.create("w46")
    run(world, "shop/w46", arn)
    with pytest.raises(ReconcilerError, match="shop/w46 is already in the state \\(as w46\\)"):
        run(world, "shop/w46", arn)
    assert world.backend.saves == 1


class Sticky(MemoryBackend):
    """A backend whose lock cannot be released, and which has something to say."""

    def unlock(self, lock: LockInfo) -> None:
        raise StateError("the lock table is read-only")

    def notices(self) -> list[str]:
        return ["the lineage pin could not be read"]


def test_a_lock_that_cannot_be_released_is_a_note_after_the_result(tmp_path: Path) -> None:
    world = World(tmp_path, Sticky())
    arn = world.create("w46")
    done = run(world, "shop/w46", arn)
    assert done is not None and world.backend.saves == 1
    lock = world.backend.held
    assert lock is not None
    assert world.events[0] == Note("the lineage pin could not be read")
    assert world.events[-1] == Note(
        f"the lock {lock.id} could not be released (the lock table is read-only); if no run "
        f"holds it, `reconciler force-unlock {lock.id}` removes it."
    )
    assert world.silent()
