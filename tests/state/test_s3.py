"""The s3 backend's own guarantees, against moto's S3 server: conditional writes, a lock no race
can break or steal, and errors that say what to fix."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.httpsession import URLLib3Session
from botocore.response import StreamingBody
from botocore.stub import Stubber
from urllib3.exceptions import ProtocolError

from reconciler.settings import S3State
from reconciler.state.document import new_state
from reconciler.state.interface import StaleState, StateError, StateLocked
from reconciler.state.s3 import S3Backend
from tests import children
from tests.conftest import REPO
from tests.s3server import s3_client


def test_a_write_from_a_stale_read_is_refused(s3_settings: S3State) -> None:
    first, second = S3Backend(s3_settings), S3Backend(s3_settings)
    stored = first.save(new_state())
    assert second.load() == stored
    first.save(stored)  # serial 2
    with pytest.raises(StaleState, match=r"changed since it was read|written by another run"):
        second.save(stored)


def test_the_etag_guards_even_a_writer_that_agrees_on_the_serial(
    s3_settings: S3State, s3_endpoint: str
) -> None:
    backend = S3Backend(s3_settings)
    stored = backend.save(new_state())
    body = stored.model_copy(update={"serial": stored.serial}).model_dump_json()
    s3_client(s3_endpoint).put_object(Bucket=s3_settings.bucket, Key=s3_settings.key, Body=body)
    with pytest.raises(StaleState, match="its ETag moved on"):
        backend.save(stored)  # same lineage and serial, but not the object that was read


def test_a_lock_that_was_replaced_is_not_deleted_by_its_old_holder(
    s3_settings: S3State,
) -> None:
    first, second = S3Backend(s3_settings), S3Backend(s3_settings)
    mine = first.lock("apply")
    second.force_unlock(mine.id)  # someone removed it...
    theirs = second.lock("apply")  # ...and another run took it
    with pytest.raises(StateError, match="no longer the one this run took"):
        first.unlock(mine)
    holder = second.holder()
    assert holder is not None and holder.id == theirs.id


def test_force_unlock_removes_only_the_lock_named(s3_settings: S3State) -> None:
    backend = S3Backend(s3_settings)
    lock = backend.lock("apply")
    with pytest.raises(StateError, match=f"is {lock.id}, not wrong-id: nothing was removed"):
        S3Backend(s3_settings).force_unlock("wrong-id")
    assert S3Backend(s3_settings).force_unlock(lock.id).id == lock.id
    assert backend.holder() is None


@pytest.mark.process
def test_processes_racing_for_the_lock_one_wins_the_others_name_it(
    s3_settings: S3State,
) -> None:
    code = textwrap.dedent(
        f"""
        import json, sys
        from reconciler.settings import S3State
        from reconciler.state.interface import StateLocked
        from reconciler.state.s3 import S3Backend
        backend = S3Backend(S3State.model_validate_json({s3_settings.model_dump_json()!r}))
        sys.stdin.readline()  # all start together
        try:
            print(json.dumps({{"won": backend.lock("apply").id}}), flush=True)
        except StateLocked as exc:
            print(json.dumps({{"holder": exc.holder.id if exc.holder else None}}), flush=True)
        sys.stdin.readline()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    racers = [
        children.start(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        for _ in range(4)
    ]
    results: list[dict[str, Any]] = []
    try:
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        results += [json.loads(children.first_line(racer)) for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
            racer.wait(timeout=30)
    winners = [r["won"] for r in results if "won" in r]
    assert len(winners) == 1
    assert [r["holder"] for r in results if "holder" in r] == winners * 3


def test_a_bucket_without_versioning_is_noted_once(s3_settings: S3State, s3_endpoint: str) -> None:
    client = s3_client(s3_endpoint)
    unversioned = f"{s3_settings.bucket}-plain"
    client.create_bucket(
        Bucket=unversioned, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    backend = S3Backend(s3_settings.model_copy(update={"bucket": unversioned}))
    backend.save(new_state())
    backend.load()
    [notice] = backend.notices()
    assert f"the bucket {unversioned} has no versioning" in notice
    backend.load()
    assert backend.notices() == []
    versioned = S3Backend(s3_settings)
    versioned.save(new_state())
    versioned.load()
    assert versioned.notices() == []


def test_a_missing_bucket_and_an_unreachable_server_say_what_to_fix(
    s3_settings: S3State,
) -> None:
    missing = S3Backend(s3_settings.model_copy(update={"bucket": "no-such-bucket-here"}))
    with pytest.raises(StateError, match="the bucket no-such-bucket-here does not exist"):
        missing.load()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = s3_settings.model_copy(update={"endpoint_url": f"http://127.0.0.1:{port}"})
    with pytest.raises(StateError, match=r"cannot reach http://127\.0\.0\.1:\d+ for the state"):
        S3Backend(nowhere).load()


@pytest.mark.parametrize(
    ("code", "message", "said"),
    [
        ("AccessDenied", "Access Denied", "access denied: s3:GetObject on s3://"),
        ("AccessDenied", "User is not authorized to use KMS key", "the KMS key alias/x cannot"),
        ("PermanentRedirect", "wrong endpoint", "is in another region than eu-west-1"),
        ("InternalError", "oops", "S3 GetObject on s3://"),
    ],
)
def test_s3_errors_name_what_to_fix(
    s3_settings: S3State, code: str, message: str, said: str
) -> None:
    backend = S3Backend(s3_settings.model_copy(update={"kms_key_id": "alias/x"}))
    with Stubber(backend._client) as stub:
        stub.add_client_error("get_object", service_error_code=code, service_message=message)
        with pytest.raises(StateError, match=said):
            backend.load()


def test_push_replaces_the_lineage_under_the_etag_guard(
    s3_settings: S3State, s3_endpoint: str
) -> None:
    backend = S3Backend(s3_settings)
    current = backend.save(backend.save(new_state()))
    other = new_state().model_copy(update={"serial": 1})
    stored = backend.replace(other, force=True)
    assert (stored.lineage, stored.serial) == (other.lineage, current.serial + 1)
    assert S3Backend(s3_settings).load() == stored

    def write_meanwhile(**_: Any) -> None:  # another run writes between the read and the put
        body = stored.model_copy(update={"serial": 9}).model_dump_json()
        s3_client(s3_endpoint).put_object(Bucket=s3_settings.bucket, Key=s3_settings.key, Body=body)

    racing = S3Backend(s3_settings)
    racing._client.meta.events.register("after-call.s3.GetObject", write_meanwhile)
    with pytest.raises(StaleState, match="its ETag moved on"):
        racing.replace(new_state(), force=True)
    after = S3Backend(s3_settings).load()
    assert after is not None and after.serial == 9  # the other run's write stands


def test_a_state_deleted_since_it_was_read_is_not_written_back(
    s3_settings: S3State, s3_endpoint: str
) -> None:
    backend = S3Backend(s3_settings)
    stored = backend.save(new_state())
    s3_client(s3_endpoint).delete_object(Bucket=s3_settings.bucket, Key=s3_settings.key)
    with pytest.raises(StaleState):
        backend.save(stored)
    assert S3Backend(s3_settings).load() is None


def test_the_lock_stays_a_lock_after_a_push(s3_settings: S3State) -> None:
    backend = S3Backend(s3_settings)
    backend.replace(new_state(), force=True)
    lock = backend.lock("state push")
    with pytest.raises(StateLocked):
        S3Backend(s3_settings).lock("apply")
    backend.unlock(lock)
    S3Backend(s3_settings).unlock(S3Backend(s3_settings).lock("apply"))


# A lock of unknown holder, an answer cut off, a write S3 stored but answered 500, the pin.


def test_r2_10_a_garbage_lock_object_is_named_by_its_etag_and_force_unlock_removes_it(
    s3_settings: S3State, s3_endpoint: str
) -> None:
    lock_key = f"{s3_settings.key}.lock"
    put = s3_client(s3_endpoint).put_object(
        Bucket=s3_settings.bucket, Key=lock_key, Body=b"\x00\xff not a lock"
    )
    etag = put["ETag"].strip('"')
    with pytest.raises(StateLocked) as info:
        S3Backend(s3_settings).lock("apply")
    said = str(info.value)
    assert "locked by an unknown holder (the lock's details are unreadable) since " in said
    assert f"lock ID {etag};" in said
    assert said.endswith(f"if no run holds it, `reconciler force-unlock {etag}` removes it")
    assert S3Backend(s3_settings).force_unlock(etag).id == etag
    backend = S3Backend(s3_settings)
    backend.unlock(backend.lock("apply"))


class _Broken:
    """A response body whose connection breaks while it is read."""

    def read(self, amt: int | None = None) -> bytes:
        raise ProtocolError("Connection broken: IncompleteRead(19 bytes read, 481 more expected)")

    def close(self) -> None:
        pass


CUT_OFF: dict[str, Callable[[], Any]] = {
    "IncompleteReadError": lambda: StreamingBody(io.BytesIO(b'{"version": 3, "lin'), 500),
    "ResponseStreamingError": lambda: StreamingBody(_Broken(), 500),
    "ProtocolError": _Broken,
}


@pytest.mark.parametrize("which", ["state", "lock"])
@pytest.mark.parametrize("error", sorted(CUT_OFF))
def test_r2_11_an_answer_cut_off_while_it_is_read_is_one_error_and_nothing_is_written(
    s3_settings: S3State, s3_endpoint: str, error: str, which: str
) -> None:
    backend = S3Backend(s3_settings)
    backend.save(new_state())
    held = backend.lock("apply")
    key = s3_settings.key if which == "state" else f"{s3_settings.key}.lock"

    def cut_off(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if http_response.url.split("?")[0].endswith(f"/{key}"):
            parsed["Body"] = CUT_OFF[error]()

    reader = S3Backend(s3_settings)
    reader._client.meta.events.register("after-call.s3.GetObject", cut_off)
    said = rf"the answer of S3 for s3://{s3_settings.bucket}/{re.escape(key)} was cut off "
    with pytest.raises(StateError, match=said + rf"while it was read \({error}\); nothing was"):
        reader.load() if which == "state" else reader.lock("plan")
    versions = s3_client(s3_endpoint).list_object_versions(
        Bucket=s3_settings.bucket, Prefix=s3_settings.key
    )["Versions"]
    assert sorted(v["Key"] for v in versions) == sorted(  # nothing was written
        [s3_settings.key, f"{s3_settings.key}.lineage", f"{s3_settings.key}.lock"]
    )
    holder = S3Backend(s3_settings).holder()
    assert holder is not None and holder.id == held.id


class _Answer:
    """The raw body of a made-up HTTP answer."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def test_r2_14_a_write_s3_stored_but_answered_500_is_recognised_as_this_runs_own(
    s3_settings: S3State,
) -> None:
    backend = S3Backend(s3_settings)
    first = backend.save(new_state())
    stored_by_s3: list[int] = []

    def store_then_answer_500(request: Any, **_: Any) -> AWSResponse | None:
        if stored_by_s3 or not request.url.split("?")[0].endswith(f"/{s3_settings.key}"):
            return None  # botocore's retry, and other objects: sent as they are
        stored_by_s3.append(URLLib3Session().send(request).status_code)  # S3 stores it...
        body = b"<Error><Code>InternalError</Code><Message>oops</Message></Error>"
        return AWSResponse(request.url, 500, {}, _Answer(body))  # ...and answers 500

    backend._client.meta.events.register("before-send.s3.PutObject", store_then_answer_500)
    second = backend.save(first)
    assert stored_by_s3 == [200]
    assert second.serial == 2 and S3Backend(s3_settings).load() == second
    assert backend.save(second).serial == 3  # the ETag it kept is the one stored


def test_r2_17_a_state_written_before_the_pin_is_pinned_by_its_next_write(
    s3_settings: S3State, s3_endpoint: str
) -> None:
    client = s3_client(s3_endpoint)
    stored = S3Backend(s3_settings).save(new_state())
    pin = f"{s3_settings.key}.lineage"
    assert client.get_object(Bucket=s3_settings.bucket, Key=pin)["Body"].read() == (
        f"{stored.lineage}\n".encode()
    )
    client.delete_object(Bucket=s3_settings.bucket, Key=pin)  # as an older reconciler left it
    backend = S3Backend(s3_settings)
    loaded = backend.load()
    assert loaded == stored
    backend.save(loaded)
    assert client.get_object(Bucket=s3_settings.bucket, Key=pin)["Body"].read() == (
        f"{stored.lineage}\n".encode()
    )


def test_a_policy_from_before_the_lineage_pin_still_reads_and_writes_the_state(
    s3_settings: S3State,
) -> None:
    """IAM written for 0.2 grants nothing on `KEY.lineage`: the state is used all the same, and
    the run says once what to grant (never "the state was not saved")."""

    def deny_the_pin(params: dict[str, Any], **_: Any) -> Any:
        if not params["url_path"].endswith(".lineage"):
            return None
        denied = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        return AWSResponse(params["url"], 403, {}, None), {
            **denied,
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    def denied_backend() -> S3Backend:
        backend = S3Backend(s3_settings)
        for operation in ("GetObject", "PutObject"):
            backend._client.meta.events.register(f"before-call.s3.{operation}", deny_the_pin)
        return backend

    writer = denied_backend()
    stored = writer.save(writer.save(new_state()))  # the pin's write is refused twice
    [written] = writer.notices()
    assert "deletions.json.lineage (the lineage this place holds) cannot be written" in written
    assert "Grant s3:PutObject" in written
    reader = denied_backend()
    assert reader.load() == stored
    [read] = reader.notices()
    assert "cannot be read: access denied" in read and "Grant s3:GetObject" in read
    assert reader.save(stored).serial == stored.serial + 1
