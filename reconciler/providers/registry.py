"""Providers by name, as `provider.name` in the settings chooses them. Each is imported only
when chosen: the `aws` provider loads boto3, the `local` one the emulator."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.diagnostics import Diagnostic, Location
from reconciler.providers.interface import Provider
from reconciler.settings import Settings


def _local(settings: Settings) -> Provider:
    from reconciler.providers.local import LocalProvider, emulator_config, start_emulator

    return LocalProvider(
        start_emulator(emulator_config(settings.provider.emulator_config)),
        digest_key=settings.evidence.digest_key,
    )


def _aws(settings: Settings) -> Provider:
    from reconciler.providers.aws import AwsProvider

    return AwsProvider(
        settings.provider,
        inputs_endpoint_url=settings.preflight.s3_endpoint_url,
        digest_key=settings.evidence.digest_key,
    )


PROVIDERS: dict[str, Callable[[Settings], Provider]] = {"local": _local, "aws": _aws}


def make_provider(settings: Settings) -> Provider:
    return PROVIDERS[settings.provider.name](settings)


def check_settings(settings: Settings) -> list[Diagnostic]:
    """What is wrong with the files the provider's settings name, at their `file:line:col`:
    what `validate` can know before the provider starts. For `local`, the emulator's settings
    file and the files it names (seed users, s3Root, database) are checked without starting the
    emulator (nor loading botocore or SQLite)."""
    path = settings.provider.emulator_config
    if settings.provider.name != "local" or path is None or not path.is_file():
        return []  # a missing emulatorConfig is the manifest loader's to report
    from reconciler.emulator.config import check_config_file

    found = []
    for problem in check_config_file(path):
        try:
            where = Location.parse(problem.location)
        except ValueError:
            where = Location(problem.location)
        found.append(Diagnostic(where, problem.message))
    return found
