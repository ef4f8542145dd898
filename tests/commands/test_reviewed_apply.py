"""Issue 24, apply what was reviewed: `apply --reviewed PLANFILE` applies the reviewed plan while
it is current, with its approval; otherwise a fresh plan, said on stderr, as an annotation, in
the step summary and in `--fresh-note` with how it differs, and without the reviewers' names
(or nothing, with `apply.requireReviewedPlan`); never a plan whose input was replaced since the
review. `apply --queued-only` (the scheduled run) creates only what an earlier apply queued,
on the same input, with that apply's approval, and leaves everything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.render.github import FRESH_MARKER
from tests.commands.conftest import Project
from tests.commands.test_evidence import W47, same_size_other_users

APPROVAL = ("--change-ref", "https://github.com/acme/privacy/pull/12", "--approved-by", "alice")
PR = "https://github.com/acme/privacy/pull/12"
EU = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"


def one_pending_per_group(project: Project) -> None:
    """One PENDING job per group: of the example's 5 jobs, 2 are created and 3 queued."""
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("quotas: {maxPendingJobsPerDatasetGroup: 1}\n")


def settle(project: Project) -> None:
    """The jobs created so far leave PENDING (the emulator's 2 s, then 3 s IN_PROGRESS)."""
    project.clock.advance(10)


