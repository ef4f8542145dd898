"""The report use case with fakes and no command line: the `Report` value it returns (requests,
verdicts, digests read now, the service's word with `refresh`, the models), what it refuses and
when, and the events it emits instead of writing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.evidence import Verdict
from reconciler.files import OutputRefused
from reconciler.models import JobStatus
from reconciler.usecases.events import Note, Warned
from reconciler.usecases.importing import ImportInputs, import_job
from reconciler.usecases.report import Reported, ReportInputs, make_report
from tests.fakes.provider import _FakeInputs
from tests.fakes.state import MemoryBackend
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


def test_recorded_and_declared_jobs_by_request_with_inputs_read_now(world: World) -> None:
    result = report(recorded(world))
    priv1, priv2 = result.report.requests
    assert (priv1.request, priv1.verdict, priv1.num_deleted) == ("PRIV-1", Verdict.COMPLETED, 2)
    (attempt,) = priv1.jobs[0].attempts
    assert attempt.status is JobStatus.COMPLETED and attempt.input_location == "s3://bucket/w46.csv"
    (digest,) = attempt.inputs  # the import recorded none: read now, whole
    assert digest.sha256 == hashlib.sha256(_FakeInputs.CSV).hexdigest()
    assert (digest.rows, digest.at) == (2, "report")
    assert priv1.jobs[0].declared == f"{world.manifests / 'shop.yaml'}:6:5"
    (w47,) = priv2.jobs  # declared, never applied
    assert (w47.address, w47.latest.status, priv2.verdict) == ("shop/w47", None, Verdict.PENDING)
    (models,) = result.report.models
    assert models.dataset_group_arn == GROUP and models.last_deletion is not None
    assert result.report.target.startswith("Target: ") and result.report.state_location == "memory"
    assert result.jobs == 2 and result.protected == (Path(".reconciler/state.json"),)
    assert world.events == [] and world.silent()


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
