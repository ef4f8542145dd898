"""make_plan over a table of (desired, stored, live) -> actions and diagnostics."""

from __future__ import annotations

from reconciler.diagnostics import Location, Severity
from reconciler.models import DesiredJob, JobStatus
from reconciler.planning.decide import make_plan
from reconciler.planning.model import ActionReason, Health, Limits, Origin, Plan, RecordedState
from reconciler.planning.observed import Observed
from reconciler.state.document import Attempt, JobRecord, StateDocument
from tests.planning.builders import (
    EMULATOR,
    desired,
    detail,
    group,
    live,
    record,
    spec,
    state,
    summary,
)

ORIGIN = Origin(target=EMULATOR, state_location="state.json", manifests_digest="sha256:x")


def plan(
    jobs: list[DesiredJob], stored: RecordedState | None, view: Observed, max_pending: int = 5
) -> Plan:
    return make_plan(jobs, stored, view, Limits(max_pending=max_pending), ORIGIN)


def actions(p: Plan) -> list[tuple[str, str, str]]:
    return [(c.address, c.action.value, c.job_name) for c in p.changes]


def errors(p: Plan) -> list[str]:
    return [d.summary for d in p.diagnostics if d.severity is Severity.ERROR]


def test_create_when_neither_state_nor_service_has_it() -> None:
    p = plan([desired("a")], None, live())
    assert actions(p) == [("g/a", "create", "a")]
    assert p.changes[0].reason is ActionReason.DECLARED_NOT_FOUND
    assert p.changes[0].health is Health.MISSING
    assert (p.has_changes, p.errored, p.applyable) == (True, False, True)


def test_adopt_a_live_job_with_the_same_spec() -> None:
    job = desired("a")
    found = summary("a", status=JobStatus.IN_PROGRESS)
    p = plan([job], None, live([found], [detail(found, job.spec.data_location)]))
    assert actions(p) == [("g/a", "import", "a")]
    assert p.changes[0].observed is not None and p.changes[0].observed.arn == found.arn
    assert p.changes[0].after is not None and p.changes[0].after.arn == found.arn
    assert p.changes[0].health is Health.IN_PROGRESS


def test_name_used_by_another_spec_refuses_that_job_alone() -> None:
    job, other = desired("a"), desired("b")
    found = summary("a")
    p = plan([job, other], None, live([found], [detail(found, "s3://b/other.csv")]))
    assert actions(p) == [("g/b", "create", "b")]  # the rest of the plan applies (issue 26)
    assert errors(p) == ["Job name 'a' is already used by another job"]
    assert (
        "dataSource.dataLocation: 's3://b/other.csv' -> 's3://b/a.csv'" in p.diagnostics[0].detail
    )
    assert p.diagnostics[0].source == Location("m.yaml", 1, 1)
    assert [d.address for d in p.refused] == ["g/a"] and p.refusals()["fan-out"] == 1
    assert not p.errored and p.applyable


def test_a_name_used_in_another_group_of_the_same_account_and_region_blocks() -> None:
    job = desired("a")
    found = summary("a", grp=group("other"))
    p = plan([job], None, live([found], [detail(found, job.spec.data_location)], groups=[group()]))
    assert errors(p) == ["Job name 'a' is already used by another job"]
    assert "datasetGroupArn" in p.diagnostics[0].detail


def test_changed_spec_of_a_recorded_job_blocks_with_field_detail() -> None:
    job = desired("a", location="s3://b/new.csv")
    stored = record(job, spec_override=spec("a", location="s3://b/old.csv"))
    p = plan([job], state(stored), live([summary("a")]))
    assert errors(p) == ["The spec of an existing job changed"]
    assert (
        "dataSource.dataLocation: 's3://b/old.csv' -> 's3://b/new.csv'" in p.diagnostics[0].detail
    )


def test_interrupted_create_is_created_again_or_adopted() -> None:
    job = desired("a")
    intent = record(job, arn=False)
    again = plan([job], state(intent), live())
    assert actions(again) == [("g/a", "create", "a")]
    assert again.changes[0].reason is ActionReason.INTERRUPTED_BEFORE_CREATE
    found = summary("a")
    adopted = plan([job], state(intent), live([found], [detail(found, job.spec.data_location)]))
    assert actions(adopted) == [("g/a", "import", "a")]
    assert adopted.changes[0].reason is ActionReason.INTERRUPTED_AFTER_CREATE


def test_interrupted_retry_is_a_retry_again() -> None:
    job = desired("a", on_failure="retry")
    intent = record(job, arn=False, attempts=2)
    p = plan([job], state(intent), live())
    assert actions(p) == [("g/a", "retry", "a-r2")]


