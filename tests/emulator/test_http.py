"""The emulator over HTTP, as plain boto3 and a raw HTTP client see it (the AWS CLI:
test_aws_cli.py, in the process lane)."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.emulator.config import EmulatorConfig, Faults
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.service import EmulatorService
from reconciler.providers.interface import TransientError
from tests.fakes.clock import FakeClock
from tests.providers.conftest import ROLE, aws_provider, job_spec, serve


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[str, FakeClock, Path]]:
    clock = FakeClock()
    config = EmulatorConfig(
        database=tmp_path / "e.sqlite3",
        s3_root=tmp_path / "s3",
        pending_seconds=10,
        in_progress_seconds=20,
    )
    server = serve(EmulatorService(config, clock=clock))
    yield next(server), clock, tmp_path / "s3"
    next(server, None)


def client(url: str, region: str = "eu-west-1") -> Any:
    return boto3.client(
        "personalize",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def post(url: str, target: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target:
        headers["X-Amz-Target"] = target
    conn.request("POST", "/", body=body, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_boto3_paginates_by_hand_and_regions_are_apart(emulator: Any) -> None:
    url, clock, _ = emulator
    eu, us = client(url), client(url, "us-east-1")
    group = eu.create_dataset_group(name="shop")["datasetGroupArn"]
    assert group == "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"
    for i in range(7):
        clock.advance(11)
        eu.create_data_deletion_job(
            jobName=f"j{i}",
            datasetGroupArn=group,
            roleArn=ROLE,
            dataSource={"dataLocation": "s3://b/k.csv"},
        )
    names, token, pages = [], None, 0
    while True:
        page = eu.list_data_deletion_jobs(maxResults=3, **({"nextToken": token} if token else {}))
        pages += 1
        names += [j["jobName"] for j in page["dataDeletionJobs"]]
        assert all("roleArn" not in j and "dataSource" not in j for j in page["dataDeletionJobs"])
        token = page.get("nextToken")
        if not token:
            break
    assert (pages, names) == (3, [f"j{i}" for i in reversed(range(7))])
    assert us.list_data_deletion_jobs()["dataDeletionJobs"] == []
    with pytest.raises(ClientError) as info:
        us.describe_dataset_group(datasetGroupArn=group)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_unreadable_next_token(emulator: Any) -> None:
    with pytest.raises(ClientError) as info:
        client(emulator[0]).list_data_deletion_jobs(nextToken="not-a-token")
    assert info.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_raw_protocol_errors(emulator: Any) -> None:
    url = emulator[0]
    assert post(url, None, b"{}") == (
        400,
        {"__type": "UnknownOperationException", "message": "Missing X-Amz-Target"},
    )
    status, body = post(url, "AmazonPersonalize.ListDataDeletionJobs", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = post(url, "AmazonPersonalize.DeleteEverything", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = post(url, "AmazonPersonalize.ListDataDeletionJobs", b"{}")
    assert (status, body) == (200, {"dataDeletionJobs": []})


@pytest.fixture
def raw_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    config = EmulatorConfig(database=tmp_path / "e.sqlite3", s3_root=tmp_path / "s3")
    server = EmulatorServer(
        EmulatorService(config), "127.0.0.1", 0, verbose=False, read_timeout=0.3
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def wait_for_handlers_to_end(earlier: set[threading.Thread], timeout: float = 30) -> None:
    """Until no request handler thread started since `earlier` (the threads then running) is
    running: what they print is printed. Handlers of earlier tests' servers, which their
    clients' kept-alive connections hold for up to the read timeout (30 s), are not waited for."""
    deadline = time.monotonic() + timeout
    while any("process_request_thread" in t.name for t in set(threading.enumerate()) - earlier):
        assert time.monotonic() < deadline, f"a request handler still runs after {timeout} s"
        time.sleep(0.01)  # poll


def exchange(server: EmulatorServer, request: bytes) -> bytes:
    with socket.create_connection(server.server_address[:2], timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "SerializationException"),
        (b"PUT / HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 404, None),
        (b"BREW / HTTP/1.1\r\n\r\n", 501, "SerializationException"),
        (b"nonsense\r\n\r\n", 400, "SerializationException"),
    ],
    ids=["length", "method", "unknown-method", "request-line"],
)
def test_defect_09_protocol_errors_are_answered_in_the_aws_shape(
    raw_server: EmulatorServer, request_bytes: bytes, status: int, code: str | None
) -> None:
    head, _, body = exchange(raw_server, request_bytes).partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode()
    answer = json.loads(body)
    assert set(answer) == {"__type", "message"}
    assert code is None or answer["__type"] == code


