"""The `local` provider: the emulator in-process, over its SQLite store, with no network.

The emulator's own settings (dataset groups, timings, where `s3://` is read from) come from the
file `provider.emulatorConfig` names; without one, the emulator's defaults apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.emulator.config import ConfigError, EmulatorConfig, load_config
from reconciler.emulator.errors import ServiceError
from reconciler.emulator.service import EmulatorService
from reconciler.errors import UsageError
from reconciler.providers.base import ExpiredToken, ServiceProvider
from reconciler.providers.errors import translate


def emulator_config(path: Path | None) -> EmulatorConfig:
    """The emulator's settings file at `path` (`provider.emulatorConfig`, or `emulator serve
    --config`), or the emulator's defaults without one."""
    if path is None:
        return EmulatorConfig()
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


class LocalProvider(ServiceProvider):
    name = "local"
    polling_defaults = (1.0, 5.0)  # emulated jobs take seconds

    def __init__(self, service: EmulatorService) -> None:
        super().__init__()
        self.service = service

    def _send(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.service.handle(operation, params, region=region)
        except ServiceError as exc:
            if exc.code == "InvalidNextTokenException":
                raise ExpiredToken(exc.message) from None
            raise translate(exc.code, exc.message, operation=operation, status=exc.status) from None
