"""`reconciler state list|show|rm|pull|push`: look at the state and repair it by hand
(`reconciler.usecases.state`): each subcommand calls its use case and shows what it returns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reconciler.commands.events import shown
from reconciler.escaping import printable
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.status import record_json
from reconciler.runtime import Runtime
from reconciler.usecases import state


@dataclass(frozen=True)
class StateOptions:
    manifests_dir: Path
    addresses: tuple[str, ...] = ()
    output_format: OutputFormat = OutputFormat.TEXT  # or JSON
    file: Path | None = None
    force: bool = False
    lock_timeout: float = 0

    def inputs(self) -> state.StateInputs:
        return state.StateInputs(
            self.manifests_dir, self.addresses, self.file, self.force, self.lock_timeout
        )


def state_list(options: StateOptions, runtime: Runtime) -> int:
    document = state.read_state(options.inputs(), runtime, shown(runtime))
    records = sorted(document.jobs.values(), key=lambda r: r.address)
    if options.output_format is OutputFormat.JSON:
        rows = [
            {
                "address": r.address,
                "job_name": r.job_name,
                "arn": r.arn,
                "status": r.status.value if r.status else None,
            }
            for r in records
        ]
        runtime.out.write(json.dumps(rows, indent=2) + "\n")
        return ExitCode.OK
    for record in records:
        status = record.status.value if record.status else "INTENDED"
        runtime.out.write(f"{printable(record.address)}\t{printable(record.job_name)}\t{status}\n")
    return ExitCode.OK


def state_show(options: StateOptions, runtime: Runtime) -> int:
    shown_records = state.records(options.inputs(), runtime, shown(runtime))
    runtime.out.write(json.dumps([record_json(r) for r in shown_records], indent=2) + "\n")
    return ExitCode.OK


def state_rm(options: StateOptions, runtime: Runtime) -> int:
    for removed in state.remove(options.inputs(), runtime, shown(runtime)):
        record = removed.record
        job = "nothing in Personalize changes" if record.arn else "no job was confirmed for it"
        again = (
            "; it is still declared, so the next plan imports its job again if the service "
            "has it, or else creates it"
            if removed.declared
            else ""
        )
        runtime.out.write(
            f"Removed {record.address} ({record.job_name}) from the state: {job}, and its "
            f"record is in the state's history{again}.\n"
        )
    return ExitCode.OK


def state_pull(options: StateOptions, runtime: Runtime) -> int:
    document = state.read_state(options.inputs(), runtime, shown(runtime))
    runtime.out.write(document.model_dump_json(indent=2) + "\n")
    return ExitCode.OK


def state_push(options: StateOptions, runtime: Runtime) -> int:
    pushed = state.push(options.inputs(), runtime, shown(runtime))
    runtime.out.write(
        f"Pushed {options.file} to {pushed.location} (lineage {pushed.stored.lineage}, serial "
        f"{pushed.stored.serial}).\n"
    )
    return ExitCode.OK
