"""The executor against the in-memory provider and state: what it writes, in which order, and
what each answer of the service leads to."""

from __future__ import annotations

from reconciler.applying.executor import Result
from reconciler.models import JobStatus
from reconciler.planning.model import Action
from reconciler.providers.interface import InvalidInput, QuotaExceeded, Throttled, TransientError
from tests.applying.conftest import World
from tests.planning.builders import spec


def test_a_wave_stores_every_intent_before_its_first_call_in_one_write(world: World) -> None:
    jobs = [world.job("a"), world.job("b")]
    stored_at_create: list[dict[str, str | None]] = []
    create = world.provider.create_job

    def watching(job_spec):  # type: ignore[no-untyped-def]
        stored = world.backend.load()
        assert stored is not None
        stored_at_create.append({r.job_name: r.arn for r in stored.jobs.values()})
        return create(job_spec)

    world.provider.create_job = watching  # type: ignore[method-assign]
    outcomes = world.executor(parallelism=1).execute(world.plan(jobs))
    assert [o.result for o in outcomes] == [Result.CREATED, Result.CREATED]
    assert stored_at_create[0] == {"a": None, "b": None}  # both intents, no ARN yet
    assert world.backend.saves == 1  # the intents; the outcomes are staged...
    world.session.flush(force=True)
    assert world.backend.saves == 2  # ...and written by the next write
    state = world.backend.load()
    assert state is not None
    assert {r.job_name: r.status for r in state.jobs.values()} == {
        "a": JobStatus.PENDING,
        "b": JobStatus.PENDING,
    }


def test_a_quota_refusal_takes_the_intent_back_and_queues_the_job(world: World) -> None:
    world.provider.fail_next["CreateDataDeletionJob"].append(QuotaExceeded("LimitExceeded"))
    [outcome] = world.executor().execute(world.plan([world.job("a")]))
    assert outcome.result is Result.QUEUED
    assert world.session.document.jobs == {}
    assert world.provider.jobs == {}


def test_a_transient_failure_leaves_the_intent_for_the_next_plan(world: World) -> None:
    world.provider.fail_next["CreateDataDeletionJob"].append(TransientError("timed out"))
    job = world.job("a")
    [outcome] = world.executor().execute(world.plan([job]))
    assert outcome.result is Result.UNKNOWN
    assert "the next apply finds out" in outcome.message
    record = world.session.get("g/a")
    assert record is not None and record.seen is None  # still an intent
    [change] = world.plan([job]).changes  # nothing reached the service: create it again
    assert (change.action, change.reason.value) == (Action.CREATE, "interrupted_before_create")


def test_a_refused_create_is_reported_and_leaves_no_record(world: World) -> None:
    world.provider.fail_next["CreateDataDeletionJob"].append(InvalidInput("bad role"))
    [outcome] = world.executor().execute(world.plan([world.job("a")]))
    assert (outcome.result, outcome.message) == (Result.FAILED, "bad role")
    assert world.session.document.jobs == {}


def test_a_name_that_exists_with_the_same_spec_is_adopted(world: World) -> None:
    job = world.job("a")
    plan = world.plan([job])
    world.provider.create_job(job.spec)  # an earlier create whose answer was lost
    world.provider.calls.clear()
    [outcome] = world.executor().execute(plan)
    assert outcome.result is Result.IMPORTED
    record = world.session.get("g/a")
    assert record is not None and record.arn is not None and record.arn.endswith("/a")
    assert world.provider.calls["DescribeDataDeletionJob"] == 1
    assert len(world.provider.jobs) == 1


def test_a_name_taken_by_another_spec_fails_and_restores_the_record(world: World) -> None:
    job = world.job("a")
    plan = world.plan([job])
    world.provider.create_job(spec("a", location="s3://b/someone-elses.csv"))
    [outcome] = world.executor().execute(plan)
    assert outcome.result is Result.FAILED
    assert "already used in this account and region by another job" in outcome.message
    assert world.session.document.jobs == {}


def test_adopts_forgets_and_refreshed_statuses_are_one_write(world: World) -> None:
    kept, gone = world.job("kept"), world.job("gone")
    world.executor().execute(world.plan([kept, gone]))
    world.session.flush(force=True)
    world.provider.create_job(world.job("found").spec)  # made outside this tool
    world.clock.advance(11)  # kept moves on to IN_PROGRESS
    saves = world.backend.saves
    plan = world.plan([kept, world.job("found")])
    assert sorted(c.action.value for c in plan.changes) == ["forget", "import", "no-op"]
    outcomes = world.executor().execute(plan)
    assert sorted(o.result.value for o in outcomes) == ["forgotten", "imported"]
    assert world.backend.saves == saves  # staged, nothing called...
    world.session.flush(force=True)
    assert world.backend.saves == saves + 1  # ...and written together
    state = world.session.document
    assert state.jobs["g/kept"].status is JobStatus.IN_PROGRESS
    assert [r.address for r in state.forgotten] == ["g/gone"]
    assert state.jobs["g/found"].arn is not None


