"""The state backend contract: every backend passes every test here."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.models import JobSpec, RunInfo
from reconciler.settings import LocalState, StateSettings
from reconciler.state.document import JobRecord, StateDocument, new_state
from reconciler.state.interface import (
    CorruptState,
    LineageMismatch,
    LockInfo,
    StaleState,
    StateBackend,
    StateError,
    StateLocked,
)
from reconciler.state.local import LocalBackend
from reconciler.state.locking import LockWait
from reconciler.state.registry import BACKENDS, make_backend
from tests.conftest import REPO
from tests.fakes.state import MemoryBackend

SPEC = JobSpec(
    dataset_group_arn="arn:aws:personalize:eu-west-1:123456789012:dataset-group/g",
    job_name="j",
    data_location="s3://b/k.csv",
    role_arn="arn:aws:iam::123456789012:role/R",
)


def record(address: str = "g/j") -> JobRecord:
    return JobRecord(
        address=address, spec=SPEC, spec_digest=SPEC.digest(), manifest="m.yaml:1:1", job_name="j"
    )


@pytest.fixture(params=[*sorted(BACKENDS), "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> StateBackend:
    """Every backend of the registry (s3 against moto's S3 server on 127.0.0.1), and the
    in-memory fake the unit tests use."""
    if request.param == "memory":
        return MemoryBackend()
    if request.param == "s3":
        settings: StateSettings = request.getfixturevalue("s3_settings")
    else:
        settings = LocalState(path=tmp_path / "state" / "state.json")
    return make_backend(settings)


def test_no_state_yet(backend: StateBackend) -> None:
    assert backend.load() is None


def test_save_bumps_the_serial_and_load_returns_what_was_saved(backend: StateBackend) -> None:
    first = backend.save(new_state())
    assert first.serial == 1
    second = backend.save(first.model_copy(update={"jobs": {"g/j": record()}}))
    assert second.serial == 2
    assert second.lineage == first.lineage
    assert backend.load() == second


def test_save_refuses_a_state_that_moved_on(backend: StateBackend) -> None:
    first = backend.save(new_state())
    backend.save(first)
    with pytest.raises(StaleState, match="changed since it was read"):
        backend.save(first)
    with pytest.raises(StaleState, match="another lineage"):
        backend.save(StateDocument(lineage="other", serial=2))


def test_a_new_state_cannot_replace_an_existing_one(backend: StateBackend) -> None:
    backend.save(new_state())
    with pytest.raises(StaleState):
        backend.save(new_state())


def test_second_lock_is_refused_with_the_holder(backend: StateBackend) -> None:
    held = backend.lock("apply")
    with pytest.raises(StateLocked) as info:
        backend.lock("plan")
    assert info.value.holder is not None
    assert info.value.holder.id == held.id
    assert info.value.holder.operation == "apply"
    assert "(apply, pid" in str(info.value)
    backend.unlock(held)
    backend.unlock(backend.lock("plan"))


# What a backend finds stored that it did not write (a damaged or foreign state or lock),
# written straight into each backend's storage; the in-memory fake stores no bytes.


def put_raw(backend: StateBackend, which: str, data: bytes) -> None:
    """Store `data` as the backend's state (`which` "state") or lock ("lock") object."""
    if isinstance(backend, LocalBackend):
        path = backend.path if which == "state" else backend.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    elif isinstance(backend, MemoryBackend):
        pytest.skip("the in-memory fake stores no bytes to damage")
    else:
        from reconciler.state.s3 import S3Backend

        assert isinstance(backend, S3Backend)
        key = backend.key if which == "state" else backend.lock_key
        backend._client.put_object(Bucket=backend.bucket, Key=key, Body=data)


def test_r2_10_an_unreadable_lock_is_one_of_unknown_holder_that_force_unlock_removes(
    backend: StateBackend,
) -> None:
    put_raw(backend, "lock", b'{"id":"0f3c9a-cut-off-by-a-kil')  # a killed write's
    holder = backend.holder()
    assert holder is not None and holder.unreadable and holder.id
    assert "an unknown holder (the lock's details are unreadable) since " in holder.describe()
    assert holder.describe().endswith(f"lock ID {holder.id}")
    with pytest.raises(StateError, match="nothing was removed"):
        backend.force_unlock("wrong-id")
    assert backend.force_unlock(holder.id).id == holder.id
    assert backend.holder() is None
    backend.unlock(backend.lock("apply"))


DEEP = b"[" * 100_000 + b"]" * 100_000


def test_r2_12_deeply_nested_json_is_corrupt_not_a_recursion_error(
    backend: StateBackend,
) -> None:
    backend.save(new_state())
    put_raw(backend, "state", b'{"version": 3, "lineage": "L", "serial": 1, "jobs": ' + DEEP + b"}")
    with pytest.raises(CorruptState, match="is corrupt \\(JSON nested deeper than 64 levels\\)"):
        backend.load()
    stored = backend.replace(new_state(), force=True)  # `state push --force` repairs it
    assert backend.load() == stored
    put_raw(backend, "lock", b'{"id": ' + DEEP + b"}")
    holder = backend.holder()
    assert holder is not None and holder.unreadable
    backend.force_unlock(holder.id)
    assert backend.holder() is None


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"address": "g/other"}, "the record filed under 'g/j' is the one of 'g/other'"),
        ({"job_name": "k"}, "names job 'k', which is neither its spec's job name 'j' nor a retry"),
    ],
)
def test_r2_15_a_state_whose_records_are_filed_wrong_is_corrupt_with_how_to_restore(
    backend: StateBackend, change: dict[str, str], said: str
) -> None:
    stored = backend.save(new_state().model_copy(update={"jobs": {"g/j": record()}}))
    document = json.loads(stored.model_dump_json())
    document["jobs"]["g/j"].update(change)
    put_raw(backend, "state", json.dumps(document).encode())
    with pytest.raises(CorruptState, match=f"is corrupt \\(.*{said}.*left as it is.*[Rr]estore"):
        backend.load()
    with pytest.raises(ValueError, match=said):
        StateDocument.model_validate(document)  # what `state push` reads is checked the same


