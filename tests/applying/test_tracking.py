"""Tracking: the pure poll step, then the loop around it against the in-memory provider."""

from __future__ import annotations

from reconciler.applying.records import observe as observe_record
from reconciler.applying.tracker import MAX_FAILED_POLLS, Progress, Tracker
from reconciler.applying.tracking import (
    MISSES_BEFORE_GIVING_UP,
    fold,
    needs_watching,
    to_describe,
    to_list,
)
from reconciler.models import Activity, JobStatus, ServiceJob
from reconciler.providers.interface import TransientError
from reconciler.state.document import JobRecord
from tests.applying.conftest import World
from tests.fakes.clock import FakeClock
from tests.planning.builders import desired, detail, group, summary

NOW = FakeClock().datetime()


def tracker(world: World, intervals: tuple[float, float], **options: object) -> Tracker:
    return Tracker(
        world.session,
        world.provider,
        intervals=intervals,
        monotonic=world.clock,
        sleep=world.clock.sleep,
        **options,  # type: ignore[arg-type]
    )


def record(name: str, status: JobStatus | None = JobStatus.PENDING, **seen: object) -> JobRecord:
    job = desired(name)
    listed = summary(name, status=status or JobStatus.PENDING).model_copy(update=seen)
    return JobRecord(
        address=job.address,
        spec=job.spec,
        spec_digest=job.spec.digest(),
        manifest="m.yaml:1:1",
        job_name=name,
        seen=listed if status else None,
    )


def test_what_is_followed() -> None:
    assert needs_watching(record("a"))
    assert needs_watching(record("a", JobStatus.IN_PROGRESS))
    assert needs_watching(record("a", JobStatus.COMPLETED))  # numDeleted not read yet
    assert not needs_watching(record("a", JobStatus.COMPLETED, num_deleted=3))
    assert not needs_watching(record("a", JobStatus.FAILED))
    assert not needs_watching(record("a", None))  # an intent: the next plan settles it


def test_what_a_poll_lists_and_describes() -> None:
    watched = [record("a"), record("b", JobStatus.IN_PROGRESS)]
    assert to_list(watched, [group("other")]) == {
        group(): frozenset({"a", "b"}),
        group("other"): frozenset(),  # only to count PENDING slots for queued creates
    }
    listed = {group(): [summary("a", status=JobStatus.COMPLETED), summary("b")]}
    assert to_describe(watched, listed) == [summary("a").arn]


def test_fold_records_what_moved_and_nothing_else() -> None:
    a, b = record("a"), record("b", JobStatus.IN_PROGRESS)
    done = summary("a", status=JobStatus.COMPLETED)
    listed = {group(): [done, summary("b", status=JobStatus.IN_PROGRESS)]}
    step = fold([a, b], listed, {done.arn: detail(done, "s3://b/a.csv", 9)}, {}, NOW)
    [updated] = step.records
    assert updated.seen is not None
    assert (updated.address, updated.status, updated.seen.num_deleted) == ("g/a", "COMPLETED", 9)
    assert step.transitions == [("g/a", JobStatus.PENDING, JobStatus.COMPLETED)]
    assert (step.vanished, step.misses) == ([], {})


def test_a_job_missing_from_every_page_vanishes_after_a_few_polls() -> None:
    a = record("a")
    misses: dict[str, int] = {}
    for poll in range(1, MISSES_BEFORE_GIVING_UP):
        step = fold([a], {group(): []}, {}, misses, NOW)
        assert (step.vanished, step.misses) == ([], {"g/a": poll})
        misses = step.misses
    step = fold([a], {group(): []}, {}, misses, NOW)
    assert step.vanished == [a] and step.misses == {}


def test_the_loop_follows_jobs_to_the_end_reading_num_deleted_once(world: World) -> None:
    jobs = [world.job("a"), world.job("b")]
    world.executor().execute(world.plan(jobs))
    world.provider.calls.clear()
    seen: list[Progress] = []
    result = tracker(world, (1.0, 4.0)).run([], timeout=None, report=seen.append)
    assert result.finished and result.missing == set()
    assert {r.job_name: (r.status, r.seen and r.seen.num_deleted) for r in result.records} == {
        "a": (JobStatus.COMPLETED, 7),
        "b": (JobStatus.COMPLETED, 7),
    }
    assert world.provider.calls["DescribeDataDeletionJob"] == 2
    assert world.provider.calls["ListDataDeletionJobs"] == len(seen)  # one group, one page
    assert world.clock.slept[:4] == [1.0, 1.5, 2.25, 3.375] and max(world.clock.slept) == 4.0
    moves = [t for p in seen for t in p.transitions if t[0] == "g/a"]
    assert [t[2] for t in moves] == [JobStatus.IN_PROGRESS, JobStatus.COMPLETED]
    assert [h.status for h in world.session.document.jobs["g/a"].history] == [
        JobStatus.PENDING,
        JobStatus.IN_PROGRESS,
        JobStatus.COMPLETED,
    ]


def test_a_failed_poll_is_tried_again_and_a_vanished_job_is_its_own_signal(world: World) -> None:
    world.executor().execute(world.plan([world.job("a"), world.job("b")]))
    world.provider.remove_job("b")  # deleted out of band
    world.provider.fail_next["ListDataDeletionJobs"].append(TransientError("throttled"))
    seen: list[Progress] = []
    result = tracker(world, (1.0, 1.0)).run([], timeout=None, report=seen.append)
    assert seen[0].error == "throttled" and seen[0].vanished == []
    vanished = [(i, r.address) for i, p in enumerate(seen) for r in p.vanished]
    assert vanished == [(MISSES_BEFORE_GIVING_UP, "g/b")]  # after the failed poll, 3 misses
    assert all(p.error is None for p in seen[1:])
    assert result.finished and result.missing == {"g/b"}
    assert world.session.document.jobs["g/a"].status is JobStatus.COMPLETED


