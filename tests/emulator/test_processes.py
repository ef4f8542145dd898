"""Separate processes share one emulator: `emulator serve`, boto3, and the in-process provider."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import children
from tests.conftest import REPO
from tests.providers.conftest import aws_provider, job_spec

pytestmark = pytest.mark.process  # `emulator serve` in a process of its own: the process lane


def start_server(cwd: Path, *args: str) -> Iterator[str]:
    for url, _ in serving(cwd, *args):
        yield url


def serving(cwd: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`emulator serve` in `cwd`: its URL and process, terminated (SIGTERM) when resumed."""
    process = children.start(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        first = children.first_line(process)
        assert first.startswith("Personalize emulator listening on http://127.0.0.1:"), first
        yield first.split()[-1], process
    finally:
        process.terminate()
        children.finish(process, timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from start_server(tmp_path, "--pending-seconds", "0", "--in-progress-seconds", "0")


def test_jobs_created_over_http_finish_for_another_process(server: str, tmp_path: Path) -> None:
    s3 = tmp_path / "emulator-s3" / "bucket"
    s3.mkdir(parents=True)
    (s3 / "users.csv").write_text("USER_ID\na\nb\nc\na\n", encoding="utf-8")
    provider = aws_provider(server)
    group = provider.client("eu-west-1").create_dataset_group(name="shop")["datasetGroupArn"]
    done = provider.create_job(job_spec("done", group, "s3://bucket/users.csv"))
    failed = provider.create_job(job_spec("failed", group, "s3://bucket/missing.csv"))

    reader = textwrap.dedent(
        f"""
        import json
        from reconciler.emulator.config import EmulatorConfig
        from reconciler.emulator.service import EmulatorService
        from reconciler.providers.local import LocalProvider
        config = EmulatorConfig(pending_seconds=0, in_progress_seconds=0)
        provider = LocalProvider(EmulatorService(config))
        jobs = [provider.describe_job(arn) for arn in {[done, failed]!r}]
        print(json.dumps([[j.status, j.num_deleted, j.failure_reason] for j in jobs]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", reader],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert json.loads(result.stdout) == [
        ["COMPLETED", 3, None],
        ["FAILED", None, "Input data not found at s3://bucket/missing.csv."],
    ]
    assert "Traceback" not in result.stderr


def test_serve_seeds_the_dataset_groups_of_the_shipped_settings(tmp_path: Path) -> None:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    shutil.copytree(REPO / "example-data", tmp_path / "example-data")
    for url in start_server(tmp_path):
        provider = aws_provider(url)
        for name, region in (("shop-eu", "eu-west-1"), ("shop-us", "us-east-1")):
            arn = f"arn:aws:personalize:{region}:123456789012:dataset-group/{name}"
            info = provider.describe_dataset_group(arn)
            assert info is not None
            assert info.status == "ACTIVE"
    assert (tmp_path / ".reconciler" / "emulator.sqlite3").is_file()


def test_clients_that_go_away_never_make_serve_print_a_traceback(tmp_path: Path) -> None:
    sts = b"Action=GetCallerIdentity&Version=2011-06-15"
    requests = [
        b"POST / HTTP/1.1\r\nX-Amz-Target: AmazonPersonalize.ListDatasetGroups\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        b"POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(sts), sts),
    ]
    linger = struct.pack("ii", 1, 0)  # close with a reset, not a FIN
    for url, process in serving(tmp_path, "--database", "e.sqlite3"):
        host, port = url.removeprefix("http://").split(":")
        for request in requests:
            for cut in (len(request), len(request) - 1, 10):  # whole, body cut, head cut
                for _ in range(10):
                    conn = socket.create_connection((host, int(port)), timeout=10)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    conn.sendall(request[:cut] * (1 if cut < len(request) else 20))
                    conn.close()  # before reading a byte of the answer
        provider = aws_provider(url)
        assert provider.client("eu-west-1").list_dataset_groups()["datasetGroups"] == []
        process.terminate()
        _, err = children.finish(process, timeout=10)
        assert "Traceback" not in err
        assert err in ("", "Terminated.\n"), err