def test_r2_17_a_state_of_another_lineage_put_in_place_is_refused_until_pushed(
    backend: StateBackend,
) -> None:
    backend.save(backend.save(new_state()))
    theirs = new_state().model_copy(update={"serial": 7})
    put_raw(backend, "state", theirs.model_dump_json().encode())  # another project's state
    with pytest.raises(LineageMismatch, match="perhaps by another project's state"):
        backend.load()
    with pytest.raises(StateError, match="lineage"):
        backend.save(theirs)  # not written over either
    stored = backend.replace(theirs, force=True)  # `state push --force`: the one to use from now on
    assert (stored.lineage, stored.serial) == (theirs.lineage, 8)
    assert backend.load() == stored
    assert backend.save(stored).lineage == theirs.lineage


def test_r2_19_a_lock_holder_is_described_with_its_controls_escaped(
    backend: StateBackend,
) -> None:
    planted = LockInfo(
        id="id\x1b]8;;x\x07",
        who="\x1b[2J\x1b[31mroot\n::error::pwned",
        operation="apply\r\u202e",
        created=datetime(2026, 11, 27, tzinfo=UTC),
        pid=7,
    )
    put_raw(backend, "lock", planted.model_dump_json().encode())
    holder = backend.holder()
    assert holder is not None and holder.who == planted.who
    for said in (holder.describe(), str(StateLocked(holder, backend.describe()))):
        assert not any(c in said for c in "\x1b\x07\n\r\u202e"), said
        assert "\\x1b[31mroot\\n::error::pwned (apply\\r\\u202e, pid 7)" in said


def test_a_lock_names_the_run_that_took_it(backend: StateBackend) -> None:
    run = RunInfo(
        kind="github",
        url="https://github.com/acme/erasure/actions/runs/77/attempts/2",
        repository="acme/erasure",
        run_id="77",
        run_attempt="2",
        actor="octocat",
    )
    held = backend.lock("apply", run)
    holder = backend.holder()
    assert holder is not None and holder.run == run
    assert f"(apply, pid {held.pid}, GitHub run {run.url}) since" in holder.describe()
    backend.unlock(held)
    local = backend.lock("state rm", RunInfo(kind="host", host="laptop", user="ana"))
    shown = backend.holder()
    assert shown is not None and shown.run is not None and shown.run.host == "laptop"
    assert f"(state rm, pid {local.pid}) since" in shown.describe()  # who@host says it already
    backend.unlock(local)


