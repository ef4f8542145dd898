"""The README's reference is the code's: the manifest and settings fields are the models', and
every option it lists exists on the command line, and every option of the command line is
listed (the sections are generated: `python -m tests.readme` rewrites them)."""

from __future__ import annotations

import re

import pytest

from tests.readme import README, SECTIONS, command_reference, expected, found


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_the_generated_sections_are_current(name: str) -> None:
    text = README.read_text(encoding="utf-8")
    assert found(text, name) == expected(name), "run: python -m tests.readme"


def test_every_option_of_the_command_line_is_in_the_readme_and_no_other() -> None:
    text = README.read_text(encoding="utf-8")
    section = found(text, "command-reference") or ""
    listed = set(re.findall(r"^\| (`[^|]+`) \|", section, re.MULTILINE))
    options = set(re.findall(r"^\| (`[^|]+`) \|", command_reference(), re.MULTILINE))
    assert listed == options and "`--skip-preflight`" in listed and "`--request`" in listed


def test_the_quick_start_is_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install .",
        "reconciler apply --auto-approve --wait",
    ]
