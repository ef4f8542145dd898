from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from reconciler.emulator.config import load_config
from reconciler.errors import UsageError
from reconciler.providers.aws import AwsProvider
from reconciler.providers.local import LocalProvider
from reconciler.providers.registry import PROVIDERS, make_provider
from reconciler.settings import (
    LocalState,
    ProviderSettings,
    S3State,
    Settings,
    StateSettings,
    with_environment,
)
from reconciler.workspace import load_settings
from tests.conftest import REPO


def test_shipped_settings_use_the_local_emulator() -> None:
    settings = load_settings(REPO / "manifests", {})
    assert settings.provider.name == "local"
    assert settings.provider.emulator_config == Path("example-data/emulator.yaml")
    config = load_config(REPO / "example-data" / "emulator.yaml")
    assert config.s3_root == Path("example-data/s3")
    assert len(config.dataset_groups) == 2


def test_no_manifests_directory_gives_defaults() -> None:
    settings = load_settings(Path("/nonexistent/manifests"), {})
    assert settings == Settings()


def test_environment_overrides_the_settings_document() -> None:
    settings = Settings(provider=ProviderSettings(name="local", max_attempts=3))
    env = {"RECONCILER_PROVIDER": "aws", "RECONCILER_ENDPOINT_URL": "http://127.0.0.1:4599"}
    merged = with_environment(settings, env)
    assert merged.provider == ProviderSettings(
        name="aws", endpoint_url="http://127.0.0.1:4599", max_attempts=3
    )
    assert with_environment(settings, {}) is settings


def test_bad_environment_values_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="RECONCILER_PROVIDER: Input should be 'local' or 'aws'"):
        with_environment(Settings(), {"RECONCILER_PROVIDER": "azure"})
    with pytest.raises(UsageError, match="RECONCILER_ENDPOINT_URL"):
        with_environment(Settings(), {"RECONCILER_ENDPOINT_URL": "localhost:4599"})


def test_registry_builds_each_provider(tmp_path: Path) -> None:
    assert set(PROVIDERS) == {"local", "aws"}
    config = tmp_path / "emulator.yaml"
    config.write_text(f"apiVersion: emulator/v1\nkind: Emulator\ndatabase: {tmp_path}/e.sqlite3\n")
    assert Settings().provider.name == "aws"  # the emulator only where settings say `local`
    chosen = {"name": "local", "emulator_config": config}
    local = make_provider(Settings.model_validate({"provider": chosen}))
    assert isinstance(local, LocalProvider)
    aws = make_provider(
        Settings(provider=ProviderSettings(name="aws", endpoint_url="http://127.0.0.1:9"))
    )
    assert isinstance(aws, AwsProvider)


def test_a_password_in_an_endpoint_url_is_never_shown() -> None:
    from reconciler.settings import shown_url

    assert shown_url("http://bob:hunter2@127.0.0.1:4599/x") == "http://***@127.0.0.1:4599/x"
    assert shown_url("http://bob@[::1]:9000") == "http://***@[::1]:9000"
    assert shown_url("https://personalize.eu-west-1.amazonaws.com") == (
        "https://personalize.eu-west-1.amazonaws.com"
    )


SECRET_URL = "http://bob:hunter2@127.0.0.1:notaport"  # a password, and a port that is not one


def test_a_bad_endpoint_url_in_the_environment_is_refused_without_its_password() -> None:
    with pytest.raises(UsageError) as refused:
        with_environment(Settings(), {"RECONCILER_ENDPOINT_URL": SECRET_URL})
    assert str(refused.value) == (
        "RECONCILER_ENDPOINT_URL: 'http://***@127.0.0.1:notaport' is not a usable URL "
        "(the port is not a number from 0 to 65535)"
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (SECRET_URL, "'http://***@127.0.0.1:notaport' is not a usable URL"),
        ("ftp://bob:hunter2@127.0.0.1:1", "'ftp://***@127.0.0.1:1' is not allowed here"),
        (
            "http://bob:hunter2/x@127.0.0.1",  # urlsplit takes "hunter2" for the port
            "'http://***@127.0.0.1' is not a usable URL (the port is not a number",
        ),
        ("http://bob:hunter2 x@127.0.0.1", "the URL holds a space or a control character"),
    ],
    ids=["port", "scheme", "slash-in-password", "space-in-password"],
)
def test_a_bad_endpoint_url_in_the_settings_is_refused_without_its_password(
    tmp_path: Path, url: str, said: str
) -> None:
    from reconciler.manifest.loader import check_manifests

    (tmp_path / "settings.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Settings\nprovider:\n  name: aws\n"
        f"  endpointUrl: {url!r}\n"
    )
    [problem] = check_manifests([tmp_path]).diagnostics
    assert problem.message.startswith(f"provider.endpointUrl: {said}")
    assert "hunter2" not in str(problem)


def test_shown_url_hides_the_userinfo_of_every_url_in_a_message() -> None:
    from reconciler.settings import shown_url

    assert shown_url("SSL validation failed for https://k:s/e@cret@h:1/ [SSL] x@y") == (
        "SSL validation failed for https://***@h:1/ [SSL] x@y"
    )


