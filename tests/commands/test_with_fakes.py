"""Every command with the whole world injected: the in-memory provider and state backend, a
fake clock, string streams. Nothing here touches a socket, a database or a state file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.manifest.loader import load_manifests
from reconciler.runtime import Runtime
from tests.commands.conftest import copy_example
from tests.fakes.clock import FakeClock
from tests.fakes.provider import FakeProvider
from tests.fakes.state import MemoryBackend


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.provider = FakeProvider(self.clock)
        self.backend = MemoryBackend()
        self.out = io.StringIO()
        for job in load_manifests([Path("manifests")]).jobs:
            group = job.dataset_group
            self.provider.groups[group.arn] = group.name
            self.provider.inputs[job.spec.data_location] = 10

    def run(self, *args: str) -> int:
        self.out = io.StringIO()
        runtime = Runtime(
            environ={},
            out=self.out,
            err=io.StringIO(),
            clock=self.clock.datetime,
            monotonic=self.clock,
            sleep=self.clock.sleep,
            make_provider=lambda settings: self.provider,
            make_backend=lambda settings: self.backend,
        )
        return main(list(args), runtime)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    return World()


def test_validate_plan_apply_check_and_status(world: World) -> None:
    assert world.run("validate") == 0
    assert world.run("plan", "--detailed-exitcode") == 2
    assert "Plan: 5 to create" in world.out.getvalue()
    assert world.run("check") == 2
    assert world.run("apply", "--auto-approve") == 0
    assert world.run("check") == 4  # running
    assert world.run("apply", "--auto-approve", "--wait") == 0
    assert world.clock.slept  # it waited on the fake clock
    assert world.run("check") == 0
    assert world.run("plan", "--detailed-exitcode") == 0
    assert world.run("status", "--format", "json") == 0
    records = json.loads(world.out.getvalue())
    assert {(r["status"], r["num_deleted"]) for r in records} == {("COMPLETED", 10)}
    assert world.backend.holder is None  # every lock was given back
    assert world.provider.calls["CreateDataDeletionJob"] == 5


def test_a_job_deleted_out_of_band_is_drift(world: World) -> None:
    assert world.run("apply", "--auto-approve") == 0
    world.provider.remove_job("ccpa-2026-w47")
    assert world.run("check") == 3
    assert "drift: shop-us/ccpa-2026-w47:" in world.out.getvalue()
