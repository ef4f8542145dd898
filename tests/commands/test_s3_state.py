"""The whole flow with the state in S3 (moto's server on 127.0.0.1), as CI runners use it:
every run starts from a fresh copy of the repository and keeps nothing on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.settings import S3State
from tests.commands.conftest import Project, copy_example
from tests.fakes.clock import FakeClock


def runner(
    tmp_path: Path,
    name: str,
    settings: S3State,
    monkeypatch: pytest.MonkeyPatch,
    database: Path,
    clock: FakeClock,
) -> Project:
    """A fresh checkout: the example with the state in the bucket, nothing else kept."""
    root = tmp_path / name
    copy_example(root)
    (root / "manifests" / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\n"
        "provider: {name: local, emulatorConfig: example-data/emulator.yaml}\n"
        f"state: {settings.model_dump_json(by_alias=True, exclude_none=True)}\n"
    )
    config = root / "example-data" / "emulator.yaml"  # the service outlives the runners
    config.write_text(config.read_text().replace(".reconciler/emulator.sqlite3", str(database)))
    monkeypatch.chdir(root)
    return Project(root=root, clock=clock)


def test_ci_runs_share_the_state_in_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_settings: S3State
) -> None:
    clock, database = FakeClock(), tmp_path / "service.sqlite3"
    merge = runner(tmp_path, "merge-1", s3_settings, monkeypatch, database, clock)
    assert merge.apply(wait=True) == 0
    assert not (merge.root / ".reconciler" / "state.json").exists()

    review = runner(tmp_path, "pr-2", s3_settings, monkeypatch, database, clock)
    shutil.copy(merge.root / "manifests" / "shop-us.yaml", review.root / "manifests" / "new.yaml")
    new = review.root / "manifests" / "new.yaml"
    text = new.read_text().replace("ccpa-2026-w47", "ccpa-2026-w48")
    new.write_text(text.replace("closed-accounts-us-2026-11", "closed-us-2026-11-b"))
    assert review.run("plan", "--detailed-exitcode") == 2
    assert "Plan: 2 to create, 0 to retry, 0 to forget." in review.out.getvalue()
    assert review.apply(wait=True) == 0

    nightly = runner(tmp_path, "nightly-3", s3_settings, monkeypatch, database, clock)
    nightly.write_manifest("new.yaml", new.read_text())
    assert nightly.check() == 0, nightly.out.getvalue()
    assert "check: converged (7 of 7 declared jobs COMPLETED)" in nightly.out.getvalue()
    assert nightly.status() == 0
    assert "7 jobs: COMPLETED 7" in nightly.out.getvalue()
