"""The `check` use case with fakes: the code it decides (the most urgent wins), its findings in
order, the overlap warnings last, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.exitcodes import ExitCode
from reconciler.models import Activity
from reconciler.usecases.check import CheckInputs, check_tree
from tests.usecases.fakeworld import GROUP_EU, MANIFESTS, W46, W47, World


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.chdir(tmp_path)
    return World(tmp_path)


def test_nothing_applied_is_changes_not_applied(world: World) -> None:
    checked = check_tree(CheckInputs(MANIFESTS), world.runtime, world.emit)
    assert checked.code is ExitCode.CHANGES and not checked.passed
    assert [f.code for f in checked.findings] == [ExitCode.CHANGES] * 5
    assert f"not applied: {W46}: create (" in checked.findings[0].text
    assert (checked.completed, checked.declared) == (0, 5)
    assert world.events == [] and world.written() == ""


def test_running_jobs_with_an_import_in_their_group_are_warned_of_last(world: World) -> None:
    world.applied()
    world.provider.running[GROUP_EU].append(
        Activity(kind="dataset import job", name="i", status="X")
    )
    checked = check_tree(CheckInputs(MANIFESTS), world.runtime, world.emit)
    assert checked.code is ExitCode.RUNNING
    codes = [f.code for f in checked.findings]
    assert codes == [ExitCode.RUNNING] * 5 + [None] * 3  # the three jobs of shop-eu
    warning = checked.findings[5].text
    assert warning.startswith("warning: shop-eu/") and "dataset import job i is X" in warning
    # each group of a running deletion asked once, by the overlap check: the plan asks none
    assert world.provider.calls["ListDatasets"] == 2


def test_converged_once_every_job_completed(world: World) -> None:
    world.applied()
    world.clock.advance(60)
    checked = check_tree(CheckInputs(MANIFESTS), world.runtime, world.emit)
    assert checked.passed and checked.findings == ()
    assert (checked.completed, checked.declared) == (5, 5)


def test_failed_wins_over_drift(world: World) -> None:
    world.provider.inputs["s3://acme-privacy/shop-eu/2026-w47.csv"] = "no USER_ID column"
    world.applied()
    world.clock.advance(60)
    world.provider.remove_job("gdpr-2026-w46")
    checked = check_tree(CheckInputs(MANIFESTS), world.runtime, world.emit)
    assert checked.code is ExitCode.FAILED
    found = {f.code: f.text for f in checked.findings}
    assert found[ExitCode.DRIFT].startswith(f"drift: {W46}: ")
    assert found[ExitCode.FAILED].startswith(f"failed: {W47}: ")
