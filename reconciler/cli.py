"""The command line: parses options and dispatches to `reconciler.commands`; nothing else.

The one place that turns errors into exit codes: a `ReconcilerError` or a usage mistake prints
one message and exits 1; a command's own return value is the exit code otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.commands.schema import schema as schema_command
from reconciler.commands.validate import validate as validate_command
from reconciler.errors import ReconcilerError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
def cli() -> None:
    """Declarative reconciler for Amazon Personalize data deletion jobs."""


@cli.command()
@manifests_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints machine-readable diagnostics on stdout.",
)
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
def schema() -> int:
    """Print the JSON Schema of manifest documents (for editors and CI)."""
    return schema_command(out=sys.stdout)


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 1
    except click.ClickException as exc:
        exc.show()
        code = 1
    except ReconcilerError as exc:
        click.echo(f"Error: {exc}", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
