"""`reconciler import ADDRESS JOB_ARN`: record an existing job under a declared address
(`usecases.importing`), and say where it was recorded. Nothing in the service changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.runtime import Runtime
from reconciler.usecases import importing


@dataclass(frozen=True)
class ImportOptions:
    manifests_dir: Path
    address: str
    job_arn: str
    lock_timeout: float = 0


def import_job(options: ImportOptions, runtime: Runtime) -> int:
    inputs = importing.ImportInputs(
        options.manifests_dir, options.address, options.job_arn, options.lock_timeout
    )
    done = importing.import_job(inputs, runtime, shown(runtime))
    runtime.out.write(
        printable(
            f"Imported {done.found.job_name} ({done.found.status.value}) as {options.address} "
            f"into {done.state_location} (serial {done.serial}); nothing was created."
        )
        + "\n"
    )
    return ExitCode.OK
