"""A run that waits for the state lock says so, for each backend (a local file, and S3 on
moto's server): at once, then at least every 10 s, naming the holder, its run and the lock's
age; a lock older than `state.lockStaleAfter` is probably stale, with the `force-unlock` command
that removes it, and every refusal names `force-unlock`. In process, on a fake clock: the
holder is another backend on the same place whose clock is behind (its lock that much older)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reconciler.models import RunInfo
from reconciler.settings import DEFAULT_LOCK_STALE_AFTER, S3State
from reconciler.state.interface import LockInfo, StateBackend, StateLocked
from reconciler.state.local import LocalBackend
from reconciler.state.locking import LockWait, acquire
from reconciler.state.s3 import S3Backend
from tests.fakes.clock import FakeClock

RUN = RunInfo(
    kind="github",
    url="https://github.com/acme/erasure/actions/runs/4242",
    repository="acme/erasure",
    run_id="4242",
)


def backends(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock, age: float
) -> tuple[StateBackend, StateBackend]:
    """Two runs' backends on one state: the holder's, whose clock is `age` seconds behind, and
    the waiting one's."""

    def behind() -> datetime:
        return clock.datetime() - timedelta(seconds=age)

    if kind == "s3":
        settings: S3State = request.getfixturevalue("s3_settings")
        return S3Backend(settings, clock=behind), S3Backend(settings, clock=clock.datetime)
    path = tmp_path / "state.json"
    return LocalBackend(path, clock=behind), LocalBackend(path, clock=clock.datetime)


def wait_for(
    backend: StateBackend, clock: FakeClock, timeout: float, **options: float
) -> tuple[list[LockWait], StateLocked]:
    """What a run waiting `timeout` seconds for the lock is told, and its refusal."""
    told: list[LockWait] = []
    with pytest.raises(StateLocked) as refused:
        acquire(
            backend,
            "apply",
            timeout=timeout,
            sleep=clock.sleep,
            monotonic=clock,
            clock=clock.datetime,
            waiting=told.append,
            **options,
        )
    return told, refused.value


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_35s_wait_names_the_holder_its_run_and_age_at_least_every_10s(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    clock = FakeClock()
    holder, waiting = backends(kind, request, tmp_path, clock, age=300)
    held = holder.lock("apply", RUN)
    told, refused = wait_for(waiting, clock, timeout=35)

    assert len(told) >= 4
    assert [wait.waited for wait in told] == [0, 10, 20, 30]  # one at once, then every 10 s
    assert [wait.remaining for wait in told] == [35, 25, 15, 5]
    for wait in told:
        line = wait.describe()
        assert wait.holder == held and not wait.stale
        assert f"{held.who} (apply, pid {held.pid}, GitHub run {RUN.url})" in line
        assert f"lock ID {held.id}" in line
        assert re.search(r"the lock is 5m\d\ds old", line), line
        assert "probably stale" not in line and "force-unlock" not in line
    assert told[1].describe().endswith("Waited 10s, will wait 25s more")
    said = str(refused)
    assert "(waited 35s)" in said and "a longer --lock-timeout" in said
    assert f"`reconciler force-unlock {held.id}` removes it" in said  # every refusal names it
    assert "probably stale" not in said
    holder.unlock(held)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_lock_older_than_lock_stale_after_is_probably_stale_with_the_command(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    clock = FakeClock()
    holder, waiting = backends(kind, request, tmp_path, clock, age=2 * 3600 + 300)
    held = holder.lock("apply", RUN)
    command = f"`reconciler force-unlock {held.id}`"

    told, refused = wait_for(waiting, clock, timeout=12)  # the default: 2h
    assert len(told) == 2 and all(wait.stale for wait in told)
    for said in [wait.describe() for wait in told] + [str(refused)]:
        assert (
            "the lock is 2h05m old, older than state.lockStaleAfter (2h00m): probably stale" in said
        )
        assert "never removed automatically" in said
        assert f"if no run holds it, {command} removes it" in said
    assert holder.holder() == held  # never removed automatically

    with pytest.raises(StateLocked) as at_once:  # no --lock-timeout: the refusal says it
        acquire(
            waiting, "apply", timeout=0, sleep=clock.sleep, monotonic=clock, clock=clock.datetime
        )
    assert "probably stale" in str(at_once.value) and command in str(at_once.value)
    holder.unlock(held)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_lock_stale_after_set_shorter_makes_a_45_minute_lock_probably_stale(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    clock = FakeClock()
    holder, waiting = backends(kind, request, tmp_path, clock, age=45 * 60)
    held = holder.lock("state rm")
    told, refused = wait_for(waiting, clock, timeout=5)
    assert [wait.stale for wait in told] == [False]  # 45 minutes: not stale after 2 hours
    assert "probably stale" not in told[0].describe() + str(refused)

    told, refused = wait_for(waiting, clock, timeout=5, stale_after=30 * 60)  # lockStaleAfter: 30m
    assert [wait.stale for wait in told] == [True]
    for said in (told[0].describe(), str(refused)):
        assert "older than state.lockStaleAfter (30m00s): probably stale" in said
        assert f"`reconciler force-unlock {held.id}`" in said
    holder.unlock(held)


def test_the_default_lock_stale_after_is_two_hours() -> None:
    assert DEFAULT_LOCK_STALE_AFTER == 7200


def test_a_wait_without_details_says_so_and_the_refusal_still_names_force_unlock() -> None:
    class Anonymous:
        """A backend whose lock is held by a process that wrote no details."""

        def lock(self, operation: str, run: RunInfo | None = None) -> LockInfo:
            raise StateLocked(None, "memory")

    clock = FakeClock()
    told, refused = wait_for(Anonymous(), clock, timeout=15)  # type: ignore[arg-type]
    assert [wait.describe().split(". ")[0] for wait in told] == [
        "the state lock of memory is held by another process (its details cannot be read yet)"
    ] * 2
    assert "`reconciler force-unlock LOCK_ID` removes it" in str(refused)
