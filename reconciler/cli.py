"""The command line: parses options and dispatches to `reconciler.commands`; nothing else.

The one place that turns errors into exit codes: a `ReconcilerError` or a usage mistake prints
one message and exits 1; a command's own return value is the exit code otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.commands.apply import apply as apply_command
from reconciler.commands.check import check as check_command
from reconciler.commands.common import Runtime, load_settings
from reconciler.commands.emulator import serve as emulator_serve
from reconciler.commands.plan import plan as plan_command
from reconciler.commands.schema import schema as schema_command
from reconciler.commands.status import status as status_command
from reconciler.commands.validate import validate as validate_command
from reconciler.durations import parse_duration
from reconciler.errors import ManifestError, ReconcilerError

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


def format_option(*choices: str, help: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help=help,
        )(func)

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Declarative reconciler for Amazon Personalize data deletion jobs."""


@cli.command()
@manifests_option
@format_option("text", "json", help="json prints machine-readable diagnostics on stdout.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(manifests_dir: Path, output_format: str, paths: tuple[Path, ...]) -> int:
    """Check manifests (default: the manifests directory) and report every problem."""
    return validate_command(
        paths=paths or (manifests_dir,),
        output_format=output_format,
        out=sys.stdout,
        err=sys.stderr,
    )


@cli.command()
@manifests_option
@format_option(
    "text", "json", "markdown",
    help="json: Terraform's plan representation; markdown: for a pull-request comment.",
)  # fmt: skip
@click.option(
    "-out",
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    help="Save the plan to FILE (JSON, with the state serial and manifests digest).",
)
@click.option(
    "-detailed-exitcode",
    "--detailed-exitcode",
    "detailed_exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to do, 1 on error, 2 when there are changes.",
)
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR, or not a terminal).")
def plan(
    manifests_dir: Path,
    output_format: str,
    out_file: Path | None,
    detailed_exitcode: bool,
    no_color: bool,
) -> int:
    """Show what apply would do, after reading the state and the service."""
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    return plan_command(
        manifests_dir=manifests_dir,
        output_format=output_format,
        out_file=out_file,
        detailed_exitcode=detailed_exitcode,
        color=color,
        environ=os.environ,
        out=sys.stdout,
        err=sys.stderr,
    )


def _runtime(no_color: bool = False) -> Runtime:
    out_tty = sys.stdout.isatty()
    return Runtime(
        environ=os.environ,
        out=sys.stdout,
        err=sys.stderr,
        out_tty=out_tty,
        in_tty=sys.stdin.isatty(),
        color=out_tty and not no_color and "NO_COLOR" not in os.environ,
    )


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    return parse_duration(value) if value is not None else None


@cli.command()
@manifests_option
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
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
@click.option("--no-color", is_flag=True, help="No colours.")
def apply(
    manifests_dir: Path,
    plan_file: Path | None,
    auto_approve: bool,
    wait: bool,
    timeout: float | None,
    parallelism: int,
    no_color: bool,
) -> int:
    """Create the missing jobs (or apply PLAN_FILE saved by `plan -out`) and record them."""
    return apply_command(
        manifests_dir=manifests_dir,
        plan_file=plan_file,
        auto_approve=auto_approve,
        wait=wait,
        timeout=timeout,
        parallelism=parallelism,
        runtime=_runtime(no_color),
    )


@cli.command()
@manifests_option
@format_option("text", "json", "markdown", help="How to show the jobs.")
@click.option("--watch", is_flag=True, help="Poll until every job is COMPLETED or FAILED.")
@click.option(
    "--timeout",
    callback=_duration,
    metavar="DURATION",
    help="With --watch: stop after this long (90s, 10m, 2h).",
)
@click.option("--all", "show_forgotten", is_flag=True, help="Also list forgotten jobs.")
def status(
    manifests_dir: Path,
    output_format: str,
    watch: bool,
    timeout: float | None,
    show_forgotten: bool,
) -> int:
    """Show the recorded jobs as the service reports them now (and record what changed)."""
    return status_command(
        manifests_dir=manifests_dir,
        output_format=output_format,
        watch=watch,
        timeout=timeout,
        show_forgotten=show_forgotten,
        runtime=_runtime(),
    )


@cli.command()
@manifests_option
def check(manifests_dir: Path) -> int:
    """Read-only drift check for CI: 0 converged, 2 not applied, 3 drift, 4 running, 5 failed."""
    return check_command(manifests_dir=manifests_dir, runtime=_runtime())


@cli.command()
def schema() -> int:
    """Print the JSON Schema of manifest documents (for editors and CI)."""
    return schema_command(out=sys.stdout)


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
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
@click.option("-v", "--verbose", is_flag=True, help="Log each request line (never bodies).")
def serve(
    manifests_dir: Path,
    config_file: Path | None,
    host: str,
    port: int,
    verbose: bool,
    **overrides: Any,
) -> int:
    """Serve the emulator over HTTP (AWS JSON 1.1) for boto3 and the AWS CLI."""
    return emulator_serve(
        settings=load_settings(manifests_dir, os.environ),
        config_file=config_file,
        host=host,
        port=port,
        overrides=overrides,
        verbose=verbose,
        out=sys.stdout,
    )


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 1
    except click.ClickException as exc:
        exc.show()
        code = 1
    except ManifestError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        count = len(exc.diagnostics)
        click.echo(
            f"{count} problem{'s' if count != 1 else ''} in the manifests; nothing was changed.",
            err=True,
        )
        code = 1
    except ReconcilerError as exc:
        click.echo(f"Error: {exc}", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
