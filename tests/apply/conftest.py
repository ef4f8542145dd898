"""A project on disk (the shipped example) run through the commands with a fake clock."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import Checkpoint, no_checkpoint
from reconciler.commands.apply import apply
from reconciler.commands.check import check
from reconciler.commands.common import Runtime, load_settings
from reconciler.commands.plan import build_plan
from reconciler.commands.status import status
from reconciler.emulator.service import EmulatorService
from reconciler.planning.model import Plan
from reconciler.providers.interface import Provider
from reconciler.providers.local import LocalProvider, emulator_config
from reconciler.settings import Settings
from reconciler.state.document import StateDocument
from reconciler.state.local import LocalBackend
from tests.conftest import REPO
from tests.fakes import FakeClock

MANIFESTS = Path("manifests")


@dataclass
class Project:
    root: Path
    clock: FakeClock
    answers: list[str] = field(default_factory=list)
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)
    faults: dict[str, Any] = field(default_factory=dict)

    def provider(self, settings: Settings) -> Provider:
        emulator = emulator_config(settings.provider)
        config = emulator.model_copy(
            update={"faults": emulator.faults.model_copy(update=self.faults)}
        )
        return LocalProvider(EmulatorService(config, clock=self.clock, sleep=self.clock.sleep))

    def runtime(self, *, tty: bool = False) -> Runtime:
        self.out, self.err = io.StringIO(), io.StringIO()
        return Runtime(
            environ={}, out=self.out, err=self.err, out_tty=False, in_tty=tty,
            ask=lambda prompt: self.answers.pop(0),
            clock=lambda: datetime.fromtimestamp(self.clock.now, UTC),
            monotonic=self.clock, sleep=self.clock.sleep, make_provider=self.provider,
        )  # fmt: skip

    def apply(self, *, plan_file: Path | None = None, auto_approve: bool = True, wait: bool = False,
              timeout: float | None = None, tty: bool = False,
              checkpoint: Checkpoint = no_checkpoint) -> int:  # fmt: skip
        return apply(
            manifests_dir=MANIFESTS, plan_file=plan_file, auto_approve=auto_approve, wait=wait,
            timeout=timeout, parallelism=4, runtime=self.runtime(tty=tty), checkpoint=checkpoint,
        )  # fmt: skip

    def plan(self) -> Plan:
        return build_plan(MANIFESTS, {}, make_provider=self.provider)

    def check(self) -> int:
        return check(manifests_dir=MANIFESTS, runtime=self.runtime())

    def status(self, *, output_format: str = "text", watch: bool = False,
               timeout: float | None = None, show_forgotten: bool = False) -> int:  # fmt: skip
        return status(
            manifests_dir=MANIFESTS, output_format=output_format, watch=watch, timeout=timeout,
            show_forgotten=show_forgotten, runtime=self.runtime(),
        )  # fmt: skip

    def state(self) -> StateDocument:
        loaded = LocalBackend(Path(".reconciler/state.json")).load()
        assert loaded is not None
        return loaded

    def live_names(self) -> list[str]:
        """Every job the emulator has, in every dataset group of the example."""
        provider = self.provider(_settings())
        names = []
        for arn in (
            "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu",
            "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop-us",
        ):
            names += [j.job_name for j in provider.list_jobs(arn)]
        return sorted(names)

    def write_manifest(self, name: str, text: str) -> None:
        (self.root / "manifests" / name).write_text(text, encoding="utf-8")


def _settings() -> Settings:
    return load_settings(MANIFESTS, {})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    monkeypatch.chdir(tmp_path)
    yield Project(root=tmp_path, clock=FakeClock())


DECLARED = sorted(
    ["gdpr-2026-w46", "gdpr-2026-w47", "closed-accounts-2026-11", "ccpa-2026-w47",
     "closed-accounts-us-2026-11"]
)  # fmt: skip
