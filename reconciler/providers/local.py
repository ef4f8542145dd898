"""The `local` provider: the emulator in-process, over its SQLite store, with no network."""

from __future__ import annotations

from typing import Any

from reconciler.emulator.errors import ServiceError
from reconciler.emulator.service import EmulatorService
from reconciler.providers.base import ExpiredToken, ServiceProvider
from reconciler.providers.errors import translate


class LocalProvider(ServiceProvider):
    name = "local"

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