def test_recorded_job_missing_from_the_service_is_drift() -> None:
    job = desired("a")
    p = plan([job], state(record(job)), live())
    assert actions(p) == [("g/a", "no-op", "a")]
    assert p.changes[0].health is Health.MISSING
    assert [d.address for d in p.drift] == ["g/a"]
    assert p.changes[0].reason is ActionReason.MISSING
    assert not p.has_changes


def test_failed_job_is_retried_only_when_asked_and_while_attempts_remain() -> None:
    failed = summary("a", status=JobStatus.FAILED, reason="Input data not found")
    report = desired("a")
    p = plan([report], state(record(report, status=JobStatus.FAILED)), live([failed]))
    assert actions(p) == [("g/a", "no-op", "a")]
    assert p.changes[0].health is Health.FAILED
    assert "onFailure is report" in p.changes[0].detail

    retry = desired("a", on_failure="retry", max_attempts=2)
    p = plan([retry], state(record(retry, status=JobStatus.FAILED)), live([failed]))
    assert actions(p) == [("g/a", "retry", "a-r2")]
    assert p.changes[0].attempt == 2
    assert p.changes[0].detail == "a FAILED (Input data not found); attempt 2 of 2"
    assert p.changes[0].previous == failed and p.changes[0].observed is None

    second = summary("a-r2", status=JobStatus.FAILED)
    p = plan(
        [retry], state(record(retry, status=JobStatus.FAILED, attempts=2)), live([failed, second])
    )
    assert actions(p) == [("g/a", "no-op", "a-r2")]
    assert "no attempts left" in p.changes[0].detail


def test_a_failed_job_nothing_retries_needs_attention_and_retry_asked_retries_it_once() -> None:
    failed = summary("a", status=JobStatus.FAILED, reason="no input")
    job = desired("a")
    stored = state(record(job, status=JobStatus.FAILED))
    p = plan([job], stored, live([failed]))
    assert not p.has_changes and p.needs_attention  # not "no changes"
    [item] = p.attention
    assert (item.address, item.concern.value) == ("g/a", "failed")
    assert item.next_step.startswith(
        "fix the input and, in a pull request, add `onFailure: retry` to it at m.yaml:1:1: the "
        "next apply retries it as a-r2; an operator can instead run `reconciler apply --retry "
        "g/a` once"
    )

    asked = make_plan([job], stored, live([failed]), Limits(), ORIGIN, retry=["g/a"])
    assert actions(asked) == [("g/a", "retry", "a-r2")]
    assert asked.attention == () and asked.retries == ("g/a",)
    assert asked.changes[0].detail == "a FAILED (no input); attempt 2, asked with --retry"
    why = make_plan(
        [job], stored, live([failed]), Limits(), ORIGIN, retry=["g/a"], rerun_reason="X"
    )
    assert (why.changes[0].detail, why.changes[0].rerun) == (
        "a FAILED (no input); attempt 2, asked with --retry: X",
        "X",  # recorded with the attempt
    )

    done = live([summary("a", status=JobStatus.COMPLETED)])
    refused = make_plan([job], stored, done, Limits(), ORIGIN, retry=["g/a", "g/zz"])
    assert errors(refused) == ["--retry g/a: cannot retry", "--retry g/zz: cannot retry"]
    assert (
        "g/a a is COMPLETED: to run its deletion again (an import brought users back), give "
        in (refused.diagnostics[0].detail)
    )
    again = make_plan([job], stored, done, Limits(), ORIGIN, retry=["g/a"], rerun_reason="PRIV-7")
    [rerun] = [c for c in again.changes if c.address == "g/a"]
    assert (rerun.action.value, rerun.job_name, rerun.rerun) == ("retry", "a-r2", "PRIV-7")
    assert rerun.detail == "a COMPLETED; run again as attempt 2 (--retry): PRIV-7"


def test_a_recorded_job_the_service_no_longer_lists_needs_attention() -> None:
    job = desired("a")
    p = plan([job], state(record(job, status=JobStatus.COMPLETED)), live([]))
    assert not p.has_changes and p.needs_attention
    [item] = p.attention
    assert (item.concern.value, item.detail) == (
        "missing",
        "a is no longer listed by the service (drift)",
    )
    assert "in a pull request, remove the job from the manifests" in item.next_step
    assert "`reconciler state rm g/a` so that the next plan creates it again" in item.next_step
    [change] = p.changes
    assert change.after is not None and change.after.status is JobStatus.COMPLETED  # as before


