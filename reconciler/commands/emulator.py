"""`reconciler emulator serve`: the local Personalize emulator over HTTP, until interrupted."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmulatorServer
from reconciler.emulator.service import EmulatorService
from reconciler.errors import UsageError
from reconciler.providers.local import emulator_config
from reconciler.settings import Settings


def serve(
    *,
    settings: Settings,
    config_file: Path | None,
    host: str,
    port: int,
    overrides: dict[str, Any],
    verbose: bool,
    out: TextIO,
) -> int:
    given = {k: v for k, v in overrides.items() if v is not None}
    faults = {k: given.pop(k) for k in list(given) if k.endswith("_fraction")}
    if config_file is not None:
        provider = settings.provider.model_copy(update={"emulator_config": config_file})
        settings = settings.model_copy(update={"provider": provider})
    base = emulator_config(settings.provider)
    try:
        config = EmulatorConfig.model_validate(
            {**base.model_dump(), **given, "faults": {**base.faults.model_dump(), **faults}}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        option = "--" + str(error["loc"][-1]).replace("_", "-")
        raise UsageError(f"{option}: {error['msg']}") from None
    service = EmulatorService(config)
    try:
        server = EmulatorServer(service, host, port, verbose=verbose)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    out.write(
        f"Personalize emulator listening on {server.url}\n"
        f"  database: {config.database}\n"
        f"  s3:// read from: {config.s3_root}/\n"
        f"  account {config.account_id}; jobs PENDING {config.pending_seconds:g}s, "
        f"IN_PROGRESS {config.in_progress_seconds:g}s\n"
        f"Try: aws personalize list-dataset-groups --endpoint-url {server.url}\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out.write("Stopped.\n")
    finally:
        server.server_close()
    return 0
