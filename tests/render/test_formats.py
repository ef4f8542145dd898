"""One registry of output formats: every command's `--format` choices are what its result's
renderings offer (plus `github` where the command writes annotations), and every action has a
look in every rendering that marks one."""

from __future__ import annotations

import click
import pytest

from reconciler.cli import cli
from reconciler.formats import OutputFormat
from reconciler.planning.model import Action
from reconciler.render.formats import PLAN, REPORT, STATUS, Renderings
from reconciler.render.styles import STYLES


def choices(*path: str) -> list[str]:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    [option] = [p for p in command.params if p.name == "output_format"]
    assert isinstance(option.type, click.Choice)
    return list(option.type.choices)


@pytest.mark.parametrize(
    ("path", "renderings", "github"),
    [
        (("plan",), PLAN, True),
        (("show",), PLAN, False),
        (("report",), REPORT, False),
        (("status",), STATUS, False),
    ],
)
def test_a_command_offers_the_formats_its_result_renders_in(
    path: tuple[str, ...], renderings: Renderings[object], github: bool
) -> None:
    offered = [f.value for f in renderings.formats] + (["github"] if github else [])
    assert choices(*path) == offered


def test_every_choice_of_every_command_is_an_output_format() -> None:
    def walk(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        if isinstance(command, click.Group):
            return [p for name, sub in command.commands.items() for p in walk(sub, (*path, name))]
        return [path] if any(p.name == "output_format" for p in command.params) else []

    rendering = walk(cli, ())
    assert len(rendering) >= 7  # validate, plan, show, status, report, check, state list
    for path in rendering:
        assert {OutputFormat(choice) for choice in choices(*path)}  # each one an OutputFormat


def test_every_action_has_a_style() -> None:
    assert set(STYLES) == set(Action)
    assert len({style.symbol for style in STYLES.values()}) == len(STYLES)