def test_a_retry_name_another_job_has_in_the_service_is_passed_by() -> None:
    retry = desired("a", on_failure="retry")
    jobs = [summary("a", status=JobStatus.FAILED), summary("a-r2", grp=group("other"))]
    p = plan([retry], state(record(retry, status=JobStatus.FAILED)), live(jobs, groups=[group()]))
    assert errors(p) == []
    [(address, action, name)] = actions(p)
    assert (address, action) == ("g/a", "retry")
    assert name == retry.spec.derived_name(2, turn=1) and name.endswith("-r2")


def test_derived_names_fit_63_characters() -> None:
    long = spec("x" * 63)
    assert long.derived_name(2).startswith("x" * 51 + "-") and long.derived_name(2).endswith("-r2")
    assert len(long.derived_name(2)) == len(long.derived_name(10)) == 63
    assert spec("x" * 60).derived_name(2) == "x" * 60 + "-r2"  # a name that fits is kept whole


def test_r2_04_long_names_that_share_their_start_never_share_a_retry_name() -> None:
    first, second = spec("a" * 60 + "one"), spec("a" * 60 + "two")  # 63 each, 60 in common
    for attempt in range(2, 11):
        one, two = first.derived_name(attempt), second.derived_name(attempt)
        assert one != two and len(one) <= 63 and len(two) <= 63
        assert one == first.derived_name(attempt)  # the same at every plan
    failed = [summary(first.job_name, status=JobStatus.FAILED)]
    failed.append(summary(second.job_name, status=JobStatus.FAILED))
    jobs = [desired(s.job_name, on_failure="retry") for s in (first, second)]
    recorded = state(*(record(job, status=JobStatus.FAILED) for job in jobs))
    p = plan(jobs, recorded, live(failed))
    names = [name for _, action, name in actions(p) if action == "retry"]
    assert len(names) == 2 and len(set(names)) == 2


def test_recorded_job_no_longer_declared_is_forgotten() -> None:
    gone = desired("gone")
    p = plan([], state(record(gone)), live([summary("gone")]))
    assert actions(p) == [("g/gone", "forget", "gone")]
    assert "stays in Personalize" in p.changes[0].detail


def test_missing_dataset_group_blocks_once() -> None:
    absent = group("absent")
    p = plan([desired("a", grp=absent), desired("b", grp=absent)], None, live(missing=[absent]))
    assert errors(p) == ["Dataset group not found"]
    assert p.changes == ()


def test_unmanaged_live_jobs_are_reported_as_information() -> None:
    p = plan([desired("a")], None, live([summary("stranger")]))
    info = [d for d in p.diagnostics if d.severity is Severity.INFO]
    assert [d.summary for d in info] == ["Job 'stranger' is not managed"]
    assert not p.errored


def test_creates_queue_behind_the_pending_quota_counting_live_pending_jobs() -> None:
    other = group("other")
    jobs = [desired(f"a{i}") for i in range(7)] + [desired("b0", grp=other)]
    pending = [
        summary("stranger-1"),
        summary("stranger-2"),
        summary("done", status=JobStatus.COMPLETED),
    ]
    p = plan(jobs, None, live(pending, groups=[group(), other]))
    queued = [c.job_name for c in p.changes if c.queued]
    assert queued == ["a3", "a4", "a5", "a6"]
    assert all(c.health is Health.QUEUED for c in p.changes if c.queued)
    quotas = {q.dataset_group_arn: (q.pending, q.creates_now, q.queued) for q in p.quotas}
    assert quotas == {group(): (2, 3, 4), other: (0, 1, 0)}
    assert p.summary() == {
        "create": 8,
        "import": 0,
        "retry": 0,
        "forget": 0,
        "no-op": 0,
        "queued": 4,
        "held": 0,
        "refused": 0,
        "left_out": 0,
    }


def test_status_progress_is_refreshed_not_drift() -> None:
    job = desired("a")
    done = summary("a", status=JobStatus.COMPLETED)
    p = plan([job], state(record(job)), live([done], [detail(done, job.spec.data_location, 12)]))
    assert actions(p) == [("g/a", "no-op", "a")]
    assert [(r.before, r.after) for r in p.refreshed] == [(JobStatus.PENDING, JobStatus.COMPLETED)]
    assert p.changes[0].observed is not None and p.changes[0].observed.num_deleted == 12
    assert p.changes[0].after is not None and p.changes[0].after.num_deleted == 12
    assert p.drift == ()
    assert not p.has_changes