def test_the_loop_stops_at_the_timeout_and_submits_queued_creates(world: World) -> None:
    jobs = [world.job(f"j{i}") for i in range(6)]
    executor = world.executor()
    executor.execute(world.plan(jobs))
    queued = [c for c in world.plan(jobs).changes if c.queued]
    submitted: list[str] = []
    result = tracker(world, (5.0, 5.0), executor=executor).run(
        queued, timeout=12, report=lambda p: submitted.extend(o.job_name for o in p.submitted)
    )
    assert not result.finished and result.queued == []
    assert submitted == ["j5"]  # once the first five left PENDING, at 10 s
    assert len(world.provider.jobs) == 6


def test_defect_08_a_failed_describe_or_listing_keeps_the_rest_of_the_poll(world: World) -> None:
    other = world.provider.add_group("other")
    jobs = [world.job("a"), world.job("b"), world.job("c", grp=other)]
    world.executor().execute(world.plan(jobs))
    world.clock.advance(31)  # all COMPLETED
    world.provider.fail_next["DescribeDataDeletionJob"].append(TransientError("slow down"))
    listed = world.provider.list_jobs
    refused: list[str] = []

    def list_jobs(group: str, **options: object) -> list[ServiceJob]:
        if group == other and not refused:
            refused.append(group)
            raise TransientError("throttled")
        return listed(group, **options)  # type: ignore[arg-type]

    world.provider.list_jobs = list_jobs  # type: ignore[method-assign]
    progress, _ = tracker(world, (1.0, 1.0)).poll([], started=world.clock.now)
    assert progress.error == "slow down; throttled" or progress.error == "throttled; slow down"
    statuses = {
        r.job_name: (r.status, r.seen and r.seen.num_deleted)
        for r in world.session.document.jobs.values()
    }
    assert statuses["c"] == (JobStatus.PENDING, None)  # its group could not be listed
    assert JobStatus.COMPLETED in {statuses["a"][0], statuses["b"][0]}  # one poll's worth kept
    assert sorted(n for n, (s, d) in statuses.items() if d == 7) in (["a"], ["b"])


def test_tracking_gives_up_when_the_service_cannot_be_read_at_all(world: World) -> None:
    world.executor().execute(world.plan([world.job("a")]))
    world.provider.fail_next["ListDataDeletionJobs"] = [
        TransientError("cannot reach the service") for _ in range(MAX_FAILED_POLLS)
    ]
    seen: list[Progress] = []
    result = tracker(world, (1.0, 1.0)).run([], timeout=None, report=seen.append)
    assert not result.finished and len(seen) == MAX_FAILED_POLLS
    assert result.unreachable == (
        f"the service could not be read for {MAX_FAILED_POLLS} polls in a row (cannot reach the "
        "service)"
    )


def test_status_merges_what_it_saw_into_what_an_apply_wrote_meanwhile(world: World) -> None:
    from reconciler.applying.session import ObservingSession

    world.executor().execute(world.plan([world.job("a")]))
    world.session.flush(force=True)
    stored = world.backend.load()
    assert stored is not None
    notes: list[str] = []
    watching = ObservingSession(
        world.backend,
        stored,
        world.clock.datetime,
        take_lock=lambda: world.backend.lock("status"),
        note=notes.append,
    )
    world.clock.advance(11)
    seen = world.provider.list_jobs(world.group)
    watching.stage(put=[observe_record(stored.jobs["g/a"], seen[0], NOW)])  # IN_PROGRESS, staged
    held = world.backend.lock("apply")  # an apply holds the lock: the write waits
    watching.flush(force=True)
    assert notes and "recorded once it can be" in notes[0]
    world.clock.advance(30)
    done = observe_record(stored.jobs["g/a"], world.provider.describe_job(seen[0].arn), NOW)
    applied = world.backend.load()
    assert applied is not None
    world.backend.save(applied.model_copy(update={"jobs": {"g/a": done}}))  # COMPLETED by apply
    world.backend.unlock(held)
    watching.flush(force=True)  # status writes what it saw: it must not rewind COMPLETED
    final = world.backend.load()
    assert final is not None and final.jobs["g/a"].status is JobStatus.COMPLETED
    assert [h.status for h in final.jobs["g/a"].history][-1] is JobStatus.COMPLETED


def test_a_create_queued_for_a_slot_waits_when_its_group_began_to_train(world: World) -> None:
    jobs = [world.job(f"j{i}") for i in range(6)]
    executor = world.executor()
    outcomes = executor.execute(world.plan(jobs))
    queued = [c for c in world.plan(jobs).changes if c.creates]  # the one left for a slot
    assert [o.result.value for o in outcomes].count("queued") == 1 and len(queued) == 1
    world.provider.running[world.group] = [
        Activity(kind="solution version", name="sv-1", status="CREATE IN_PROGRESS")
    ]
    follow = tracker(world, (1.0, 5.0), executor=executor, activity=world.provider.activity)
    world.clock.advance(40)  # the five are COMPLETED: a slot is free, but the group trains
    progress, waiting = follow.poll(queued, world.clock())
    assert progress.submitted == [] and [c.held for c in waiting] == [
        "solution version sv-1 is CREATE IN_PROGRESS"
    ]
    world.provider.running[world.group] = []  # the training ended
    progress, waiting = follow.poll(waiting, world.clock())
    assert [o.address for o in progress.submitted] == ["g/j5"] and waiting == []
