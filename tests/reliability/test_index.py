"""Every defect the adversarial runs found has a named regression test, in the part of the suite
its fix belongs to: `test_defect_NN_…` for the first run's (issue 9), `test_r2_NN_…` for the
second's (issue 26); the corpus pins the first run's manifest ones."""

from __future__ import annotations

import re

from tests.conftest import REPO

DEFECTS = range(1, 16)  # issue 9's list


def test_every_defect_has_a_named_regression_test() -> None:
    named: set[int] = set()
    for path in (REPO / "tests").rglob("test_*.py"):
        for found in re.findall(r"def test_defect_(\d\d)_(?:and_(\d\d)_)?", path.read_text()):
            named.update(int(n) for n in found if n)
    assert sorted(set(DEFECTS) - named) == []
    corpus = REPO / "tests" / "manifest" / "corpus"
    for case in ("huge-integer", "settings-endpoint-url", "settings-emulator-config-missing"):
        assert (corpus / f"{case}.yaml").exists() and (corpus / f"{case}.expected").exists()


R2_DEFECTS = range(1, 23)  # issue 26's list


def test_every_defect_of_the_second_run_has_a_named_regression_test() -> None:
    named: set[int] = set()
    for path in (REPO / "tests").rglob("test_*.py"):
        named.update(int(n) for n in re.findall(r"def test_r2_(\d\d)_", path.read_text()))
    assert sorted(set(R2_DEFECTS) - named) == []