def test_a_recorded_num_deleted_stays_in_the_after_values_when_list_omits_it() -> None:
    job = desired("a")
    done = summary("a", status=JobStatus.COMPLETED)
    recorded = record(job, status=JobStatus.COMPLETED)
    assert recorded.seen is not None
    recorded = recorded.model_copy(
        update={"seen": recorded.seen.model_copy(update={"num_deleted": 41})}
    )
    p = plan([job], state(recorded), live([done]))
    change = p.changes[0]
    assert change.observed is not None and change.observed.num_deleted is None  # List's view
    assert change.after is not None and change.after.num_deleted == 41
    assert p.api_calls == {}


def test_a_lost_state_imports_the_latest_attempt_with_the_earlier_ones_as_history() -> None:
    job = desired("a", on_failure="retry")
    first = summary("a", status=JobStatus.FAILED, reason="no input")
    second = summary("a-r2", status=JobStatus.COMPLETED)
    view = live(
        [first, second],
        [detail(first, job.spec.data_location), detail(second, job.spec.data_location, 4)],
    )
    p = plan([job], None, view)
    assert actions(p) == [("g/a", "import", "a-r2")]
    [change] = p.changes
    assert change.attempt == 2 and [e.job_name for e in change.earlier] == ["a"]
    assert change.after is not None and change.after.num_deleted == 4
    assert "(and 1 earlier attempts)" in change.detail
    assert [d.summary for d in p.diagnostics] == []  # a-r2 is known, not "not managed"


def test_a_retry_name_held_by_another_spec_is_not_an_attempt_of_this_job() -> None:
    job = desired("a", on_failure="retry")
    first = summary("a", status=JobStatus.FAILED)
    other = summary("a-r2")
    view = live(
        [first, other], [detail(first, job.spec.data_location), detail(other, "s3://b/x.csv")]
    )
    p = plan([job], None, view)
    assert errors(p) == []
    assert actions(p) == [("g/a", "import", "a")]  # the FAILED first attempt, and no history
    assert p.changes[0].earlier == ()


def test_a_name_another_declared_job_holds_is_not_an_attempt_of_this_one() -> None:
    x, x_r2 = desired("x"), desired("x-r2", location="s3://b/x.csv")
    taken = summary("x-r2")
    p = plan([x, x_r2], None, live([taken], [detail(taken, x_r2.spec.data_location)]))
    assert sorted(actions(p)) == [("g/x", "create", "x"), ("g/x-r2", "import", "x-r2")]
    assert errors(p) == []


def test_a_gap_in_the_attempts_keeps_the_attempt_count() -> None:
    job = desired("a", on_failure="retry", max_attempts=5)
    third = summary("a-r3", status=JobStatus.FAILED)
    p = plan([job], None, live([third], [detail(third, job.spec.data_location)]))
    [change] = p.changes
    assert (change.job_name, change.attempt) == ("a-r3", 3)
    assert [(e.job_name, e.seen) for e in change.earlier] == [("a", None), ("a-r2", None)]


def test_a_failed_job_being_imported_needs_attention_and_its_retry_waits_for_the_import() -> None:
    job = desired("a")
    found = summary("a", status=JobStatus.FAILED, reason="no input")
    view = live([found], [detail(found, job.spec.data_location)])
    p = make_plan([job], None, view, Limits(), ORIGIN, retry=["g/a"])
    assert actions(p) == [("g/a", "import", "a")]
    assert [(a.address, a.concern.value) for a in p.attention] == [("g/a", "failed")]
    assert errors(p) == ["--retry g/a: cannot retry"]
    assert "this plan imports it; ask for its retry in the next apply" in p.diagnostics[0].detail


def test_forgetting_a_failed_job_says_its_users_were_never_deleted() -> None:
    job = desired("a")
    p = plan([], state(record(job, status=JobStatus.FAILED)), live([summary("a", status="FAILED")]))
    assert actions(p) == [("g/a", "forget", "a")]
    assert "it FAILED: its users were never deleted; declare a new job" in p.changes[0].detail


def test_r2_02_a_retry_and_a_declared_job_never_get_one_name() -> None:
    x, x_r2 = desired("x", on_failure="retry"), desired("x-r2")
    failed = summary("x", status=JobStatus.FAILED)
    p = plan([x, x_r2], state(record(x, status=JobStatus.FAILED)), live([failed]))
    creates = {address: name for address, action, name in actions(p) if action != "no-op"}
    assert creates["g/x-r2"] == "x-r2"
    assert creates["g/x"] != "x-r2"
    assert creates["g/x"] == x.spec.derived_name(2, turn=1)
    assert errors(p) == [] and p.applyable


