"""`reconciler emulator serve`: the local Personalize emulator over HTTP, until interrupted.

The emulator's settings come from `--config FILE`, or else from the file the manifests' settings
name (`provider.emulatorConfig`), or else its defaults; the flags override single values.
The emulator has no authentication: a `--host` other than loopback is warned of on stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.hosts import is_loopback
from reconciler.emulator.server import EmulatorServer
from reconciler.errors import UsageError
from reconciler.escaping import controls_shown
from reconciler.exitcodes import ExitCode
from reconciler.providers.local import emulator_config, start_emulator
from reconciler.runtime import Runtime
from reconciler.workspace import load_settings


@dataclass(frozen=True)
class ServeOptions:
    manifests_dir: Path
    config_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 4599
    verbose: bool = False
    overrides: Mapping[str, Any] = field(default_factory=dict)  # EmulatorConfig fields


def serve(options: ServeOptions, runtime: Runtime) -> int:
    path = options.config_file
    if path is None:  # the file the manifests' settings name, if any
        path = load_settings(options.manifests_dir, runtime.environ).provider.emulator_config
    base = emulator_config(path)
    given = {k: v for k, v in options.overrides.items() if v is not None}
    faults = {k: given.pop(k) for k in list(given) if k.endswith("_fraction")}
    try:
        config = EmulatorConfig.model_validate(
            {**base.model_dump(), **given, "faults": {**base.faults.model_dump(), **faults}}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        option = "--" + str(error["loc"][-1]).replace("_", "-")
        raise UsageError(f"{option}: {error['msg']}") from None
    service = start_emulator(config)
    try:
        server = EmulatorServer(service, options.host, options.port, verbose=options.verbose)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}"
        ) from None
    if not is_loopback(options.host):
        runtime.err.write(
            f"Warning: the emulator has no authentication, and {controls_shown(options.host)} lets "
            "other machines reach it: anyone who can connect may create and read its jobs and "
            "seeded records. Serve on 127.0.0.1 or ::1 unless that is what you want.\n"
        )
        runtime.err.flush()
    out = runtime.out
    out.write(
        f"Personalize emulator listening on {server.url}\n"
        f"  database: {config.database}\n"
        f"  s3:// read from: {config.s3_root}/\n"
        f"  account {config.account_id}; jobs PENDING {config.pending_seconds:g}s, "
        f"IN_PROGRESS {config.in_progress_seconds:g}s\n"
        "Try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws personalize "
        f"list-dataset-groups --region {config.region} --endpoint-url {server.url}\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out.write("Stopped.\n")
    finally:
        server.server_close()
    return ExitCode.OK