def test_a_lock_run_from_another_run_is_shown_escaped_and_never_hides_the_holder(
    backend: StateBackend,
) -> None:
    planted = {
        "id": "5d1c",
        "who": "ci@runner-7" + "x" * 5000,
        "operation": "apply",
        "created": "2026-11-27T00:00:00Z",
        "run": {"kind": "github", "url": "https://e.example/\x1b[2J\n::error::pwned\u202e"},
    }
    put_raw(backend, "lock", json.dumps(planted).encode())
    holder = backend.holder()
    assert holder is not None and not holder.unreadable and holder.run is not None
    for said in (
        holder.describe(),
        str(StateLocked(holder, backend.describe())),
        LockWait(holder, "here", datetime(2026, 11, 28, tzinfo=UTC), 10, 20, 3600).describe(),
    ):
        assert not any(c in said for c in "\x1b\n\u202e"), said
        assert "GitHub run https://e.example/\\x1b[2J\\n::error::pwned\\u202e)" in said
        assert planted["who"][:200] + "… (apply" in said and "x" * 190 not in said  # cut short
    planted["run"] = {"kind": "a kind of a newer version", "url": 7}
    put_raw(backend, "lock", json.dumps(planted).encode())
    holder = backend.holder()
    assert holder is not None and holder.id == "5d1c" and holder.run is None


# Local-file specifics: corrupt files, the backup, permissions, locks across processes.


@pytest.fixture
def local(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "state.json")


