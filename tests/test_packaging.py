"""What the package declares of itself: its licence shipped in the wheel, and floors that
`.ci/floors` can install (each runtime dependency with one lower bound)."""

from __future__ import annotations

import hashlib
import os
import re
import tomllib

from tests.conftest import REPO

# sha256 of https://www.apache.org/licenses/LICENSE-2.0.txt, the canonical text
APACHE_2_0 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_apache_2_0_licence_is_declared_and_goes_into_the_wheel() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]  # dist-info/licenses/LICENSE in the wheel
    assert hashlib.sha256((REPO / "LICENSE").read_bytes()).hexdigest() == APACHE_2_0
    [setuptools] = PYPROJECT["build-system"]["requires"]
    floor = re.fullmatch(r"setuptools>=(\d+)\.(\d+)\.(\d+)", setuptools)
    assert floor is not None and int(floor[1]) >= 77  # PEP 639 fields: setuptools 77 and later


def test_every_runtime_dependency_has_one_floor_that_ci_installs() -> None:
    floors = [
        re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)>=([0-9][0-9A-Za-z.]*)", dependency)
        for dependency in PYPROJECT["project"]["dependencies"]
    ]
    assert all(floors), PYPROJECT["project"]["dependencies"]
    versions = {f[1]: tuple(int(part) for part in f[2].split(".")) for f in floors if f}
    assert set(versions) >= {"pyyaml", "pydantic", "click", "deepdiff", "boto3", "botocore"}
    assert versions["pydantic"] >= (2, 11)  # validate_by_name: 2.6 to 2.10 refuse the settings
    assert versions["botocore"] >= (1, 37, 29) and versions["boto3"] >= versions["botocore"]
    assert os.access(REPO / ".ci" / "floors", os.X_OK)
