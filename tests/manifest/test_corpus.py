"""Every bad manifest in corpus/ yields exactly the diagnostics in its .expected file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.manifest.loader import load_manifests

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.glob("*.yaml"))


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
@pytest.mark.usefixtures("composer")
def test_bad_manifest_gives_exact_diagnostics(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    expected = (CORPUS / name).with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ManifestError) as info:
        load_manifests([Path(name)])
    assert [str(d) for d in info.value.diagnostics] == expected
