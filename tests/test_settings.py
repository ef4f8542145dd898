from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.config import load_config
from reconciler.errors import UsageError
from reconciler.providers.aws import AwsProvider
from reconciler.providers.local import LocalProvider
from reconciler.providers.registry import PROVIDERS, make_provider
from reconciler.settings import ProviderSettings, Settings, with_environment
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
