"""Commands that wait for the state lock say so on stderr while they wait, in process on a fake
clock: a `Waiting:` line at once and then every 10 s, naming the holder, its run and the lock's
age; a lock older than `state.lockStaleAfter` as probably stale with the `force-unlock` command;
the refusal naming `force-unlock`. With a local state file, and with the state in S3 (moto's
server on 127.0.0.1)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from reconciler.models import RunInfo
from reconciler.settings import S3State
from reconciler.state.local import LocalBackend
from reconciler.state.s3 import S3Backend
from tests.commands.conftest import STATE, Project

RUN = RunInfo(kind="github", url="https://github.com/acme/erasure/actions/runs/4242", run_id="4242")


def waiting_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("Waiting: ")]


def test_apply_waiting_35s_names_the_holder_its_run_and_age_every_10s(project: Project) -> None:
    other = LocalBackend(STATE, clock=lambda: project.clock.datetime() - timedelta(minutes=5))
    held = other.lock("apply", RUN)
    assert project.apply("--lock-timeout", "35s") == 1
    err = project.err.getvalue()
    lines = waiting_lines(err)
    assert len(lines) == 4, err
    for line, waited in zip(lines, (0, 10, 20, 30), strict=True):
        assert line.startswith("Waiting: the state lock of .reconciler/state.json is held by ")
        assert f"(apply, pid {held.pid}, GitHub run {RUN.url}) since" in line
        assert f"lock ID {held.id}" in line
        assert re.search(r"the lock is 5m\d\ds old\. Waited ", line), line
        assert line.endswith(f"Waited {waited}s, will wait {35 - waited}s more")
    [error] = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert "(waited 35s)" in error and "give a longer --lock-timeout" in error
    assert error.endswith(f"if no run holds it, `reconciler force-unlock {held.id}` removes it")
    assert project.live_names() == []  # nothing was applied
    other.unlock(held)


def test_state_rm_with_lock_stale_after_30m_says_a_45_minute_lock_is_probably_stale(
    project: Project,
) -> None:
    settings = project.root / "manifests" / "settings.yaml"
    settings.write_text(settings.read_text() + "state:\n  lockStaleAfter: 30m\n")
    other = LocalBackend(STATE, clock=lambda: project.clock.datetime() - timedelta(minutes=45))
    held = other.lock("apply")
    assert project.run("state", "rm", "shop-eu/gdpr-2026-w46", "--lock-timeout", "15s") == 1
    err = project.err.getvalue()
    stale = (
        r"the lock is 45m[01][05]s old, older than state.lockStaleAfter \(30m00s\): probably stale"
    )
    command = f"`reconciler force-unlock {held.id}`"
    [*lines, error] = [line for line in err.splitlines() if line.startswith(("Waiting", "Error"))]
    assert len(lines) == 2
    for said in [*lines, error]:
        assert re.search(stale, said) and command in said, said
    assert error.startswith("Error: ")
    assert other.holder() == held  # never removed automatically
    other.unlock(held)


@pytest.mark.usefixtures("s3_credentials")
def test_apply_on_s3_says_a_killed_runs_lock_is_probably_stale_and_force_unlock_frees_it(
    project: Project, s3_settings: S3State
) -> None:
    settings = project.root / "manifests" / "settings.yaml"
    state = s3_settings.model_dump_json(by_alias=True, exclude_none=True)
    settings.write_text(settings.read_text() + f"state: {state}\n")
    three_hours_ago = project.clock.datetime() - timedelta(hours=3)
    killed = S3Backend(s3_settings, clock=lambda: three_hours_ago).lock("apply", RUN)  # never freed

    assert project.apply("--lock-timeout", "25s") == 1
    err = project.err.getvalue()
    lines = waiting_lines(err)
    assert len(lines) == 3, err
    for said in [*lines, err.splitlines()[-1]]:
        assert f"s3://{s3_settings.bucket}/{s3_settings.key}" in said
        assert f"GitHub run {RUN.url}" in said
        assert (
            "the lock is 3h00m old, older than state.lockStaleAfter (2h00m): probably stale" in said
        )
        assert f"`reconciler force-unlock {killed.id}` removes it" in said
    holder = S3Backend(s3_settings).holder()
    assert holder is not None and holder.id == killed.id  # said, never removed automatically

    assert project.run("force-unlock", killed.id, "--force") == 0
    assert project.apply("--lock-timeout", "25s") == 0
    assert waiting_lines(project.err.getvalue()) == []
    assert S3Backend(s3_settings).holder() is None


def test_a_settings_document_with_a_bad_lock_stale_after_is_its_line_and_column(
    project: Project,
) -> None:
    settings = project.root / "manifests" / "settings.yaml"
    settings.write_text(settings.read_text() + "state:\n  lockStaleAfter: soon\n")
    assert project.run("state", "list") == 1
    assert project.err.getvalue() == (
        "manifests/settings.yaml:10:19: state.lockStaleAfter: 'soon' is not a duration: use e.g. "
        "90s, 10m, 2h or 1h30m\n1 problem found; nothing was changed.\n"
    )
