"""An emulator served over HTTP on 127.0.0.1 on a fake clock, and the AWS CLI pointed at it with
dummy credentials and no AWS configuration of the machine's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.service import EmulatorService
from tests.fakes.clock import FakeClock
from tests.providers.conftest import serve

AWS = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
needs_aws_cli = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")


@dataclass
class Served:
    url: str
    service: EmulatorService
    clock: FakeClock

    def client(self, service: str = "personalize", region: str = "eu-west-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@contextmanager
def emulator_served(root: Path) -> Iterator[Served]:
    """A new emulator (its database and S3 under `root`) served on 127.0.0.1 in this process,
    on a fake clock; stopped when the block ends."""
    clock = FakeClock()
    config = EmulatorConfig(
        database=root / "e.sqlite3",
        s3_root=root / "s3",
        account_id="210987654321",
        pending_seconds=10,
        in_progress_seconds=20,
        activity_seconds=60,
    )
    service = EmulatorService(config, clock=clock)
    server = serve(service)
    try:
        yield Served(next(server), service, clock)
    finally:
        next(server, None)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with emulator_served(tmp_path) as emulator:
        yield emulator


def aws_env(home: Path) -> dict[str, str]:
    """The environment of an AWS CLI with dummy credentials and nothing of this machine's AWS
    settings: no region, no config or credentials file, no instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_aws(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert AWS is not None
    return subprocess.run(
        [AWS, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