def test_a_retry_creates_the_next_name_and_keeps_the_failed_attempt(world: World) -> None:
    job = world.job("a", on_failure="retry")
    world.provider.inputs[job.spec.data_location] = "Input data not found"
    world.executor().execute(world.plan([job]))
    world.clock.advance(31)
    [retry] = world.plan([job]).changes
    assert (retry.action, retry.job_name) == (Action.RETRY, "a-r2")
    [outcome] = world.executor().execute(world.plan([job]))
    assert outcome.result is Result.CREATED
    record = world.session.get("g/a")
    assert record is not None
    assert (record.job_name, record.status) == ("a-r2", JobStatus.PENDING)
    [earlier] = record.attempts
    assert earlier.seen is not None
    assert (earlier.job_name, earlier.seen.status) == ("a", JobStatus.FAILED)


def test_queued_creates_go_as_slots_free_up(world: World) -> None:
    jobs = [world.job(f"j{i}") for i in range(7)]
    executor = world.executor()
    outcomes = executor.execute(world.plan(jobs))
    assert [o.result for o in outcomes].count(Result.CREATED) == 5
    queued = [c for c in world.plan(jobs).changes if c.queued]
    assert [c.job_name for c in queued] == ["j5", "j6"]
    listed = {world.group: world.provider.list_jobs(world.group)}
    submitted, remaining = executor.submit_queued(queued, listed)
    assert (submitted, remaining) == ([], queued)  # five PENDING: no slot
    world.clock.advance(11)  # the five leave PENDING
    listed = {world.group: world.provider.list_jobs(world.group)}
    submitted, remaining = executor.submit_queued(queued, listed)
    assert [o.result for o in submitted] == [Result.CREATED, Result.CREATED]
    assert remaining == []
    assert len(world.provider.jobs) == 7


def test_a_throttled_create_goes_back_into_the_queue_without_a_record(world: World) -> None:
    world.provider.fail_next["CreateDataDeletionJob"].append(Throttled("slow down"))
    [outcome] = world.executor().execute(world.plan([world.job("a")]))
    assert outcome.result is Result.QUEUED
    assert "throttled" in outcome.message
    assert world.session.document.jobs == {}


def test_a_name_held_in_another_group_fails_once_the_listing_is_complete(world: World) -> None:
    other = world.provider.add_group("other-team")
    job = world.job("a")
    plan = world.plan([job])
    world.provider.create_job(spec("a", grp=other))  # someone else's job of that name
    [outcome] = world.executor().execute(plan)
    assert outcome.result is Result.FAILED
    assert "already used in this account and region by another job" in outcome.message
    assert world.session.document.jobs == {}
    world.provider.fail_next["ListDataDeletionJobs"].append(TransientError("throttled"))
    [outcome] = world.executor().execute(plan)  # the listing failed: nothing is known yet
    assert outcome.result is Result.UNKNOWN
    assert world.session.get("g/a") is not None


def test_sending_a_retry_again_keeps_its_history_right(world: World) -> None:
    job = world.job("a", on_failure="retry", max_attempts=3)
    world.provider.inputs[job.spec.data_location] = "Input data not found"
    world.executor().execute(world.plan([job]))
    world.clock.advance(31)
    [retry] = world.plan([job]).changes
    world.provider.fail_next["CreateDataDeletionJob"].append(TransientError("lost"))
    [first] = world.executor().execute(world.plan([job]))
    assert first.result is Result.UNKNOWN  # the intent of a-r2 stays
    [again] = world.executor().submit_queued([retry], {world.group: []})[0]
    assert again.result is Result.CREATED
    record = world.session.get("g/a")
    assert record is not None and record.job_name == "a-r2"
    assert [(a.job_name, a.seen and a.seen.status) for a in record.attempts] == [
        ("a", JobStatus.FAILED)
    ]


def test_every_model_is_built_before_creates_go_to_threads(world: World) -> None:
    """pydantic 2.11 can build a deferred model wrongly when two threads validate it first: the
    executor builds every loaded model on its own thread before it starts its workers."""
    from reconciler.models import Frozen

    def loaded() -> list[type[Frozen]]:
        found, waiting = [], list(Frozen.__subclasses__())
        while waiting:
            model = waiting.pop()
            waiting += model.__subclasses__()
            found.append(model)
        return found

    world.executor().execute(world.plan([world.job("a")]))
    assert [m.__name__ for m in loaded() if not m.__pydantic_complete__] == []