def test_file_is_private_and_previous_version_is_kept(local: LocalBackend) -> None:
    first = local.save(new_state())
    second = local.save(first.model_copy(update={"jobs": {"g/j": record()}}))
    assert stat.S_IMODE(local.path.stat().st_mode) == 0o600
    assert StateDocument.model_validate_json(local.backup.read_bytes()) == first
    assert local.load() == second
    assert [p.name for p in local.path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong-shape"])
def test_corrupt_state_is_reported_with_the_backup_and_never_overwritten(
    local: LocalBackend, damage: str
) -> None:
    first = local.save(new_state())
    local.save(first)
    text = local.path.read_text()
    broken = {
        "truncate": text[: len(text) // 2],
        "garbage": "\x00not json",
        "wrong-shape": '{"version": 1, "lineage": "x", "serial": "many"}',
    }[damage]
    local.path.write_text(broken)
    with pytest.raises(CorruptState, match=r"is corrupt .*state\.json\.backup"):
        local.load()
    with pytest.raises(CorruptState):
        local.save(first.model_copy(update={"serial": 2}))
    assert local.path.read_text() == broken


V1_RECORD = {
    "address": "g/j",
    "spec": SPEC.model_dump(),
    "spec_digest": SPEC.digest(),
    "manifest": "m.yaml:1:1",
    "job_name": "j-r2",
    "arn": "arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/j-r2",
    "intended": "2026-11-27T10:00:00Z",
    "status": "COMPLETED",
    "num_deleted": 412,
    "failure_reason": None,
    "created": "2026-11-27T10:00:01Z",
    "last_updated": "2026-11-27T11:00:00Z",
    "history": [{"status": "PENDING", "seen": "2026-11-27T10:00:01Z"}],
    "attempts": [
        {
            "job_name": "j",
            "arn": "arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/j",
            "status": "FAILED",
            "failure_reason": "Input data not found",
            "created": "2026-11-26T10:00:00Z",
            "last_updated": "2026-11-26T11:00:00Z",
        }
    ],
}


def test_a_version_1_state_is_read_and_written_back_as_version_5(local: LocalBackend) -> None:
    spec = {**SPEC.model_dump(), "job_name": "k"}
    intent = {**V1_RECORD, "address": "g/k", "spec": spec, "job_name": "k", "arn": None}
    intent["status"] = None
    intent.update(num_deleted=None, created=None, last_updated=None, history=[], attempts=[])
    v1 = {"version": 1, "lineage": "L", "serial": 4, "jobs": {"g/j": V1_RECORD, "g/k": intent}}
    local.path.write_text(json.dumps(v1))
    loaded = local.load()
    assert loaded is not None and (loaded.version, loaded.serial) == (5, 4)
    record = loaded.jobs["g/j"]
    assert record.seen is not None
    assert (record.arn, record.status, record.seen.num_deleted) == (
        V1_RECORD["arn"],
        "COMPLETED",
        412,
    )
    assert record.seen.dataset_group_arn == SPEC.dataset_group_arn
    [earlier] = record.attempts
    assert earlier.seen is not None
    assert (earlier.job_name, earlier.seen.status, earlier.seen.failure_reason) == (
        "j",
        "FAILED",
        "Input data not found",
    )
    assert loaded.jobs["g/k"].seen is None  # an intent stays an intent
    stored = local.save(loaded)
    assert json.loads(local.path.read_text())["version"] == 5
    assert local.load() == stored
    assert json.loads(local.backup.read_text()) == v1  # the version 1 file is the backup


def test_a_version_2_state_is_read_with_no_input_digests(local: LocalBackend) -> None:
    written = local.save(new_state())
    v2 = json.loads(local.path.read_text())
    v2["version"] = 2
    local.path.write_text(json.dumps(v2))
    loaded = local.load()
    assert loaded is not None and loaded.version == 5 and loaded.lineage == written.lineage


def test_a_newer_state_is_refused_with_upgrade(local: LocalBackend) -> None:
    local.path.parent.mkdir(parents=True, exist_ok=True)
    local.path.write_text(json.dumps({"version": 6, "lineage": "L", "serial": 1, "jobs": {}}))
    with pytest.raises(ReconcilerError, match="upgrade reconciler"):
        local.load()


def test_a_version_1_record_with_an_arn_but_no_status_is_refused_not_dropped(
    local: LocalBackend,
) -> None:
    broken = {**V1_RECORD, "status": None}
    local.path.write_text(
        json.dumps({"version": 1, "lineage": "L", "serial": 4, "jobs": {"g/j": broken}})
    )
    with pytest.raises(CorruptState, match=r"at jobs\.g/j\.seen\.status"):
        local.load()


def test_missing_state_with_a_backup_is_not_treated_as_new(local: LocalBackend) -> None:
    local.save(local.save(new_state()))
    local.path.unlink()
    with pytest.raises(CorruptState, match="missing but its backup"):
        local.load()


@pytest.fixture
def holder(local: LocalBackend) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        code = textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            from reconciler.state.local import LocalBackend
            LocalBackend(Path({str(local.path)!r})).lock("apply")
            print("locked", flush=True)
            sys.stdin.read()
            """
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.process
def test_lock_held_by_another_process_is_refused_with_its_details(
    local: LocalBackend, holder: Callable[[], subprocess.Popen[str]]
) -> None:
    process = holder()
    with pytest.raises(StateLocked) as info:
        local.lock("apply")
    assert info.value.holder is not None
    assert info.value.holder.pid == process.pid
    assert info.value.holder.created <= datetime.now(UTC)
    assert f"pid {process.pid}" in str(info.value)


@pytest.mark.process
def test_lock_of_a_killed_process_does_not_block(
    local: LocalBackend, holder: Callable[[], subprocess.Popen[str]]
) -> None:
    process = holder()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    lock = local.lock("apply")
    assert lock.pid == os.getpid()
    local.unlock(lock)


def test_a_version_3_state_loses_the_plain_sha256_of_its_inputs(local: LocalBackend) -> None:
    """A plain hash of a file of one user gives the user's ID back by guessing: read from an
    older state, it is dropped, and the next save does not write it again."""
    digest = {"location": "s3://b/k.csv", "sha256": "ab" * 32, "rows": 1, "bytes": 12}
    record = {
        "address": "g/j",
        "spec": SPEC.model_dump(),
        "spec_digest": SPEC.digest(),
        "manifest": "m.yaml:1:1",
        "job_name": SPEC.job_name,
        "inputs": [{**digest, "read": "2026-11-27T10:00:00Z", "at": "apply"}],
        "attempts": [
            {
                "job_name": SPEC.derived_name(2),
                "inputs": [{**digest, "read": "2026-11-27T09:00:00Z", "at": "apply"}],
            }
        ],
    }
    v3 = {"version": 3, "lineage": "L", "serial": 2, "jobs": {"g/j": record}}
    local.path.parent.mkdir(parents=True, exist_ok=True)
    local.path.write_text(json.dumps(v3))
    loaded = local.load()
    assert loaded is not None and loaded.version == 5
    read = loaded.jobs["g/j"]
    assert [(i.location, i.rows, i.bytes) for i in read.inputs] == [("s3://b/k.csv", 1, 12)]
    assert [i.rows for i in read.attempts[0].inputs] == [1]
    local.save(loaded)
    assert "ab" * 32 not in local.path.read_text()


def test_a_version_4_state_is_read_with_nothing_queued_and_without_etags(
    local: LocalBackend,
) -> None:
    written = local.save(new_state())
    v4 = json.loads(local.path.read_text())
    v4["version"] = 4
    del v4["queued"]
    read = {"location": "s3://b/k.csv", "bytes": 12, "rows": 1, "read": "2026-11-27T09:00:00Z"}
    v4["checked"] = {"s3://b/k.csv": {"evidence": {**read, "etag": '"9b2cf535"'}}}
    local.path.write_text(json.dumps(v4))
    loaded = local.load()
    assert loaded is not None and (loaded.version, loaded.queued) == (5, {})
    assert loaded.lineage == written.lineage
    local.save(loaded)
    assert "9b2cf535" not in local.path.read_text()  # an early 0.3.0's plain ETag is gone
