"""The `local` provider: the emulator in-process, over its SQLite store, with no network.

The emulator's own settings (dataset groups, timings, where `s3://` is read from) come from the
file `provider.emulatorConfig` names; without one, the emulator's defaults apply. Its inputs'
keyed digests use `evidence.digestKey`, or a key file of its own beside the database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.emulator.config import EmulatorConfig, load_config
from reconciler.emulator.errors import AnswerLost, EmulatorError, ServiceError
from reconciler.emulator.resources import partition_of
from reconciler.emulator.service import EmulatorService
from reconciler.emulator.sts import caller_arn
from reconciler.errors import UsageError
from reconciler.models import Target
from reconciler.providers.base import ExpiredToken, ServiceProvider
from reconciler.providers.digestkey import configured_key, key_file
from reconciler.providers.errors import translate
from reconciler.providers.inputs import DigestKey, DirectoryInputs, InputReader
from reconciler.providers.interface import ProviderError, TransientError
from reconciler.settings import DigestKeySettings


def emulator_config(path: Path | None) -> EmulatorConfig:
    """The emulator's settings file at `path` (`provider.emulatorConfig`, or `emulator serve
    --config`), or the emulator's defaults without one."""
    if path is None:
        return EmulatorConfig()
    try:
        return load_config(path)
    except EmulatorError as exc:
        raise UsageError(str(exc)) from None


def start_emulator(config: EmulatorConfig, **world: Any) -> EmulatorService:
    """The emulated service (its database opened, its dataset groups seeded), or a UsageError
    that says which file is wrong."""
    try:
        return EmulatorService(config, **world)
    except EmulatorError as exc:
        raise UsageError(str(exc)) from None


class LocalProvider(ServiceProvider):
    name = "local"
    polling_defaults = (1.0, 5.0)  # emulated jobs take seconds
    parallel_reads = 1  # in-process: threads would only wait on each other

    def __init__(
        self, service: EmulatorService, digest_key: DigestKeySettings | None = None
    ) -> None:
        super().__init__()
        self.service = service
        self._digest_key = digest_key
        self._inputs: InputReader | None = None

    def input_reader(self) -> InputReader:
        """One reader per provider: the digest key is read once per run."""
        if self._inputs is None:
            self._inputs = DirectoryInputs(self.service.config.s3_root, self._key)
        return self._inputs

    def _key(self, region: str) -> DigestKey:
        """`evidence.digestKey` where it is set, else the emulator's own key file beside its
        database (made 0600 on first use): the emulator always shows a keyed digest."""
        if self._digest_key is not None:
            return configured_key(self._digest_key, region, os.environ)
        database = self.service.config.database
        return key_file(database.with_name(f"{database.name}.digest-key"))

    def target(self, regions: Sequence[str]) -> Target:
        return Target(
            provider=self.name,
            account=self.service.config.account_id,
            regions=tuple(regions),
            emulator=str(self.service.config.database),
        )

    def principal(self) -> str | None:
        """The emulator's own STS answer (its one user), as `emulator serve` gives it to boto3."""
        config = self.service.config
        return caller_arn(account=config.account_id, partition=partition_of(config.region))

    def _send(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.service.handle(operation, params, region=region)
        except ServiceError as exc:
            if exc.code == "InvalidNextTokenException":
                raise ExpiredToken(exc.message) from None
            raise translate(exc.code, exc.message, operation=operation, status=exc.status) from None
        except AnswerLost as exc:
            raise TransientError(f"{operation}: the answer was lost ({exc})") from None
        except EmulatorError as exc:
            raise ProviderError(str(exc)) from None
