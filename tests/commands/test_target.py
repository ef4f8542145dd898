"""Every output names where it acts: the local emulator, another endpoint, or an AWS account whose
credentials were checked with STS before anything was read or created. The `aws` provider runs
for real here (boto3 over HTTP), against the emulator's HTTP server, which also answers STS."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator.service import EmulatorService
from reconciler.providers.local import emulator_config
from reconciler.providers.registry import make_provider
from reconciler.render.escape import markdown
from tests.commands.conftest import Project
from tests.providers.conftest import aws_provider, serve

AWS_SETTINGS = "apiVersion: reconciler/v1\nkind: Settings\nprovider: {name: aws%s}\n"


@pytest.fixture
def emulator_url(
    project: Project, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """The example's emulator over HTTP, for the account the test names (default: the
    manifests' own), with credentials that only it accepts."""
    account = getattr(request, "param", "123456789012")
    config = emulator_config(Path("example-data/emulator.yaml"))
    service = EmulatorService(
        config.model_copy(update={"account_id": account}),
        clock=project.clock,
        sleep=project.clock.sleep,
    )
    server = serve(service)
    url = next(server)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(project.root / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(project.root / "no-aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    project.provider = make_provider  # type: ignore[method-assign]
    yield url
    next(server, None)


def test_the_local_emulator_says_nothing_goes_to_aws(project: Project) -> None:
    for command in (["plan"], ["apply", "--auto-approve"], ["status"], ["check"]):
        assert project.run(*command) in (0, 4), command
        first = project.out.getvalue().splitlines()[0]
        assert first == (
            "Target: local emulator (.reconciler/emulator.sqlite3), eu-west-1 + us-east-1 — "
            "nothing is sent to AWS"
        ), command
    assert project.run("plan", "--format", "markdown") == 0
    assert "**Target: local emulator (.reconciler/emulator.sqlite3)" in project.out.getvalue()


def test_an_endpoint_url_is_named_and_not_taken_for_aws(
    project: Project, emulator_url: str
) -> None:
    project.write_manifest("settings.yaml", AWS_SETTINGS % f", endpointUrl: {emulator_url}")
    assert project.run("plan", "--detailed-exitcode", "--skip-preflight") == 2
    assert project.out.getvalue().splitlines()[0] == (  # the endpoint answered STS itself
        f"Target: the endpoint {emulator_url} (provider.endpointUrl), account 123456789012, "
        "eu-west-1 + us-east-1 — not AWS itself"
    )


def test_personalize_elsewhere_is_named_and_sts_asked_there(
    project: Project, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ENDPOINT_URL_PERSONALIZE alone: STS is asked where Personalize is, not of AWS."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", emulator_url)
    project.write_manifest("settings.yaml", AWS_SETTINGS % "")
    assert project.run("plan", "--detailed-exitcode", "--skip-preflight") == 2, (
        project.err.getvalue()
    )
    assert project.out.getvalue().splitlines()[0] == (
        f"Target: the endpoint {emulator_url} (set by the AWS environment or config), account "
        "123456789012, eu-west-1 + us-east-1 — not AWS itself"
    )


def test_a_password_in_the_endpoint_is_never_printed(
    project: Project, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = emulator_url.replace("http://", "http://bob:hunter2@")
    monkeypatch.setenv("AWS_ENDPOINT_URL", secret)
    project.write_manifest("settings.yaml", AWS_SETTINGS % "")
    for output in ("text", "json", "markdown"):
        assert project.run("plan", "--format", output, "--skip-preflight") == 0, (
            project.err.getvalue()
        )
        assert "hunter2" not in project.out.getvalue() + project.err.getvalue()
    shown = markdown(emulator_url.replace("http://", "http://***@"))  # as Markdown writes it
    assert shown in project.out.getvalue()


def test_an_endpoint_that_does_not_answer_sts_leaves_the_account_unchecked() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    try:
        target = aws_provider(url).target(["eu-west-1"])
    finally:
        closed.close()
    assert (target.account, target.account_checked) == (None, False)
    assert target.endpoint == f"{url} (provider.endpointUrl)"
    assert target.describe() == (
        f"the endpoint {url} (provider.endpointUrl), the credentials' account, eu-west-1 — not "
        "AWS itself"
    )


def test_the_credentials_account_is_checked_with_sts(
    project: Project, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)  # boto3 sends Personalize and STS there
    project.write_manifest("settings.yaml", AWS_SETTINGS % "")
    assert project.run("plan", "--detailed-exitcode", "--skip-preflight") == 2, (
        project.err.getvalue()
    )
    assert project.out.getvalue().splitlines()[0] == (
        f"Target: the endpoint {emulator_url} (set by the AWS environment or config), account "
        "123456789012, eu-west-1 + us-east-1 — not AWS itself"
    )


@pytest.mark.parametrize("emulator_url", ["999999999999"], indirect=True)
def test_credentials_of_another_account_create_nothing(
    project: Project, emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator_url)
    project.write_manifest("settings.yaml", AWS_SETTINGS % "")
    for command in (["plan"], ["apply", "--auto-approve"]):
        assert project.run(*command) == 1
        said = project.err.getvalue()
        assert said.startswith(
            f"Error: the endpoint {emulator_url} (set by the AWS environment or config) says the "
            "credentials are for AWS account 999999999999, but the manifests or the state name "
            "dataset groups of account 123456789012: shop-eu (123456789012), shop-us "
            "(123456789012). Nothing was read or changed: point at the endpoint of 123456789012, "
            "or use credentials of 123456789012"
        ), said
    assert not (project.root / ".reconciler" / "state.json").exists()