def test_r2_01_a_retry_passes_by_the_name_of_a_group_selected_since() -> None:
    # gdpr in group `shop` FAILED; a group `shop-r2` appeared, whose job is `gdpr-shop-r2`
    shop = desired("gdpr-shop", grp=group("shop"), on_failure="retry")
    newer = desired("gdpr-shop-r2", grp=group("shop-r2"))
    failed = summary("gdpr-shop", grp=group("shop"), status=JobStatus.FAILED)
    view = live([failed], groups=[group("shop"), group("shop-r2")])
    p = plan([shop, newer], state(record(shop, status=JobStatus.FAILED)), view)
    names = [name for _, action, name in actions(p) if action in ("create", "retry")]
    assert sorted(names) == sorted({*names}) and len(names) == 2
    assert errors(p) == []


def test_r2_09_a_later_attempt_the_state_lost_is_imported_not_made_again() -> None:
    job = desired("a", on_failure="report")  # nothing would retry it: still found
    first = summary("a", status=JobStatus.FAILED)
    later = summary("a-r2", status=JobStatus.COMPLETED)
    view = live([first, later], [detail(later, job.spec.data_location, num_deleted=3)])
    p = plan([job], state(record(job, status=JobStatus.FAILED)), view)
    assert actions(p) == [("g/a", "import", "a-r2")]
    [change] = p.changes
    assert change.attempt == 2 and change.recorded is not None
    assert p.attention == () and errors(p) == []


def test_every_candidate_name_of_every_attempt_is_known_as_one() -> None:
    for name in ("a", "x" * 63, "gdpr-r2"):
        job = spec(name)
        names = [n for attempt in range(2, 11) for n in job.candidate_names(attempt)]
        legacy = [job.legacy_name(attempt) for attempt in range(2, 11)]
        assert all(job.is_attempt_name(n) for n in [name, *names, *filter(None, legacy)])
        assert not job.is_attempt_name(name + "-r11") and not job.is_attempt_name("other-r2")
        assert not job.is_attempt_name(name + "-r1") and not job.is_attempt_name(name + "-rx")


def test_a_retry_named_as_reconciler_0_2_named_it_is_found_and_read() -> None:
    long = "j" * 62  # `NAME-r2` is 65 characters: 0.2 cut the name to 60 before `-r2`
    job = desired(long, on_failure="retry")
    legacy = long[:60] + "-r2"
    assert job.spec.legacy_name(2) == legacy and job.spec.is_attempt_name(legacy)
    first = summary(long, status=JobStatus.FAILED)
    retried = summary(legacy, status=JobStatus.COMPLETED)
    view = live(
        [first, retried],
        [detail(first, job.spec.data_location), detail(retried, job.spec.data_location)],
    )
    p = plan([job], None, view)  # a lost state: the 0.2 retry is imported, not made again
    assert actions(p) == [(f"g/{long}", "import", legacy)]
    document = StateDocument(
        lineage="L",
        serial=1,
        jobs={
            job.address: JobRecord(
                address=job.address,
                spec=job.spec,
                spec_digest=job.spec.digest(),
                manifest="m",
                job_name=legacy,
                attempts=(Attempt(job_name=long),),
            )
        },
    )  # a state 0.2 wrote is read, not refused as corrupt
    assert document.jobs[job.address].job_name == legacy


def test_i19_on_failure_retry_does_not_retry_an_input_unchanged_since_it_failed() -> None:
    """The same file would fail again: `unchanged` (what the workspace found by comparing the
    input's version now with the failed attempt's) turns the retry into an attention item; a
    person's `--retry` still goes (the failure may have been the role's)."""
    failed = summary("a", status=JobStatus.FAILED, reason="row 7 has two columns")
    job = desired("a", on_failure="retry")
    stored = state(record(job, status=JobStatus.FAILED))
    p = make_plan([job], stored, live([failed]), Limits(), ORIGIN, unchanged={"g/a"})
    assert not p.has_changes and actions(p) == [("g/a", "no-op", "a")]
    [item] = p.attention
    assert item.concern.value == "failed"
    assert item.next_step.startswith(
        "replace the file at its location with a fixed one: the same file would fail again"
    )
    assert "declare the job again with another jobName at m.yaml:1:1" in item.next_step
    assert "`reconciler apply --retry g/a` to retry it as it is" in item.next_step

    asked = make_plan(
        [job], stored, live([failed]), Limits(), ORIGIN, retry=["g/a"], unchanged={"g/a"}
    )
    assert actions(asked) == [("g/a", "retry", "a-r2")] and asked.attention == ()

    changed = make_plan([job], stored, live([failed]), Limits(), ORIGIN)
    assert actions(changed) == [("g/a", "retry", "a-r2")]