def test_a_current_reviewed_plan_is_applied_with_its_approval(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    saved = json.loads(Path("plan.json").read_text())["digest"]
    assert project.apply("--reviewed", "plan.json", *APPROVAL) == 0
    assert "not the reviewed one" not in project.err.getvalue()
    made = project.state().jobs["shop-eu/gdpr-2026-w47"].provenance
    assert made is not None
    assert (made.plan_digest, made.change_ref, made.approved_by) == (saved, PR, ("alice",))


def test_a_stale_reviewed_plan_gives_way_to_a_fresh_one_said_everywhere(
    project: Project, tmp_path: Path
) -> None:
    one_pending_per_group(project)
    assert project.run("plan", "-out", "plan.json") == 0
    assert project.apply() == 0  # another apply meanwhile: 2 created, 3 queued
    settle(project)
    summary = tmp_path / "summary.md"
    project.environ["GITHUB_STEP_SUMMARY"] = str(summary)
    flags = ("--fresh-note", "fresh.md", "--format", "github", *APPROVAL)
    assert project.apply("--reviewed", "plan.json", *flags) == 0
    headline = (
        "Applied a fresh plan, not the reviewed one: 2 changes differ (the state changed since "
        "the plan was made"
    )
    err, out = project.err.getvalue(), project.out.getvalue()
    assert "Warning: A fresh plan is applied, not the reviewed one: 2 changes differ" in err
    assert "  shop-eu/gdpr-2026-w46: the plan says create gdpr-2026-w46, now it is nothing" in err
    assert f"::warning title=Not the reviewed plan::{headline}" in out
    note = Path("fresh.md").read_text()
    assert note.startswith("⚠️ **Applied a fresh plan, not the reviewed one: 2 changes differ")
    assert "- shop-us/ccpa-2026-w47: the plan says create ccpa-2026-w47, now it is nothing" in (
        note
    )
    assert "Run: test-host" in note or "Run: tester" in note
    assert note.rstrip().endswith(FRESH_MARKER) and note in summary.read_text()
    made = project.state().jobs["shop-eu/gdpr-2026-w47"].provenance
    assert made is not None  # the change it carries out, not the names of another plan's review
    assert (made.plan_digest, made.change_ref, made.approved_by) == (None, PR, ())


def test_a_missing_reviewed_plan_gives_way_to_a_fresh_one(project: Project) -> None:
    assert project.apply("--reviewed", "nowhere.json") == 0
    assert (
        "Warning: A fresh plan is applied, not the reviewed one: the reviewed plan could not be "
        "read to compare (nowhere.json: no such plan file)"
    ) in project.err.getvalue()
    assert len(project.live_names()) == 5


def test_require_reviewed_plan_refuses_a_stale_one_and_applies_nothing(project: Project) -> None:
    one_pending_per_group(project)
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("apply: {requireReviewedPlan: true}\n")
    assert project.run("plan", "-out", "plan.json") == 0
    assert project.apply() == 0
    settle(project)
    assert project.apply("--reviewed", "plan.json") == 1
    err = project.err.getvalue()
    assert "Error: The reviewed plan was not applied: the state changed since the plan" in err
    assert "apply.requireReviewedPlan is true, so nothing was applied" in err
    assert len(project.live_names()) == 2  # the 3 queued ones were not created by it
    assert project.apply("--reviewed", "nowhere.json") == 1  # nor without a reviewed plan
    assert len(project.live_names()) == 2


def test_an_input_replaced_after_the_review_applies_nothing_at_all(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    same_size_other_users(W47)
    assert project.apply("--reviewed", "plan.json", *APPROVAL) == 1
    assert (
        "Error: The reviewed plan was not applied, nor a fresh one: an input of "
        "shop-eu/gdpr-2026-w47 is not the file the reviewed plan read"
    ) in project.err.getvalue()
    assert project.live_names() == []


def test_an_edited_reviewed_plan_is_refused_not_replaced(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    document = json.loads(Path("plan.json").read_text())
    document["plan"]["retries"] = ["shop-eu/gdpr-2026-w47"]
    Path("plan.json").write_text(json.dumps(document))
    assert project.apply("--reviewed", "plan.json") == 1
    assert "the saved plan was changed after it was saved" in project.err.getvalue()
    assert project.live_names() == []


def test_queued_only_creates_what_a_reviewed_apply_queued_with_its_approval(
    project: Project,
) -> None:
    one_pending_per_group(project)
    assert project.run("plan", "-out", "plan.json") == 0
    saved = json.loads(Path("plan.json").read_text())["digest"]
    assert project.apply("--reviewed", "plan.json", *APPROVAL) == 0
    queued = project.state().queued
    assert sorted(queued) == [
        "shop-eu/closed-accounts-2026-11",
        "shop-eu/gdpr-2026-w47",
        "shop-us/closed-accounts-us-2026-11",
    ]
    assert {q.provenance.approved_by for q in queued.values()} == {("alice",)}
    assert all(q.inputs for q in queued.values())  # the evidence the reviewed plan read
    added = project.write_input("added.csv", "USER_ID\neu-00001\n")
    project.write_manifest(
        "added.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {EU}\n"
        "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\n"
        f"jobs:\n  - jobName: not-reviewed\n    dataSource: {{dataLocation: {added}}}\n",
    )
    settle(project)
    assert project.apply("--queued-only") == 0
    shown = project.out.getvalue()  # the plan's warning
    assert "Warning: 1 change the manifests call for is left out of this plan" in shown
    assert "shop-eu/not-reviewed (create: no earlier apply decided it" in shown
    assert "not-reviewed" not in project.live_names()
    jobs = project.state().jobs
    for address in ("shop-eu/gdpr-2026-w47", "shop-us/closed-accounts-us-2026-11"):
        made = jobs[address].provenance
        assert made is not None and (made.plan_digest, made.approved_by) == (saved, ("alice",))
        assert (made.run.host, made.change_ref) == ("test-host", PR)  # run by this run
    assert sorted(project.state().queued) == ["shop-eu/closed-accounts-2026-11"]


def test_queued_only_leaves_a_queued_create_whose_input_changed(project: Project) -> None:
    one_pending_per_group(project)
    assert project.apply(*APPROVAL) == 0  # gdpr-2026-w46 created; w47 queued
    assert "shop-eu/gdpr-2026-w47" in project.state().queued
    same_size_other_users(W47)
    settle(project)
    assert project.apply("--queued-only") == 0
    assert (
        "shop-eu/gdpr-2026-w47 (create: its input is not the version the apply that decided it "
        "read)"
    ) in project.out.getvalue()
    assert "gdpr-2026-w47" not in project.live_names()


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--queued-only", "--reviewed", "plan.json"), "--queued-only makes its own plan"),
        (("--reviewed", "plan.json", "plan.json"), "give the saved plan once"),
        (("--fresh-note", "fresh.md"), "--fresh-note goes with --reviewed PLANFILE"),
        (("--reviewed", "plan.json", "--skip-preflight"), "--skip-preflight goes to"),
    ],
)
def test_what_cannot_go_together_is_refused(
    project: Project, flags: tuple[str, ...], said: str
) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    assert project.apply(*flags) == 1
    assert said in project.err.getvalue()
    assert project.live_names() == []


def test_a_fresh_note_is_never_written_over_the_state(project: Project) -> None:
    assert project.apply() == 0
    state = Path(".reconciler/state.json").read_bytes()
    assert (
        project.apply("--reviewed", "nowhere.json", "--fresh-note", ".reconciler/state.json") == 1
    )
    assert "--fresh-note" in project.err.getvalue()
    assert Path(".reconciler/state.json").read_bytes() == state


def test_a_fresh_plan_that_cannot_be_applied_says_nothing_was_applied(project: Project) -> None:
    assert project.run("plan", "-out", "plan.json") == 0
    assert project.apply() == 0  # the reviewed plan is stale now
    manifest = project.root / "manifests" / "shop-eu.yaml"
    manifest.write_text(manifest.read_text().replace("request: PRIV-1201", "request: PRIV-9"))
    assert project.apply("--reviewed", "plan.json", "--fresh-note", "fresh.md") == 1  # immutable
    note = Path("fresh.md").read_text()
    assert note.startswith("⚠️ **Made a fresh plan, not the reviewed one, and applied nothing")
    assert "Applied a fresh plan" not in note


def test_the_approval_of_the_apply_that_queued_a_create_stays_with_it(project: Project) -> None:
    one_pending_per_group(project)
    assert project.run("plan", "-out", "first.json") == 0
    assert project.apply("--reviewed", "first.json", *APPROVAL) == 0  # queues w47
    settle(project)
    assert project.run("plan", "-out", "second.json") == 0  # another pull request's plan
    later = ("--change-ref", "https://github.com/acme/privacy/pull/99", "--approved-by", "mallory")
    assert project.apply("--reviewed", "second.json", *later) == 0
    made = project.state().jobs["shop-eu/gdpr-2026-w47"].provenance
    assert made is not None and (made.change_ref, made.approved_by) == (PR, ("alice",))


def test_a_stale_plan_saved_without_preflight_gives_way_instead_of_refusing(
    project: Project,
) -> None:
    assert project.run("plan", "--skip-preflight", "-out", "plan.json") == 0
    one_pending_per_group(project)
    assert project.apply() == 0
    settle(project)
    assert project.apply("--reviewed", "plan.json") == 0  # no input was bound: nothing replaced
    assert "A fresh plan is applied, not the reviewed one" in project.err.getvalue()


class Crash(BaseException):
    """The process dying: nothing after it runs."""


def test_queued_only_creates_an_interrupted_create_only_on_the_input_it_decided_on(
    project: Project,
) -> None:
    def crash(point: str, address: str) -> None:
        if point == "after_intent":
            raise Crash(address)

    with pytest.raises(Crash):  # the wave's intents are stored; no create is sent
        project.apply("--parallelism", "1", *APPROVAL, checkpoint=crash)
    intents = {a for a, r in project.state().jobs.items() if r.seen is None}
    assert {"shop-eu/gdpr-2026-w46", "shop-eu/gdpr-2026-w47"} <= intents
    same_size_other_users(W47)  # replaced since that apply decided it
    assert project.apply("--queued-only") == 0
    assert (
        "shop-eu/gdpr-2026-w47 (create: its input is not the version the apply that decided it "
        "read)"
    ) in project.out.getvalue()
    live = project.live_names()
    assert "gdpr-2026-w47" not in live and "gdpr-2026-w46" in live
    made = project.state().jobs["shop-eu/gdpr-2026-w46"].provenance
    assert made is not None and made.approved_by == ("alice",)  # the decision's approval


def test_the_queue_is_kept_when_a_waiting_run_is_stopped(project: Project) -> None:
    one_pending_per_group(project)

    def stop(point: str, address: str) -> None:
        if (point, address) == ("after_intent", "shop-eu/gdpr-2026-w47"):
            raise KeyboardInterrupt  # Ctrl-C while waiting, as w47 gets its slot

    assert project.apply(*APPROVAL, wait=True, checkpoint=stop) != 0
    assert "shop-eu/closed-accounts-2026-11" in project.state().queued
