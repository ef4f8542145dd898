"""Record transitions are pure: each returns a new record and leaves the old one as it was."""

from __future__ import annotations

from reconciler.applying.records import adopted, created, intend, observe
from reconciler.diagnostics import Location
from reconciler.models import JobStatus
from tests.fakes.clock import FakeClock
from tests.planning.builders import ROLE, desired, detail, job_arn, summary

NOW = FakeClock().datetime()
JOB = desired("a")


def test_intend_then_created() -> None:
    intent = intend(
        None, address=JOB.address, spec=JOB.spec, job_name="a", source=JOB.source, now=NOW
    )
    assert (intent.seen, intent.arn, intent.intended, intent.manifest) == (
        None,
        None,
        NOW,
        "m.yaml:1:1",
    )
    done = created(intent, job_arn("a"), NOW)
    assert intent.seen is None  # unchanged
    assert done.seen is not None
    assert (done.arn, done.status, done.seen.created) == (job_arn("a"), JobStatus.PENDING, NOW)
    assert [t.status for t in done.history] == [JobStatus.PENDING]


def test_a_retry_keeps_the_failed_job_as_an_earlier_attempt() -> None:
    first = created(
        intend(None, address=JOB.address, spec=JOB.spec, job_name="a", source=None, now=NOW),
        job_arn("a"),
        NOW,
    )
    failed = observe(first, summary("a", status=JobStatus.FAILED, reason="no input"), NOW)
    retry = intend(
        failed, address=JOB.address, spec=JOB.spec, job_name="a-r2", source=None, now=NOW
    )
    assert (retry.job_name, retry.seen, retry.attempt) == ("a-r2", None, 2)
    [earlier] = retry.attempts
    assert earlier.job_name == "a" and earlier.seen == failed.seen
    assert retry.manifest == failed.manifest  # no new source: the record keeps its own


def test_observe_appends_a_status_change_and_keeps_what_describe_read() -> None:
    record = adopted(
        None,
        address=JOB.address,
        spec=JOB.spec,
        source=Location("m.yaml", 3, 5),
        found=detail(summary("a", status=JobStatus.COMPLETED), JOB.spec.data_location, 41),
        now=NOW,
    )
    assert record.seen is not None
    assert (record.seen.num_deleted, record.seen.role_arn, record.manifest) == (
        41,
        ROLE,
        "m.yaml:3:5",
    )
    listed = summary("a", status=JobStatus.COMPLETED)  # List repeats neither numDeleted nor role
    assert observe(record, listed, NOW) is record  # nothing new: the same record
    moved = observe(record, listed.model_copy(update={"failure_reason": "x"}), NOW)
    assert moved.seen is not None and moved.seen.num_deleted == 41
    assert moved.history == record.history  # same status: no new transition
    pending = adopted(
        None, address=JOB.address, spec=JOB.spec, source=None, found=summary("a"), now=NOW
    )
    running = observe(pending, summary("a", status=JobStatus.IN_PROGRESS), NOW)
    assert [t.status for t in running.history] == [JobStatus.PENDING, JobStatus.IN_PROGRESS]


def test_an_older_observation_never_overwrites_a_newer_one() -> None:
    done = summary("a", status=JobStatus.COMPLETED).model_copy(
        update={"last_updated": summary("a").last_updated.replace(hour=12)}
    )
    record = adopted(None, address=JOB.address, spec=JOB.spec, source=None, found=done, now=NOW)
    earlier = summary("a", status=JobStatus.IN_PROGRESS)  # seen before it COMPLETED
    assert observe(record, earlier, NOW) is record  # COMPLETED stays COMPLETED
    assert observe(record, done.model_copy(update={"status": JobStatus.FAILED}), NOW) is record
    fresh = intend(None, address=JOB.address, spec=JOB.spec, job_name="a", source=None, now=NOW)
    running = observe(created(fresh, job_arn("a"), NOW), earlier, NOW)
    assert observe(running, summary("a"), NOW) is running  # PENDING again: an older answer
    # the create's own record carries this machine's time, later than the service's: no matter
    recorded = created(fresh, job_arn("a"), NOW.replace(year=NOW.year + 1))
    assert observe(recorded, done, NOW).status is JobStatus.COMPLETED