def _state(text: str, tmp_path: Path) -> StateSettings:
    """The state settings of a Settings document whose `state:` mapping is `text`."""
    (tmp_path / "settings.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Settings\nstate:\n{text}"
    )
    return load_settings(tmp_path, {}).state


def test_the_state_is_local_without_a_backend_and_s3_with_it(tmp_path: Path) -> None:
    assert Settings().state == LocalState(path=Path(".reconciler/state.json"))
    local = _state("  path: team/state.json\n", tmp_path)
    assert isinstance(local, LocalState) and local.path == Path("team/state.json")
    s3 = _state("  backend: s3\n  bucket: b\n  key: k\n  region: eu-west-1\n", tmp_path)
    assert s3 == S3State(backend="s3", bucket="b", key="k", region="eu-west-1")


@pytest.mark.parametrize(
    "fields",
    ["", "  bucket: b\n", "  key: k\n", "  bucket: ''\n  key: k\n", "  bucket:\n  key: k\n"],
    ids=["neither", "no-key", "no-bucket", "empty-bucket", "null-bucket"],
)
def test_an_s3_state_without_its_bucket_and_key_is_refused_as_one_problem(
    tmp_path: Path, fields: str
) -> None:
    from reconciler.manifest.loader import check_manifests

    (tmp_path / "settings.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Settings\nstate:\n  backend: s3\n{fields}"
    )
    [problem] = check_manifests([tmp_path]).diagnostics
    assert str(problem).endswith(
        "settings.yaml:4:3: state: the s3 backend needs state.bucket and state.key"
    )
    with pytest.raises(ValidationError, match=r"the s3 backend needs state\.bucket and state\.key"):
        S3State.model_validate({"backend": "s3", "bucket": "b"})


def test_another_problem_of_an_s3_state_is_said_without_the_missing_key(tmp_path: Path) -> None:
    from reconciler.manifest.loader import check_manifests

    (tmp_path / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\nstate:\n  backend: s3\n  bucket: 7\n"
    )
    assert [p.message for p in check_manifests([tmp_path]).diagnostics] == [
        "state.bucket: expected a string, not a number (put the value in quotes to make it "
        "a string)"
    ]


@pytest.mark.parametrize(
    ("text", "backend", "protected"),
    [
        ("  bucket: b\n  key: k\n  region: r\n", LocalState, ".reconciler/state.json"),
        ("  backend: local\n  path: p.json\n  profile: x\n", LocalState, "p.json"),
        ("  backend: s3\n  bucket: b\n  key: k\n", S3State, ".reconciler/state.json"),
        ("  backend: s3\n  bucket: b\n  key: k\n  path: p.json\n", S3State, "p.json"),
    ],
    ids=["local-with-s3-fields", "local-with-a-profile", "s3", "s3-with-a-path"],
)
def test_a_document_valid_before_each_backend_had_its_model_means_what_it_meant(
    tmp_path: Path, text: str, backend: type[BaseModel], protected: str
) -> None:
    """One model held every backend's fields: another backend's are still accepted, and
    ignored; the file an output may not replace is the one it was."""
    state = _state(text, tmp_path)
    assert type(state) is backend
    assert state.protected_files() == (Path(protected),)


def test_the_environment_keeps_the_state_its_backend(tmp_path: Path) -> None:
    state = S3State(backend="s3", bucket="b", key="k")
    merged = with_environment(Settings(state=state), {"RECONCILER_PROVIDER": "local"})
    assert merged.provider.name == "local" and merged.state is state


@pytest.mark.parametrize(
    "fields",
    ["{}", "{env: K, ssm: /p}", "{ssm: /p, secretsManager: s}"],
    ids=["none", "env-and-ssm", "ssm-and-secret"],
)
def test_a_digest_key_names_exactly_one_source(tmp_path: Path, fields: str) -> None:
    from reconciler.manifest.loader import check_manifests

    (tmp_path / "settings.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Settings\nevidence:\n  digestKey: {fields}\n"
    )
    [problem] = check_manifests([tmp_path]).diagnostics
    assert str(problem).endswith(
        "settings.yaml:4:14: evidence.digestKey: evidence.digestKey needs exactly one of env, "
        "ssm, secretsManager"
    )


def test_a_digest_key_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Settings\nevidence: {digestKey: {env: DIGEST_KEY}}\n"
    )
    key = load_settings(tmp_path, {}).evidence.digest_key
    assert key is not None and (key.env, key.ssm, key.secrets_manager) == ("DIGEST_KEY", None, None)
    assert Settings().evidence.digest_key is None


@pytest.mark.parametrize(
    ("written", "seconds"), [("30m", 1800), ("1h30m", 5400), ("2H", 7200), (90, 90), ("45", 45)]
)
def test_lock_stale_after_is_a_duration_on_every_backend(written: object, seconds: float) -> None:
    assert (
        LocalState().lock_stale_after
        == S3State(backend="s3", bucket="b", key="k").lock_stale_after
        == 7200
    )
    for backend in ({}, {"backend": "s3", "bucket": "b", "key": "k"}):
        read = Settings.model_validate({"state": {**backend, "lockStaleAfter": written}})
        assert read.state.lock_stale_after == seconds
    with pytest.raises(ValidationError, match="greater than 0"):
        LocalState.model_validate({"lockStaleAfter": "0s"})
