from __future__ import annotations

from pathlib import Path

import pytest

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
