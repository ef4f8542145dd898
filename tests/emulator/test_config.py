"""The emulator's own settings file, and the emulator's independence from the product."""

from __future__ import annotations

import ast
import io
import stat
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.emulator.config import ConfigError, EmulatorConfig, load_config
from reconciler.emulator.service import EmulatorService
from reconciler.runtime import Runtime
from tests.conftest import REPO

HEADER = "apiVersion: emulator/v1\nkind: Emulator\n"
GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop"


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
    assert config.activity_seconds == EmulatorConfig().activity_seconds == 60


def test_activity_seconds_is_a_setting_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(HEADER + "inProgressSeconds: 1\nactivitySeconds: 7.5\n")
    config = load_config(path)
    assert (config.in_progress_seconds, config.activity_seconds) == (1, 7.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "pendingSeconds: -1\n", "e.yaml:3:17: pendingSeconds: Input should be greater"),
        (HEADER + "activitySeconds: -1\n", "e.yaml:3:18: activitySeconds: Input should be"),
        (HEADER + "datasetGroups:\n  - arn: nope\n", "e.yaml:4:10: datasetGroups[0].arn: String"),
        (HEADER + "pendingSecs: 1\n", "e.yaml:3:1: pendingSecs: Extra inputs are not permitted"),
        (
            HEADER + f"datasetGroups:\n  - arn: {GROUP}\n    campaigns: [ok, bad name]\n",
            "e.yaml:5:21: datasetGroups[0].campaigns[1]: String should match pattern",
        ),
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


def test_seeded_campaigns_are_active_from_the_start_once(tmp_path: Path) -> None:
    """A group's `campaigns` are ACTIVE at once, each on the first version of a solution of its
    name (trained at the start: before any deletion); every process that starts seeds, once."""
    from reconciler.providers.local import LocalProvider

    path = tmp_path / "e.yaml"
    path.write_text(
        HEADER + f"database: {tmp_path / 'e.sqlite3'}\ndatasetGroups:\n"
        f"  - arn: {GROUP}\n    campaigns: [recs, ranking]\n"
    )
    config = load_config(path)
    EmulatorService(config, clock=lambda: 1_790_000_000.0)
    provider = LocalProvider(EmulatorService(config, clock=lambda: 1_790_000_500.0))
    campaigns = {c.name: c for c in provider.campaigns(GROUP)}
    assert sorted(campaigns) == ["ranking", "recs"]
    recs = campaigns["recs"]
    assert (recs.status, recs.auto_training) == ("ACTIVE", "rate(7 days)")
    assert recs.solution_arn == GROUP.replace("dataset-group/shop", "solution/recs")
    assert recs.version_created is not None
    assert recs.version_created.timestamp() == 1_790_000_000.0  # the first start's seed only
    version = provider._call(
        "eu-west-1", "DescribeSolutionVersion", {"solutionVersionArn": recs.solution_version_arn}
    )
    assert version["solutionVersion"]["status"] == "ACTIVE"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the emulator settings"):
        load_config(tmp_path / "absent.yaml")


def test_the_emulator_imports_nothing_of_the_product_but_the_row_checker() -> None:
    """It FAILs a job on the rows preflight refuses: `reconciler.userrows` (stdlib only) is the
    one checker both use; nothing else of the product."""
    for path in sorted((REPO / "reconciler" / "emulator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "reconciler" or name.startswith("reconciler."):
                    allowed = name.startswith(("reconciler.emulator", "reconciler.userrows"))
                    assert allowed, f"{path.name} imports {name}"


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


def test_defect_12_the_database_and_its_companions_are_private(tmp_path: Path) -> None:
    service = EmulatorService(EmulatorConfig(database=tmp_path / "e.sqlite3", s3_root=tmp_path))
    service.handle("CreateDatasetGroup", {"name": "shop"}, region="eu-west-1")
    files = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("e.sqlite3"))
    assert files == ["e.sqlite3", "e.sqlite3-shm", "e.sqlite3-wal"]
    assert {stat.S_IMODE((tmp_path / name).stat().st_mode) for name in files} == {0o600}


def test_defect_04_paths_that_name_no_usable_file_are_reported_where_they_are_set(
    tmp_path: Path,
) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "seeds").mkdir()
    path = tmp_path / "e.yaml"
    path.write_text(
        HEADER
        + f"database: {tmp_path}/db\n"
        + "datasetGroups:\n"
        + "  - arn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/a\n"
        + f"    seedUsers: {tmp_path}/missing.csv\n"
        + "  - arn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/b\n"
        + f"    seedUsers: {tmp_path}/seeds\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).splitlines() == [
        f"{path}:3:11: database: {tmp_path}/db is a directory: name a file",
        f"{path}:6:16: datasetGroups[0].seedUsers: {tmp_path}/missing.csv does not exist",
        f"{path}:8:16: datasetGroups[1].seedUsers: {tmp_path}/seeds is a directory",
    ]


def test_defect_04_a_database_or_seed_file_that_cannot_be_used_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\n"
        "provider: {name: local, emulatorConfig: e.yaml}\n"
    )
    (tmp_path / "manifests" / "m.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: DeletionJobs\n"
        "datasetGroupArn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/g\njobs: []\n"
    )
    (tmp_path / "broken.sqlite3").write_bytes(b"this is not a database" * 100)
    (tmp_path / "seed.csv").write_bytes(b"USER_ID\n\xff\xfe\n")
    cases = {
        "database: broken.sqlite3\n": (
            "Error: the emulator's database broken.sqlite3 cannot be used: file is not a database\n"
        ),
        "datasetGroups:\n"
        "  - arn: arn:aws:personalize:eu-west-1:123456789012:dataset-group/g\n"
        "    seedUsers: seed.csv\n": (
            "Error: e.yaml:5:16: datasetGroups[0].seedUsers: seed.csv is not UTF-8 text (line 2)\n"
        ),
    }
    for text, said in cases.items():
        (tmp_path / "e.yaml").write_text(HEADER + text)
        out, err = io.StringIO(), io.StringIO()
        assert main(["plan"], Runtime(environ={}, out=out, err=err)) == 1
        assert err.getvalue() == said


def test_defect_12_an_older_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "e.sqlite3"
    EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    database.chmod(0o644)
    EmulatorService(EmulatorConfig(database=database, s3_root=tmp_path))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
