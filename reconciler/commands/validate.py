"""`reconciler validate`: check manifests, and the files their settings name (the emulator's
settings file and what it names), and report every problem as file:line:col."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.render.diagnostics import diagnostics_text, validation_json, validation_text
from reconciler.render.github import diagnostics_github
from reconciler.runtime import Runtime
from reconciler.usecases import validate as usecase


@dataclass(frozen=True)
class ValidateOptions:
    paths: tuple[Path, ...]
    output_format: OutputFormat = OutputFormat.TEXT  # or JSON, GITHUB (annotations)


def validate(options: ValidateOptions, runtime: Runtime) -> int:
    checked = usecase.validate(options.paths, runtime.environ)
    diagnostics, counts = list(checked.diagnostics), dict(checked.counts)
    if options.output_format is OutputFormat.JSON:
        runtime.out.write(validation_json(diagnostics, counts))
    elif options.output_format is OutputFormat.GITHUB:
        runtime.out.write(diagnostics_github(diagnostics))
        if diagnostics:
            runtime.err.write(diagnostics_text(diagnostics))
        else:
            runtime.out.write(validation_text(counts))
    elif diagnostics:
        runtime.err.write(diagnostics_text(diagnostics))
    else:
        runtime.out.write(validation_text(counts))
    return ExitCode.ERROR if diagnostics else ExitCode.OK
