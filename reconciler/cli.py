"""The command line: parses options and dispatches to `reconciler.commands`; nothing else.

Each command is imported only when it runs, so `validate` and `schema` never load boto3 or the
emulator. `main` is the one place that turns errors into messages and exit codes: a mistake the
user can fix (`ReconcilerError`, a bad option) prints one message and exits 1, invalid manifests
print every diagnostic, Ctrl-C exits 130; otherwise a command's return value is the exit code.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.diagnostics import printable
from reconciler.durations import parse_duration
from reconciler.errors import Cancelled, ManifestError, ReconcilerError, Terminated
from reconciler.escaping import printable_lines
from reconciler.exitcodes import ExitCode
from reconciler.formats import OutputFormat
from reconciler.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def manifests_option(func: F) -> F:
    return click.option(
        "-m",
        "--manifests",
        "manifests_dir",
        type=click.Path(path_type=Path),
        default="manifests",
        show_default=True,
        envvar="RECONCILER_MANIFESTS",
        help="Directory of manifests (env RECONCILER_MANIFESTS).",
    )(func)


def format_option(*choices: OutputFormat, help: str) -> Callable[[F], F]:
    """`--format`, one of `choices` (the first is the default), given to the command as an
    `OutputFormat`."""

    def chosen(ctx: click.Context, param: click.Parameter, value: str) -> OutputFormat:
        return OutputFormat(value)

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice([choice.value for choice in choices]),
            default=choices[0].value,
            show_default=True,
            callback=chosen,
            help=help,
        )(func)

    return decorate


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    return parse_duration(value) if value is not None else None


def lock_timeout_option(func: F) -> F:
    return click.option(
        "-lock-timeout",
        "--lock-timeout",
        "lock_timeout",
        callback=_duration,
        default="0s",
        show_default=True,
        metavar="DURATION",
        help="While another run holds the state lock, wait this long for it (90s, 10m), saying "
        "every 10 s who holds it.",
    )(func)


def retry_option(func: F) -> F:
    func = click.option(
        "--reason",
        metavar="TEXT",
        help="With --retry of a COMPLETED job: why its deletion runs again (recorded with it).",
    )(func)
    return click.option(
        "--retry",
        "retry",
        multiple=True,
        metavar="ADDRESS",
        help="Retry the FAILED job ADDRESS once, as NAME-rN, whatever its onFailure; or, with "
        "--reason, run a COMPLETED one again (repeatable).",
    )(func)


def checks_options(func: F) -> F:
    func = click.option(
        "--ignore-activity",
        is_flag=True,
        help="Create even in dataset groups that import or train now (AWS advises against it).",
    )(func)
    return click.option(
        "--skip-preflight",
        is_flag=True,
        help="Do not read the jobs' inputs before creating them (for emergencies).",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="reconciler",
    message=f"%(prog)s %(version)s (Python {sys.version.split()[0]})",
)
def cli() -> None:
    """Declarative reconciler for Amazon Personalize data deletion jobs."""


@cli.command()
@manifests_option
@format_option(
    OutputFormat.TEXT,
    OutputFormat.JSON,
    OutputFormat.GITHUB,
    help="json prints machine-readable diagnostics on stdout; github: GitHub Actions "
    "annotations at each problem's line.",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def validate(
    runtime: Runtime, manifests_dir: Path, output_format: OutputFormat, paths: tuple[Path, ...]
) -> int:
    """Check manifests (default: the manifests directory) and report every problem."""
    from reconciler.commands.validate import ValidateOptions, validate

    options = ValidateOptions(paths=paths or (manifests_dir,), output_format=output_format)
    return validate(options, runtime)


@cli.command()
@manifests_option
@format_option(
    OutputFormat.TEXT,
    OutputFormat.JSON,
    OutputFormat.MARKDOWN,
    OutputFormat.GITHUB,
    help="json: Terraform's plan representation; markdown: for a pull-request comment; github: "
    "the text plan, GitHub Actions annotations, and the Markdown in $GITHUB_STEP_SUMMARY.",
)
@click.option(
    "-out",
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    help="Save the plan to FILE (JSON, bound to the state's decisions, the manifests and the "
    "target), for `apply FILE` and `show FILE`.",
)
@click.option(
    "-detailed-exitcode",
    "--detailed-exitcode",
    "detailed_exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to do, 1 on error, 2 when there are changes or jobs that "
    "need attention (FAILED, no longer listed).",
)
@retry_option
@checks_options
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR, or not a terminal).")
@click.pass_obj
def plan(runtime: Runtime, /, **options: Any) -> int:
    """Show what apply would do, after reading the state and the service."""
    from reconciler.commands.plan import PlanOptions, plan

    return plan(PlanOptions(**options), runtime)


@cli.command()
@manifests_option
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@format_option(
    OutputFormat.TEXT,
    OutputFormat.GITHUB,
    help="github: the text, and a GitHub Actions ::error annotation at its manifest line for "
    "each job that needs attention or ended FAILED, and each create that failed.",
)
@click.option(
    "-auto-approve",
    "--auto-approve",
    "auto_approve",
    is_flag=True,
    help="Apply without asking (needed when there is no terminal).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Follow the jobs until COMPLETED or FAILED, submitting queued ones.",
)
@click.option(
    "--timeout",
    callback=_duration,
    metavar="DURATION",
    help="With --wait: stop waiting after this long (90s, 10m, 2h).",
)
@click.option(
    "-parallelism",
    "--parallelism",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Creates in flight at once.",
)
@retry_option
@checks_options
@lock_timeout_option
@click.option(
    "--change-ref",
    "change_ref",
    metavar="TEXT",
    help="The change this apply carries out (a pull request's URL, a ticket), recorded with each "
    "job it creates (env RECONCILER_CHANGE_REF).",
)
@click.option(
    "--approved-by",
    "approved_by",
    multiple=True,
    metavar="NAME",
    help="Who approved the change, recorded with each job it creates (repeatable, one name "
    "each; env RECONCILER_APPROVED_BY, comma-separated).",
)
@click.option(
    "--reviewed",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PLANFILE",
    help="Apply this reviewed saved plan while it is current; else a fresh plan, saying how it "
    "differs (settings apply.requireReviewedPlan: refuse instead), never one whose input was "
    "replaced since the review.",
)
@click.option(
    "--queued-only",
    is_flag=True,
    help="Create only what earlier applies queued or held (recorded in the state, on the same "
    "input), and retries; leave every other change to another apply (the scheduled run).",
)
@click.option(
    "--fresh-note",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="With --reviewed: when a fresh plan is applied, write why and how it differs there, as "
    "Markdown (for the pull request).",
)
@click.option("--no-color", is_flag=True, help="No colours.")
@click.pass_obj
def apply(runtime: Runtime, /, **options: Any) -> int:
    """Create the missing jobs (or apply PLAN_FILE saved by `plan -out`) and record them."""
    from reconciler.commands.apply import ApplyOptions, apply

    return apply(ApplyOptions(**options), runtime)


@cli.command()
@click.argument("plan_file", type=click.Path(path_type=Path))
@format_option(
    OutputFormat.TEXT,
    OutputFormat.JSON,
    OutputFormat.MARKDOWN,
    help="json: Terraform's plan representation; markdown: for a pull-request comment.",
)
@click.option("--no-color", is_flag=True, help="No colours.")
@click.pass_obj
def show(runtime: Runtime, /, **options: Any) -> int:
    """Show the plan PLAN_FILE saved by `plan -out` (nothing is read or changed)."""
    from reconciler.commands.show import ShowOptions, show

    return show(ShowOptions(**options), runtime)


@cli.command()
@manifests_option
@format_option(
    OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.MARKDOWN, help="How to show the jobs."
)
@click.option("--watch", is_flag=True, help="Poll until every job is COMPLETED or FAILED.")
@click.option(
    "--timeout",
    callback=_duration,
    metavar="DURATION",
    help="With --watch: stop after this long (90s, 10m, 2h).",
)
@click.option("--all", "show_forgotten", is_flag=True, help="Also list forgotten jobs.")
@lock_timeout_option
@click.pass_obj
def status(runtime: Runtime, /, **options: Any) -> int:
    """Show the recorded jobs as the service reports them now (and record what changed)."""
    from reconciler.commands.status import StatusOptions, status

    return status(StatusOptions(**options), runtime)


def _since(ctx: click.Context, param: click.Parameter, value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@cli.command()
@manifests_option
@format_option(
    OutputFormat.MARKDOWN,
    OutputFormat.JSON,
    OutputFormat.CSV,
    help="markdown: for a ticket; json: the documented schema (reportVersion 2); csv: a row per "
    "attempt.",
)
@click.option(
    "--request", metavar="ID", help="Only the jobs of this request (tags.request, or jobName)."
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]),
    callback=_since,
    metavar="DATE",
    help="Only jobs created on or after DATE (YYYY-MM-DD, UTC), or not created yet.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write the report to FILE (replaced whole) instead of stdout.",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Ask the service for each job's status now (the state is not written).",
)
@click.option(
    "--metrics",
    is_flag=True,
    help="Per regime, the declared requests (kind: Request) received, completed, on time, late "
    "and open, with the median and mean days to complete (CCPA Regs §7102); --since DATE counts "
    "the requests received on or after DATE.",
)
@click.pass_obj
def report(runtime: Runtime, /, **options: Any) -> int:
    """The evidence of each erasure request: what was deleted where and when, how many records,
    from which input (its S3 identity), approved by whom and run by which principal and run (as
    recorded at each create), and which models need retraining."""
    from reconciler.commands.report import ReportOptions, report

    return report(ReportOptions(**options), runtime)


@cli.command()
@manifests_option
@format_option(
    OutputFormat.TEXT,
    OutputFormat.GITHUB,
    help="github: also GitHub Actions annotations at each job's line, and the verdict in "
    "$GITHUB_STEP_SUMMARY.",
)
@click.pass_obj
def check(runtime: Runtime, /, **options: Any) -> int:
    """Read-only drift check for CI: exit 0 converged, 1 error, 2 changes not applied, 3 drift,
    4 jobs still running, 5 failed jobs."""
    from reconciler.commands.check import CheckOptions, check

    return check(CheckOptions(**options), runtime)


@cli.command(name="import")
@manifests_option
@click.argument("address")
@click.argument("job_arn")
@lock_timeout_option
@click.pass_obj
def import_(runtime: Runtime, /, **options: Any) -> int:
    """Record the existing job JOB_ARN as the declared ADDRESS (nothing is created)."""
    from reconciler.commands.import_job import ImportOptions, import_job

    return import_job(ImportOptions(**options), runtime)


@cli.command(name="force-unlock")
@manifests_option
@click.argument("lock_id")
@click.option("--force", is_flag=True, help="Do not ask (needed when there is no terminal).")
@click.pass_obj
def force_unlock(runtime: Runtime, /, **options: Any) -> int:
    """Remove the state lock LOCK_ID that a killed run left behind."""
    from reconciler.commands.force_unlock import ForceUnlockOptions, force_unlock

    return force_unlock(ForceUnlockOptions(**options), runtime)


@cli.group()
def state() -> None:
    """Look at the state, and repair it by hand."""


@state.command(name="list")
@manifests_option
@format_option(
    OutputFormat.TEXT,
    OutputFormat.JSON,
    help="json: address, job name, ARN and status of each job.",
)
@click.pass_obj
def state_list(runtime: Runtime, /, **options: Any) -> int:
    """List the jobs the state records."""
    from reconciler.commands.state import StateOptions, state_list

    return state_list(StateOptions(**options), runtime)


@state.command(name="show")
@manifests_option
@click.argument("addresses", nargs=-1, required=True)
@click.pass_obj
def state_show(runtime: Runtime, /, **options: Any) -> int:
    """Show the records of ADDRESSES as JSON."""
    from reconciler.commands.state import StateOptions, state_show

    return state_show(StateOptions(**options), runtime)


@state.command(name="rm")
@manifests_option
@click.argument("addresses", nargs=-1, required=True)
@lock_timeout_option
@click.pass_obj
def state_rm(runtime: Runtime, /, **options: Any) -> int:
    """Stop tracking ADDRESSES (their jobs stay in Personalize; the records go to the history)."""
    from reconciler.commands.state import StateOptions, state_rm

    return state_rm(StateOptions(**options), runtime)


@state.command(name="pull")
@manifests_option
@click.pass_obj
def state_pull(runtime: Runtime, /, **options: Any) -> int:
    """Print the state document (JSON)."""
    from reconciler.commands.state import StateOptions, state_pull

    return state_pull(StateOptions(**options), runtime)


@state.command(name="push")
@manifests_option
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Push another lineage or a lower serial all the same.")
@lock_timeout_option
@click.pass_obj
def state_push(runtime: Runtime, /, **options: Any) -> int:
    """Store the state document in FILE (e.g. from `state pull`) as the state."""
    from reconciler.commands.state import StateOptions, state_push

    return state_push(StateOptions(**options), runtime)


@cli.command()
@click.pass_obj
def schema(runtime: Runtime) -> int:
    """Print the JSON Schema of manifest documents (for editors and CI)."""
    from reconciler.commands.schema import SchemaOptions, schema

    return schema(SchemaOptions(), runtime)


@cli.group()
def emulator() -> None:
    """The local Personalize emulator."""


@emulator.command()
@manifests_option
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="The emulator's settings file (default: provider.emulatorConfig of the manifests).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (::1 for IPv6 loopback); any but loopback is warned of: the emulator "
    "has no authentication.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=4599,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option("--database", type=click.Path(path_type=Path), help="SQLite file of the jobs.")
@click.option(
    "--s3-root",
    type=click.Path(path_type=Path),
    help="Directory that s3://BUCKET/KEY is read from (as S3_ROOT/BUCKET/KEY).",
)
@click.option("--account-id", help="The 12-digit account of the emulated service.")
@click.option("--region", help="Region for requests whose signature names none.")
@click.option("--pending-seconds", type=float, help="Seconds a job stays PENDING.")
@click.option("--in-progress-seconds", type=float, help="Seconds a job stays IN_PROGRESS.")
@click.option("--throttle-fraction", type=float, help="Fraction of calls answered with throttling.")
@click.option("--error-fraction", type=float, help="Fraction of calls answered with HTTP 500.")
@click.option(
    "--drop-fraction", type=float, help="Fraction of calls carried out whose answer is lost."
)
@click.option("-v", "--verbose", is_flag=True, help="Log each request line (never bodies).")
@click.pass_obj
def serve(
    runtime: Runtime,
    /,
    manifests_dir: Path,
    config_file: Path | None,
    host: str,
    port: int,
    verbose: bool,
    **overrides: Any,
) -> int:
    """Serve the emulator over HTTP (AWS JSON 1.1) for boto3 and the AWS CLI."""
    from reconciler.commands.emulator import ServeOptions, serve

    options = ServeOptions(
        manifests_dir=manifests_dir,
        config_file=config_file,
        host=host,
        port=port,
        verbose=verbose,
        overrides=overrides,
    )
    return serve(options, runtime)


def process_runtime() -> Runtime:
    """The world of a real process: its streams, terminal and environment."""
    return Runtime(
        environ=os.environ,
        out=sys.stdout,
        err=sys.stderr,
        out_tty=sys.stdout.isatty(),
        in_tty=sys.stdin.isatty(),
    )


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run the command line and return its exit code."""
    runtime = runtime or process_runtime()
    err = runtime.err
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False, obj=runtime)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click's wrapping of Ctrl-C
            err.write("Interrupted.\n")
            return ExitCode.INTERRUPTED
        err.write("Aborted.\n")
        return ExitCode.ERROR
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        err.write(printable_lines(shown.getvalue()))
        return ExitCode.ERROR
    except ManifestError as exc:
        from reconciler.render.diagnostics import diagnostics_text

        err.write(diagnostics_text(exc.diagnostics))
        return ExitCode.ERROR
    except Terminated:
        err.write("Terminated.\n")
        return ExitCode.TERMINATED
    except OSError as exc:  # the machine, not the input: a full disk, a file that vanished
        where = f": {printable(str(exc.filename))}" if exc.filename else ""
        err.write(f"Error: {exc.strerror or exc}{where}\n")
        return ExitCode.ERROR
    except Cancelled as exc:
        err.write(printable_lines(f"{exc}\n"))
        return ExitCode.ERROR
    except ReconcilerError as exc:  # its lines are the tool's; a value in one, one line
        err.write(printable_lines(f"Error: {exc}\n"))
        return ExitCode.ERROR
    return int(code) if isinstance(code, int) else ExitCode.OK
