"""The report use case with fakes and no command line: the `Report` value it returns (requests,
verdicts, each attempt with what its record holds and nothing read later, recovered attempts and
the lineage note, the service's word with `refresh`, the models), what it refuses and when, and
the events it emits instead of writing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.evidence import Verdict
from reconciler.files import OutputRefused
from reconciler.models import JobStatus
from reconciler.providers.inputs import InputReader
from reconciler.render.report import (
    render_report_csv,
    render_report_json,
    render_report_markdown,
)
from reconciler.state.document import Attempt, LineageMark, StateDocument
from reconciler.usecases.events import Note, Warned
from reconciler.usecases.importing import ImportInputs, import_job
from reconciler.usecases.report import Reported, ReportInputs, make_report
from tests.fakes.state import MemoryBackend
from tests.render.evidence_builders import KEYED, PLAIN_SHA256, evidence, reviewed
from tests.usecases.world import GROUP, World

NO_GIT = "not in a git checkout: no commit is named for the jobs' manifest lines"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def recorded(world: World) -> World:
    """shop/w46 created, COMPLETED (2 users) and imported; shop/w47 declared, not applied."""
    arn = world.create("w46")
    world.clock.advance(60)
    import_job(ImportInputs(world.manifests, "shop/w46", arn), world.runtime())
    return world


def report(
    world: World, request: str | None = None, refresh: bool = False, output: Path | None = None
) -> Reported:
    given = ReportInputs(
        world.manifests, request=request, refresh=refresh, output=output, checkout=world.root
    )
    return make_report(given, world.runtime(), world.events.append)


def test_nothing_recorded_or_declared_asks_the_service_nothing(world: World) -> None:
    result = make_report(
        ReportInputs(world.root / "absent", checkout=world.root),
        world.runtime(),
        world.events.append,
    )
    assert result.report.target == "Target: none (nothing is recorded or declared)"
    assert result.report.requests == () and result.report.notes == (NO_GIT,)
    assert result.jobs == 0 and not world.provider.calls
    assert world.events == [] and world.silent()


def unread(world: World) -> None:
    """The report must read no input: evidence is only what was recorded at the time."""

    def refused() -> InputReader:
        raise AssertionError("an input was read at report time")

    world.provider.input_reader = refused  # type: ignore[method-assign]


def test_recorded_and_declared_jobs_by_request_with_nothing_read_later(world: World) -> None:
    recorded(world)
    unread(world)
    result = report(world)
    priv1, priv2 = result.report.requests
    assert (priv1.request, priv1.verdict, priv1.num_deleted) == ("PRIV-1", Verdict.COMPLETED, 2)
    (attempt,) = priv1.jobs[0].attempts
    assert attempt.status is JobStatus.COMPLETED and attempt.input_location == "s3://bucket/w46.csv"
    assert attempt.inputs == () and attempt.provenance is None  # the import recorded none
    assert attempt.recovered  # found in the service: nothing was recorded at the time
    assert priv1.jobs[0].declared == f"{world.manifests / 'shop.yaml'}:6:5"
    (w47,) = priv2.jobs  # declared, never applied
    assert (w47.address, w47.latest.status, priv2.verdict) == ("shop/w47", None, Verdict.PENDING)
    (models,) = result.report.models
    assert models.dataset_group_arn == GROUP and models.last_deletion is not None
    assert result.report.target.startswith("Target: ") and result.report.state_location == "memory"
    assert result.jobs == 2 and result.protected == (Path(".reconciler/state.json"),)
    started = result.report.state_started
    assert started is not None and started > attempt.created  # the import started the state
    assert result.report.notes == (
        NO_GIT,
        "some attempts were recovered from the service (found there, not recorded at the time: "
        "a state rebuilt, or jobs imported); their evidence comes from the service only; "
        f"this state was started on {started:%Y-%m-%d %H:%M:%S} UTC",
    )
    assert world.events == [] and world.silent()


def rebuilt(world: World) -> World:
    """shop/w47 FAILED before the state was lost (found in the service when it was rebuilt:
    recovered), then retried as w47-r2 from a reviewed saved plan, with its input's identity
    and keyed digest and its provenance recorded; the state started again in between."""
    failed = world.create("w47")  # its input is missing: it FAILs
    world.clock.advance(60)
    failed_seen = world.provider.describe_job(failed)
    world.clock.advance(3600)
    started = world.clock.datetime()
    world.clock.advance(60)
    world.provider.inputs["s3://bucket/w47.csv"] = 1
    retry = world.create("w47", job_name="w47-r2")
    world.clock.advance(60)
    desired = world.declared("w47")
    record = {
        "address": "shop/w47",
        "spec": desired.spec,
        "spec_digest": desired.spec.digest(),
        "manifest": str(desired.source),
        "job_name": "w47-r2",
        "seen": world.provider.describe_job(retry),
        "attempts": (Attempt(job_name="w47", seen=failed_seen, recovered=True),),
        "inputs": (evidence("s3://bucket/w47.csv"),),
        "provenance": reviewed(),
    }
    world.backend.document = StateDocument.model_validate(
        {
            "lineage": "L2",
            "serial": 3,
            "lineages": (LineageMark(lineage="L2", started=started, note="rebuilt"),),
            "jobs": {"shop/w47": record},
        }
    )
    return world


def test_recovered_attempts_are_labelled_and_the_lineage_is_noted(world: World) -> None:
    unread(rebuilt(world))
    result = report(world, request="PRIV-2")
    first, second = result.report.requests[0].jobs[0].attempts
    assert (first.job_name, first.status, first.recovered) == ("w47", JobStatus.FAILED, True)
    assert first.inputs == () and first.provenance is None  # nothing of the retry's attached
    assert (second.job_name, second.recovered) == ("w47-r2", False)
    assert second.inputs == (evidence("s3://bucket/w47.csv"),) and second.provenance == reviewed()
    started = world.backend.document.started if world.backend.document else None
    assert result.report.state_started == started is not None
    when = started.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert result.report.notes[-1] == (
        "some attempts were recovered from the service (found there, not recorded at the time: "
        "a state rebuilt, or jobs imported); their evidence comes from the service only; "
        f"this state was started on {when}"
    )


def test_no_output_holds_the_plain_sha256_of_an_input(world: World) -> None:
    result = report(rebuilt(world))
    for render in (render_report_markdown, render_report_json, render_report_csv):
        text = render(result.report)
        assert KEYED in text and PLAIN_SHA256 not in text


def test_a_state_started_before_every_attempt_has_no_lineage_note(world: World) -> None:
    rebuilt(world)
    assert world.backend.document is not None
    earlier = world.backend.document.lineages[0].started - timedelta(days=1)
    document = world.backend.document.model_copy(
        update={
            "lineages": (LineageMark(lineage="L2", started=earlier),),
            "jobs": {
                address: job.model_copy(update={"attempts": ()})
                for address, job in world.backend.document.jobs.items()
            },
        }
    )
    world.backend.document = document
    assert report(world).report.notes == (NO_GIT,)


def test_refresh_asks_the_service_and_notes_a_job_it_no_longer_has(world: World) -> None:
    recorded(world).provider.remove_job("w46")
    assert report(world).report.requests[0].verdict is Verdict.COMPLETED  # as the state saw it
    result = report(world, refresh=True, request="PRIV-1")
    assert result.report.refreshed and [r.request for r in result.report.requests] == ["PRIV-1"]
    assert "shop/w46: w46 is no longer in the service" in result.report.notes


def test_a_request_no_job_carries_is_refused_with_those_the_state_has(world: World) -> None:
    with pytest.raises(UsageError) as refused:
        report(recorded(world), request="PRIV-9")
    assert str(refused.value) == (
        "no job carries the request 'PRIV-9' (a job's request is its `request` tag, or its "
        "jobName); the state has: PRIV-1"
    )


def test_a_broken_tree_is_a_warning_and_the_state_is_reported(world: World) -> None:
    recorded(world)
    (world.manifests / "broken.yaml").write_text("apiVersion: reconciler/v1\nkind: Nope\n")
    result = report(world)
    assert world.events == [
        Warned(
            f"the manifests under {world.manifests} have 1 problem (`reconciler validate` lists "
            "them): going on with their settings alone."
        )
    ]
    (priv1,) = result.report.requests  # the undeclared w47 is not known without the tree
    assert [job.address for job in priv1.jobs] == ["shop/w46"]
    assert priv1.verdict is Verdict.COMPLETED and world.silent()
    [note] = [n for n in result.report.notes if "manifests have" in n]  # in the report itself
    assert "only what the state records is reported" in note


def test_an_output_over_the_state_is_refused_before_the_state_is_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(world.root)
    with pytest.raises(OutputRefused):
        report(world, output=Path(".reconciler/state.json.backup"))
    assert world.backends == 0 and not world.provider.calls


class Noted(MemoryBackend):
    def notices(self) -> list[str]:
        return ["the S3 lineage pin was not read: \x1b[31maccess denied"]


def test_what_the_backend_says_is_a_note_made_printable(tmp_path: Path) -> None:
    world = World(tmp_path, Noted())
    report(world)
    assert world.events == [Note("the S3 lineage pin was not read: \\x1b[31maccess denied")]
    assert world.silent()
