"""The emulator's own settings file, and the emulator's independence from the product."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.emulator.config import ConfigError, EmulatorConfig, load_config
from reconciler.runtime import Runtime
from tests.conftest import REPO

HEADER = "apiVersion: emulator/v1\nkind: Emulator\n"


def test_the_shipped_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(REPO / "example-data" / "emulator.yaml")
    assert config.s3_root == Path("example-data/s3")
    assert [g.arn.rsplit("/", 1)[1] for g in config.dataset_groups] == ["shop-eu", "shop-us"]
    assert config.pending_jobs_limit == 5


def test_values_override_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(HEADER + "pendingSeconds: 0\nfaults: {throttleFraction: 0.5}\n")
    config = load_config(path)
    assert config.pending_seconds == 0
    assert config.faults.throttle_fraction == 0.5
    assert config.in_progress_seconds == EmulatorConfig().in_progress_seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "pendingSeconds: -1\n", "e.yaml:3:17: pendingSeconds: Input should be greater"),
        (HEADER + "datasetGroups:\n  - arn: nope\n", "e.yaml:4:10: datasetGroups[0].arn: String"),
        (HEADER + "pendingSecs: 1\n", "e.yaml:3:1: pendingSecs: Extra inputs are not permitted"),
        ("kind: Emulator\n", "e.yaml:1:1: apiVersion: Field required"),
        ("a: [\n", "e.yaml:2:1: invalid YAML"),
        ("- 1\n", "e.yaml: the emulator settings must be a mapping"),
    ],
)
def test_problems_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(str(tmp_path / message))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the emulator settings"):
        load_config(tmp_path / "absent.yaml")


def test_the_emulator_imports_nothing_of_the_product() -> None:
    for path in sorted((REPO / "reconciler" / "emulator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "reconciler" or name.startswith("reconciler."):
                    assert name.startswith("reconciler.emulator"), f"{path.name} imports {name}"


def test_serve_reads_the_file_it_is_given_and_reports_its_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "broken.yaml").write_text("kind: [\n")  # not read with --config
    (tmp_path / "e.yaml").write_text(HEADER + "pendingSeconds: -1\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["emulator", "serve", "--config", "e.yaml"], Runtime(environ={}, out=out, err=err))
    assert code == 1
    assert err.getvalue().startswith("Error: e.yaml:3:17: pendingSeconds: Input should be")
    assert len(err.getvalue().splitlines()) == 1
    assert out.getvalue() == ""
