"""Issue 19, at the executor: a create is sent only while its input is the version its plan
read, and its record keeps the plan's evidence and the run's provenance; a retry keeps what its
failed attempt recorded; what only the service told is marked recovered."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.applying.executor import Result
from reconciler.applying.records import adopted
from reconciler.models import InputEvidence, InputIdentity, Provenance, RunInfo
from reconciler.planning.model import Action, Change, Plan
from reconciler.providers.inputs import DigestKey, etag_tag
from tests.applying.conftest import World

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PROVENANCE = Provenance(
    principal="arn:aws:sts::123456789012:assumed-role/apply/ci",
    run=RunInfo(kind="host", host="build-7", user="dana"),
    plan_id="plan-1",
    plan_digest="sha256:" + "c" * 64,
    change_ref="PR 42",
    approved_by=("erin",),
    recorded=T0,
)


KEY = DigestKey(b"k" * 32, "test")


def identity(location: str, etag: str = '"aaaa1111"', size: int = 120) -> InputIdentity:
    """What a reader with a digest key gives: the ETag (in process only) and its keyed tag."""
    return InputIdentity(
        location=location,
        etag=etag,
        tag=etag_tag(etag, KEY),
        key_id=KEY.key_id,
        size=size,
        last_modified=T0,
    )


def bound(plan: Plan, *found: InputIdentity) -> Plan:
    """The plan with each create bound to the evidence preflight read (`found`)."""
    evidence = tuple(
        InputEvidence.of(i, rows=9, read=T0, hmac="ff" * 32, key_id=KEY.key_id) for i in found
    )
    changes = tuple(
        c.model_copy(update={"inputs": evidence}) if c.creates else c for c in plan.changes
    )
    return plan.model_copy(update={"changes": changes})


def test_a_create_goes_with_the_plans_evidence_and_the_runs_provenance(world: World) -> None:
    job = world.job("a")
    read = identity(job.spec.data_location)
    asked: list[str] = []

    def identities(location: str, region: str) -> tuple[InputIdentity, ...]:
        asked.append(location)
        return (read,)

    executor = world.executor(identities=identities, provenance=PROVENANCE)
    [outcome] = executor.execute(bound(world.plan([job]), read))
    assert outcome.result is Result.CREATED
    assert asked == [job.spec.data_location]  # identified again just before the create
    record = world.session.get("g/a")
    assert record is not None and record.provenance == PROVENANCE
    [evidence] = record.inputs
    assert (evidence.tag, evidence.rows, evidence.hmac) == (read.tag, 9, "ff" * 32)
    assert "aaaa1111" not in record.model_dump_json()  # the ETag itself is never recorded
    assert not record.recovered


def test_an_input_replaced_since_the_plan_is_not_sent(world: World) -> None:
    job = world.job("a")
    planned = identity(job.spec.data_location)
    swapped = identity(job.spec.data_location, etag='"bbbb2222"')  # same size, other file
    executor = world.executor(identities=lambda location, region: (swapped,))
    [outcome] = executor.execute(bound(world.plan([job]), planned))
    assert outcome.result is Result.FAILED
    assert "its input changed since the plan was made" in outcome.message
    assert planned.short() in outcome.message and swapped.short() in outcome.message
    assert "aaaa1111" not in outcome.message and "bbbb2222" not in outcome.message
    assert world.provider.jobs == {}  # no name used
    assert world.session.get("g/a") is None


def test_an_input_gone_since_the_plan_is_not_sent(world: World) -> None:
    job = world.job("a")
    executor = world.executor(identities=lambda location, region: ())
    [outcome] = executor.execute(bound(world.plan([job]), identity(job.spec.data_location)))
    assert outcome.result is Result.FAILED and "its input is gone" in outcome.message
    assert world.provider.jobs == {}


def test_a_queued_create_is_checked_again_when_its_slot_frees(world: World) -> None:
    jobs = [world.job(f"j{i}") for i in range(6)]
    now = {"etag": '"aaaa1111"'}

    def identities(location: str, region: str) -> tuple[InputIdentity, ...]:
        return (identity(location, etag=now["etag"]),)

    plan = world.plan(jobs)
    changes = tuple(
        c.model_copy(
            update={"inputs": (InputEvidence.of(identity(c.desired.data_location), 9, T0),)}
        )
        if c.desired
        else c
        for c in plan.changes
    )
    executor = world.executor(identities=identities)
    outcomes = executor.execute(plan.model_copy(update={"changes": changes}))
    queued = [c for c in changes if c.queued]
    assert [o.result for o in outcomes].count(Result.QUEUED) == len(queued) == 1
    now["etag"] = '"cccc3333"'  # replaced while the job waited for a slot
    listed = {world.group: []}
    done, remaining = executor.submit_queued(queued, listed)
    assert [o.result for o in done] == [Result.FAILED] and remaining == []
    assert "changed since the plan" in done[0].message


def test_a_retry_keeps_the_failed_attempts_evidence_and_provenance(world: World) -> None:
    job = world.job("a", on_failure="retry")
    world.provider.inputs[job.spec.data_location] = "Input data not found"
    first = identity(job.spec.data_location)
    world.executor(identities=lambda loc, reg: (first,), provenance=PROVENANCE).execute(
        bound(world.plan([job]), first)
    )
    world.clock.advance(31)
    fixed = identity(job.spec.data_location, etag='"dddd4444"')
    later = PROVENANCE.model_copy(update={"plan_id": "plan-2", "approved_by": ("frank",)})
    [outcome] = world.executor(identities=lambda loc, reg: (fixed,), provenance=later).execute(
        bound(world.plan([job]), fixed)
    )
    assert outcome.result is Result.CREATED
    record = world.session.get("g/a")
    assert record is not None and record.job_name == "a-r2"
    [earlier] = record.attempts
    assert earlier.provenance == PROVENANCE and earlier.inputs[0].tag == first.tag
    assert record.provenance == later and record.inputs[0].tag == fixed.tag


def test_a_job_found_only_in_the_service_is_recovered_not_recorded(world: World) -> None:
    job = world.job("a")
    world.executor().execute(world.plan([job]))
    record = world.session.get("g/a")
    assert record is not None and record.seen is not None
    found = adopted(
        None, address="g/a", spec=job.spec, source=job.source, found=record.seen, now=T0
    )
    assert found.recovered and found.inputs == () and found.provenance is None
    kept = adopted(
        record, address="g/a", spec=job.spec, source=job.source, found=record.seen, now=T0
    )
    assert not kept.recovered  # its own record, seen again


def test_the_plan_made_from_an_intent_keeps_the_change_inputs_empty(world: World) -> None:
    """Without preflight (no identities function) nothing is compared and nothing recorded."""
    job = world.job("a")
    [change] = world.plan([job]).changes
    assert isinstance(change, Change) and change.action is Action.CREATE and change.inputs == ()
    [outcome] = world.executor().execute(world.plan([job]))
    record = world.session.get("g/a")
    assert outcome.result is Result.CREATED and record is not None and record.inputs == ()


def test_a_job_of_the_name_made_before_the_create_was_decided_is_not_given_its_evidence(
    world: World,
) -> None:
    job = world.job("a")
    read = identity(job.spec.data_location)
    plan = bound(world.plan([job]), read)
    world.provider.create_job(job.spec)  # someone else's job, same name and spec, earlier
    world.clock.advance(60)
    executor = world.executor(identities=lambda loc, reg: (read,), provenance=PROVENANCE)
    [outcome] = executor.execute(plan)
    assert outcome.result is Result.IMPORTED and "recorded as recovered" in outcome.message
    record = world.session.get("g/a")
    assert record is not None and record.recovered
    assert (record.provenance, record.inputs) == (None, ())  # not what this run approved


def test_a_lost_answer_of_this_create_keeps_its_evidence(world: World) -> None:
    job = world.job("a")
    read = identity(job.spec.data_location)
    plan = bound(world.plan([job]), read)
    world.provider.create_job(job.spec)  # the create's own answer lost: made as it was decided
    executor = world.executor(identities=lambda loc, reg: (read,), provenance=PROVENANCE)
    [outcome] = executor.execute(plan)
    assert outcome.result is Result.IMPORTED and "recovered" not in outcome.message
    record = world.session.get("g/a")
    assert record is not None and not record.recovered and record.provenance == PROVENANCE
