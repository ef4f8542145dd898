"""Providers by name, as `provider.name` in the settings chooses them. Each is imported only
when chosen: the `aws` provider loads boto3, the `local` one the emulator."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.providers.interface import Provider
from reconciler.settings import Settings


def _local(settings: Settings) -> Provider:
    from reconciler.providers.local import LocalProvider, emulator_config, start_emulator

    return LocalProvider(start_emulator(emulator_config(settings.provider.emulator_config)))


def _aws(settings: Settings) -> Provider:
    from reconciler.providers.aws import AwsProvider

    return AwsProvider(settings.provider)


PROVIDERS: dict[str, Callable[[Settings], Provider]] = {"local": _local, "aws": _aws}


def make_provider(settings: Settings) -> Provider:
    return PROVIDERS[settings.provider.name](settings)
