"""The local backend never damages what is not its own, and says what went wrong."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
from pathlib import Path

import pytest

import reconciler.files
from reconciler.state.document import new_state
from reconciler.state.interface import CorruptState, StateError, StateLocked, new_lock
from reconciler.state.local import DETAILS_POLL, DETAILS_WAIT, LocalBackend
from reconciler.state.locking import acquire
from tests.fakes.clock import FakeClock
from tests.fakes.state import MemoryBackend


def test_defect_03_a_symlinked_lock_file_is_refused_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (tmp_path / "state.json.lock").symlink_to(precious)
    with pytest.raises(StateError, match="is a symbolic link"):
        LocalBackend(tmp_path / "state.json").lock("apply")
    assert precious.read_text() == "keep me"


def test_defect_03_a_file_that_is_not_a_lock_is_never_emptied(tmp_path: Path) -> None:
    other = tmp_path / "poetry.lock"
    other.write_text('[[package]]\nname = "click"\n')
    with pytest.raises(StateError, match="is not a lock file of reconciler"):
        LocalBackend(tmp_path / "poetry").lock("status")
    assert other.read_text() == '[[package]]\nname = "click"\n'
    backend = LocalBackend(tmp_path / "state.json")
    backend.unlock(backend.lock("apply"))  # an empty or reconciler lock file is fine
    backend.unlock(backend.lock("apply"))


def test_defect_13_a_symlinked_state_is_written_through_the_link(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "state.json").write_text("")
    (shared / "state.json").unlink()
    link = tmp_path / "state.json"
    link.symlink_to(shared / "state.json")
    backend = LocalBackend(link)
    first = backend.save(new_state())
    second = backend.save(first)
    assert link.is_symlink()
    assert json.loads((shared / "state.json").read_text())["serial"] == second.serial == 2
    assert (shared / "state.json.backup").exists()
    assert backend.describe() == str(link)


def test_defect_11_temporaries_a_killed_write_left_are_removed_by_the_next_locked_run(
    tmp_path: Path,
) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.save(new_state())
    leftovers = [
        tmp_path / f".state.json.{'a' * 32}.tmp",
        tmp_path / f".state.json.backup.{'b' * 32}.tmp",
    ]
    unrelated = tmp_path / ".other.json.0123.tmp"
    for path in [*leftovers, unrelated]:
        path.write_text("{")
    backend.unlock(backend.lock("apply"))
    assert [p.exists() for p in leftovers] == [False, False]
    assert unrelated.exists()


def test_defect_10_another_lineage_put_in_place_is_refused_until_the_user_says_so(
    tmp_path: Path,
) -> None:
    ours = LocalBackend(tmp_path / "mine" / "state.json")
    ours.save(new_state())
    theirs = LocalBackend(tmp_path / "theirs" / "state.json")
    theirs.save(new_state())
    ours.path.write_bytes(theirs.path.read_bytes())  # another project's state copied over ours
    with pytest.raises(StateError, match=r"was replaced, perhaps by another project's state"):
        ours.load()
    ours.lineage_path.unlink()  # the user means it
    loaded = ours.load()
    assert loaded is not None
    ours.save(loaded)
    assert ours.lineage_path.read_text().strip() == loaded.lineage


def test_defect_10_a_newer_version_is_not_called_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 6, "lineage": "L", "serial": 1, "jobs": {}}))
    with pytest.raises(StateError, match="written by a newer reconciler") as info:
        LocalBackend(path).load()
    assert not isinstance(info.value, CorruptState)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"serial": -1}, "at serial"),
        ({"jobs": {"g/j": {"seen": {"arn": "nope"}}}}, "at jobs.g/j.seen.arn"),
    ],
)
def test_defect_10_impossible_values_are_attributed_to_the_state_file(
    tmp_path: Path, change: dict[str, object], where: str
) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.save(new_state())
    document = json.loads(backend.path.read_text())
    for key, value in change.items():
        if key == "jobs":
            record = json.loads(
                '{"address": "g/j", "spec": {"dataset_group_arn": '
                '"arn:aws:personalize:eu-west-1:123456789012:dataset-group/g", "job_name": "j", '
                '"data_location": "s3://b/k.csv", "role_arn": "r"}, "spec_digest": "d", '
                '"manifest": "m", "job_name": "j"}'
            )
            record["seen"] = {
                "arn": "nope",
                "job_name": "j",
                "dataset_group_arn": record["spec"]["dataset_group_arn"],
                "status": "PENDING",
                "created": "2026-11-27T10:00:00Z",
                "last_updated": "2026-11-27T10:00:00Z",
            }
            document["jobs"] = {"g/j": record}
        else:
            document[key] = value
    backend.path.write_text(json.dumps(document))
    with pytest.raises(CorruptState, match=f"{where}.*{backend.path.name}"):
        backend.load()


def test_defect_04_a_full_disk_is_a_clear_error_and_the_state_stays_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    first = backend.save(new_state())
    before = backend.path.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reconciler.files.os, "fsync", full)
    with pytest.raises(StateError, match="No space left on device; the state is as it was"):
        backend.save(first)
    assert backend.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_defect_07_atomic_files_are_private_and_named_at_random(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    (tmp_path / ".plan.json.tmp").symlink_to(tmp_path / "elsewhere")  # a trap for a fixed name
    reconciler.files.write_atomically(target, b"{}")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert not (tmp_path / "elsewhere").exists()


def test_lock_timeout_waits_with_backoff_then_gives_up_naming_the_holder() -> None:
    clock = FakeClock()
    backend = MemoryBackend(clock.datetime)
    held = backend.lock("apply")
    with pytest.raises(StateLocked, match=r"\(apply, pid 1\).*\(waited 40s\)"):
        acquire(
            backend, "apply", timeout=40, sleep=clock.sleep, monotonic=clock, clock=clock.datetime
        )
    assert clock.slept == [1, 2, 4, 3, 10, 10, 10]  # backing off, never past the next line

    def release_then_sleep(seconds: float) -> None:
        clock.sleep(seconds)
        backend.unlock(held)

    lock = acquire(
        backend,
        "apply",
        timeout=40,
        sleep=release_then_sleep,
        monotonic=clock,
        clock=clock.datetime,
    )
    assert lock.operation == "apply"
    with pytest.raises(StateLocked):  # no timeout: one try
        acquire(
            backend, "status", timeout=0, sleep=clock.sleep, monotonic=clock, clock=clock.datetime
        )


def test_defect_04_a_state_directory_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    backend = LocalBackend(tmp_path / "afile" / "state.json")  # a file where a directory should be
    with pytest.raises(StateError, match=r"cannot create the lock file .*afile is not a directory"):
        backend.lock("apply")
    with pytest.raises(StateError, match=r"cannot read the state file .*: Not a directory"):
        backend.save(new_state())


def test_defect_10_a_state_deleted_by_its_user_starts_a_new_lineage_without_complaint(
    tmp_path: Path,
) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.save(backend.save(new_state()))
    backend.path.unlink()
    backend.backup.unlink()
    fresh = backend.save(new_state())  # the user started over
    assert backend.load() == fresh
    assert backend.lineage_path.read_text().strip() == fresh.lineage


@pytest.mark.parametrize(
    "left", [b"\0\0\0", b'{"id": "x", "operation": "apply", "who": "a", "created": 0, "v": 9}']
)
def test_defect_03_what_a_killed_or_newer_run_left_in_the_lock_is_taken_over(
    tmp_path: Path, left: bytes
) -> None:
    (tmp_path / "state.json.lock").write_bytes(left)
    backend = LocalBackend(tmp_path / "state.json")
    lock = backend.lock("apply")
    assert json.loads((tmp_path / "state.json.lock").read_text())["id"] == lock.id
    backend.unlock(lock)


def test_r2_10_a_cut_off_lock_is_one_of_unknown_holder_and_a_dead_runs_is_taken_over(
    tmp_path: Path,
) -> None:
    lock_file = tmp_path / "state.json.lock"
    cut_off = b'{"id": "5d1c0e", "who": "ci@runner-7", "oper'
    lock_file.write_bytes(cut_off)  # the run was killed as it wrote its details
    backend = LocalBackend(tmp_path / "state.json")
    holder = backend.holder()
    assert holder is not None and holder.unreadable and len(holder.id) == 16
    lock = backend.lock("apply")  # no process holds it: what the dead run left is taken over
    assert json.loads(lock_file.read_text())["id"] == lock.id
    backend.unlock(lock)
    assert backend.holder() is None
    lock_file.write_bytes(cut_off)
    with pytest.raises(StateError, match="nothing was removed"):
        backend.force_unlock("5d1c0e")
    assert backend.force_unlock(holder.id).id == holder.id  # the ID it was shown with
    assert lock_file.read_bytes() == b""


def test_r2_10_a_file_that_is_not_a_lock_is_not_force_unlocked(tmp_path: Path) -> None:
    other = tmp_path / "poetry.lock"
    other.write_text('[[package]]\nname = "click"\n')
    backend = LocalBackend(tmp_path / "poetry")
    with pytest.raises(StateError, match="is not a lock file of reconciler"):
        backend.holder()
    with pytest.raises(StateError, match="is not a lock file of reconciler"):
        backend.force_unlock("anything")
    assert other.read_text() == '[[package]]\nname = "click"\n'


def test_a_refused_run_reads_the_details_the_holder_writes_just_after_taking_the_lock(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    path = tmp_path / "state.json"
    fd = os.open(tmp_path / "state.json.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the holder has the lock, no details yet
        details = new_lock("apply", clock.datetime)

        def holder_writes_meanwhile(seconds: float) -> None:
            clock.sleep(seconds)
            if len(clock.slept) == 3:  # the holder's write lands after the third look
                os.pwrite(fd, details.model_dump_json().encode(), 0)

        refused = LocalBackend(path, sleep=holder_writes_meanwhile, monotonic=clock)
        with pytest.raises(StateLocked) as info:
            refused.lock("apply")
        assert info.value.holder == details
        assert f"(apply, pid {details.pid})" in str(info.value)
        assert clock.slept == [DETAILS_POLL] * 3

        os.ftruncate(fd, 0)  # a holder that never writes them: the wait is bounded
        clock.slept.clear()
        waited = LocalBackend(path, sleep=clock.sleep, monotonic=clock)
        with pytest.raises(StateLocked, match="no lock details were readable"):
            waited.lock("apply")
        assert sum(clock.slept) == pytest.approx(DETAILS_WAIT)
    finally:
        os.close(fd)


def test_the_state_directory_is_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        backend = LocalBackend(tmp_path / "project" / ".reconciler" / "state.json")
        backend.unlock(backend.lock("apply"))
        backend.save(new_state())
    finally:
        os.umask(previous)
    for made in (tmp_path / "project", tmp_path / "project" / ".reconciler"):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made
