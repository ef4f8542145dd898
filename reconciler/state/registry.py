"""State backends by name, as `state.backend` in the settings chooses them."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.settings import StateSettings
from reconciler.state.interface import StateBackend
from reconciler.state.local import LocalBackend


def _local(settings: StateSettings) -> StateBackend:
    return LocalBackend(settings.path)


def _s3(settings: StateSettings) -> StateBackend:
    from reconciler.state.s3 import S3Backend  # boto3, only when chosen

    return S3Backend(settings)


BACKENDS: dict[str, Callable[[StateSettings], StateBackend]] = {"local": _local, "s3": _s3}


def make_backend(settings: StateSettings) -> StateBackend:
    return BACKENDS[settings.backend](settings)
