from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: a quick run by default, the full one where CI asks (HYPOTHESIS_PROFILE=ci).
settings.register_profile("dev", max_examples=30)
settings.register_profile("ci", max_examples=150)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = [
    "tests.s3server",  # an S3 server (moto's) for the s3 state backend's tests
    "tests.children",  # every child process a test starts is reaped when it ends
    "tests.botocoredata",  # botocore's JSON decoded once per session, not once per boto3 Session
]

REPO = Path(__file__).resolve().parent.parent
SHIPPED_MANIFESTS = REPO / "manifests"

HEADER = """\
apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu
"""
ROLE = "arn:aws:iam::123456789012:role/PersonalizeDeletion"


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write a manifest under a temporary directory (the cwd); returns its relative path."""
    monkeypatch.chdir(tmp_path)

    def _write(name: str, text: str | bytes) -> Path:
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