def test_defect_09_deeply_nested_json_is_a_bad_request(raw_server: EmulatorServer) -> None:
    status, body = post(
        raw_server.url, "AmazonPersonalize.ListDataDeletionJobs", b"[" * 200_000 + b"]" * 200_000
    )
    assert (status, body["__type"]) == (400, "SerializationException")


def test_defect_09_a_silent_or_vanishing_client_costs_nothing_and_prints_nothing(
    raw_server: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    earlier = set(threading.enumerate())
    with socket.create_connection(raw_server.server_address[:2], timeout=10) as conn:
        assert conn.recv(1) == b""  # closed by the server after its read timeout
    with socket.create_connection(raw_server.server_address[:2], timeout=10) as conn:
        conn.sendall(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")  # and goes away
    assert raw_server.request_queue_size >= 128
    assert post(raw_server.url, "AmazonPersonalize.ListDataDeletionJobs", b"{}")[0] == 200
    wait_for_handlers_to_end(earlier)  # each has read its request or timed out, and said it
    assert capfd.readouterr().err == ""


def test_a_dropped_answer_means_the_call_happened(tmp_path: Path) -> None:
    config = EmulatorConfig(database=tmp_path / "e.sqlite3", s3_root=tmp_path)
    plain = EmulatorService(config)
    group = plain.handle("CreateDatasetGroup", {"name": "shop"}, region="eu-west-1")
    dropping = EmulatorService(config.model_copy(update={"faults": Faults(drop_fraction=1.0)}))
    for url in serve(dropping):
        provider = aws_provider(url, max_attempts=1)
        with pytest.raises(TransientError, match="cannot reach the service"):
            provider.create_job(job_spec("j", group["datasetGroupArn"]))
    listed = plain.handle("ListDataDeletionJobs", {}, region="eu-west-1")
    assert [j["jobName"] for j in listed["dataDeletionJobs"]] == ["j"]


def test_defect_09_clients_that_leave_before_the_answer_print_nothing(
    raw_server: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    request = (
        b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonPersonalize.ListDataDeletionJobs\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    earlier = set(threading.enumerate())
    for _ in range(20):
        conn = socket.create_connection(raw_server.server_address[:2], timeout=10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sendall(request)
        conn.close()  # a reset, before the answer is read
    assert post(raw_server.url, "AmazonPersonalize.ListDataDeletionJobs", b"{}")[0] == 200
    wait_for_handlers_to_end(earlier)
    assert "Traceback" not in capfd.readouterr().err


class _Gone(io.RawIOBase):
    """What a client sent before it went away; reading past it raises `error`."""

    def __init__(self, data: bytes, error: OSError) -> None:
        self.data, self.error = data, error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            raise self.error
        size = min(len(buffer), len(self.data))
        buffer[:size], self.data = self.data[:size], self.data[size:]
        return size


class _GoneClient:
    """A connection whose client sent `request` and went away: a read past it raises `on_read`,
    a write raises `on_write` (None: the write goes through)."""

    def __init__(self, request: bytes, on_read: OSError, on_write: OSError | None) -> None:
        self.request, self.on_read, self.on_write = request, on_read, on_write
        self.sent = b""

    def makefile(self, mode: str, buffering: int = -1) -> io.BufferedReader:
        return io.BufferedReader(_Gone(self.request, self.on_read))

    def sendall(self, data: bytes) -> None:
        if self.on_write is not None:
            raise self.on_write
        self.sent += data

    def settimeout(self, timeout: float | None) -> None:
        pass

    def setsockopt(self, *args: object) -> None:
        pass

    def shutdown(self, how: int) -> None:
        raise OSError(107, "Transport endpoint is not connected")

    def close(self) -> None:
        pass


LIST = (
    b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonPersonalize.ListDataDeletionJobs\r\n"
    b"Content-Length: 2\r\n\r\n{}"
)
STS = (
    b"POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 43\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15"
)
RESET = ConnectionResetError(104, "Connection reset by peer")
PIPE = BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    ("request_bytes", "on_write", "answered"),
    [
        (LIST, PIPE, False),
        (LIST, RESET, False),
        (STS, PIPE, False),
        (LIST[:-1], None, False),  # gone while its body is read
        (LIST[:20], None, False),  # gone while its headers are read
        (LIST, None, True),  # answered, then gone while the next request is read
        (STS, None, True),
    ],
    ids=["write-pipe", "write-reset", "sts-write", "body", "headers", "next", "sts-next"],
)
def test_a_client_that_goes_away_never_causes_a_traceback(
    raw_server: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    request_bytes: bytes,
    on_write: OSError | None,
    answered: bool,
) -> None:
    client = _GoneClient(request_bytes, RESET, on_write)
    raw_server.process_request_thread(client, ("127.0.0.1", 9))  # type: ignore[arg-type]
    assert client.sent.startswith(b"HTTP/1.1 200 OK\r\n") == answered
    assert capsys.readouterr().err == ""


def named(url: str, host: str, target: str = "AmazonPersonalize.ListDatasetGroups") -> Any:
    """A request to the emulator at `url` whose Host header is `host`: (status, __type)."""
    address, port = url.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(address.strip("[]"), int(port), timeout=10)
    headers = {"Host": host, "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    conn.request("POST", "/", body=b"{}", headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read()).get("__type")


def test_a_request_whose_host_names_another_server_is_refused(emulator: Any) -> None:
    """DNS rebinding: a page of evil.example rebound to 127.0.0.1 sends Host: evil.example."""
    url = emulator[0]
    port = url.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.nip.io:{port}", "", "::1"):
        assert named(url, host) == (403, "AccessDeniedException"), host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST.", f"[::1]:{port}"):
        assert named(url, host) == (200, None), host
    local = client(url.replace("127.0.0.1", "localhost"))  # boto3 sends Host: localhost:PORT
    assert local.list_dataset_groups()["datasetGroups"] == []
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as conn:  # STS too
        conn.sendall(b"GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.1 403 ")


@pytest.mark.parametrize(
    ("listening", "allowed", "refused"),
    [
        ("127.0.0.1", ["127.0.0.1", "localhost:1", "[::1]", "127.0.0.2"], ["10.0.0.1", "a.b"]),
        ("::1", ["[::1]:4599", "localhost", "127.0.0.1"], ["[fe80::1]", "evil.example"]),
        ("192.0.2.7", ["192.0.2.7:4599"], ["localhost", "127.0.0.1", "198.51.100.1", "a.b"]),
        ("0.0.0.0", ["localhost", "198.51.100.1:1", "[2001:db8::1]"], ["evil.example", "a:b"]),
    ],
)
def test_the_names_each_listening_address_answers_to(
    listening: str, allowed: list[str], refused: list[str]
) -> None:
    from reconciler.emulator.hosts import HostCheck

    check = HostCheck(listening)
    assert [h for h in allowed if not check.allows(h)] == []
    assert [h for h in refused if check.allows(h)] == []
    assert check.allows(None)  # no Host at all (HTTP/1.0): no browser sends that


def test_the_emulator_serves_on_ipv6_loopback(tmp_path: Path) -> None:
    config = EmulatorConfig(database=tmp_path / "e.sqlite3", s3_root=tmp_path / "s3")
    server = EmulatorServer(EmulatorService(config), "::1", 0, verbose=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        assert server.url.startswith("http://[::1]:")
        assert client(server.url).list_dataset_groups()["datasetGroups"] == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _NotServing:
    """`emulator serve`'s server, made but never listening: interrupted at once."""

    def __init__(self, service: EmulatorService, host: str, port: int, *, verbose: bool) -> None:
        self.url = f"http://{host}:{port}"

    def serve_forever(self) -> None:
        raise KeyboardInterrupt

    def server_close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("host", "warned"),
    [("0.0.0.0", True), ("::", True), ("192.0.2.7", True), ("127.0.0.1", False), ("::1", False)],
)
def test_serving_beyond_loopback_is_warned_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, warned: bool
) -> None:
    from reconciler.cli import main
    from reconciler.runtime import Runtime

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("reconciler.commands.emulator.EmulatorServer", _NotServing)
    out, err = io.StringIO(), io.StringIO()
    argv = ["emulator", "serve", "--host", host, "--database", "e.sqlite3", "--port", "0"]
    assert main(argv, Runtime(environ={}, out=out, err=err)) == 0
    assert out.getvalue().endswith("Stopped.\n")
    warning = (
        f"Warning: the emulator has no authentication, and {host} lets other machines reach "
        "it: anyone who can connect may create and read its jobs and seeded records. Serve on "
        "127.0.0.1 or ::1 unless that is what you want.\n"
    )
    assert err.getvalue() == (warning if warned else "")
