"""The README and the docs say what the code does: the reference (docs/reference.md) is the code's
(the manifest and settings fields are the models', every option it lists exists on the command
line and every option of the command line is listed, the exit codes are `reconciler.exitcodes`'s;
the sections are generated: `python -m tests.readme` rewrites them); every `reconciler` command
the README and the docs show parses with the command line as it is; the README stays a front page
that links every docs page; and no link between these pages leads nowhere."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from reconciler.cli import cli
from tests.readme import README, REFERENCE, ROOT, SECTIONS, command_reference, expected, found

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
WRITTEN = [README, ROOT / "CONTRIBUTING.md", ROOT / "benchmarks" / "README.md", *PAGES]


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_the_generated_sections_are_current(name: str) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    assert found(text, name) == expected(name), "run: python -m tests.readme"


def test_every_option_of_the_command_line_is_in_the_reference_and_no_other() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
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


def test_the_readme_is_a_front_page_that_links_every_docs_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 350
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)(?:#[^)]*)?\)", text))
    assert {f"docs/{p.name}" for p in PAGES} <= linked
    assert {"docs/reference.md", "docs/iam.md", "docs/troubleshooting.md"} <= linked
    assert "](CONTRIBUTING.md)" in text and "](benchmarks/README.md)" in text
    tests = text.split("\n## Tests\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert tests.splitlines() == ["pip install -e '.[test]' && pytest"]  # CI's command


def test_the_emulator_commands_shown_are_the_ones_the_aws_cli_test_runs() -> None:
    from tests.emulator.test_aws_cli import README as RUN

    for path in (README, DOCS / "emulator.md"):
        assert RUN in path.read_text(encoding="utf-8"), path


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _split(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text outside code blocks, and each code block as (language, body)."""
    prose: list[str] = []
    blocks: list[tuple[str, str]] = []
    fence: list[str] | None = None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if fence is None:
                fence, language = [], line[3:].strip()
            else:
                blocks.append((language, "".join(fence)))
                fence = None
        elif fence is None:
            prose.append(line)
        else:
            fence.append(line)
    return "".join(prose), blocks


def _headings(path: Path) -> set[str]:
    prose, _ = _split(path.read_text(encoding="utf-8"))
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", prose, re.MULTILINE)}


def test_every_link_between_the_pages_leads_somewhere() -> None:
    broken = []
    for path in WRITTEN:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a URL: not ours to check
            file, _, anchor = target.partition("#")
            where = (path.parent / file).resolve() if file else path
            if not where.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
            elif anchor and (where.suffix != ".md" or anchor not in _headings(where)):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def _shown_commands() -> Iterator[tuple[str, str, bool]]:
    """(page, command, whole): each `reconciler` command line of a shell block (whole: it can be
    run as written, placeholders aside) and each one quoted in the text (perhaps a part)."""
    for path in [README, *PAGES]:
        prose, blocks = _split(path.read_text(encoding="utf-8"))
        for language, block in blocks:
            for line in block.splitlines() if language in ("sh", "") else []:
                line = line.removeprefix("$ ")
                if line.startswith("reconciler "):
                    yield path.name, line, True
        for span in re.findall(r"`(reconciler [^`]+)`", prose):
            yield path.name, span, False


def _words(line: str) -> list[str]:
    """The command's words: no comment or redirection; `[--a [--b X]]` and `a|b` shown as choices
    read as their first choice; `ADDRESS…` as one ADDRESS."""
    words: list[str] = []
    for word in shlex.split(line, comments=True)[1:]:
        if word in (">", ">>", "|", "2>"):
            break
        word = word.strip("[]").split("|", 1)[0].rstrip("…")
        if word in ("", "[OPTIONS]", "OPTIONS", "..."):
            continue
        words.append(word.removesuffix("..."))
    return words


def test_every_command_shown_exists_with_the_options_shown() -> None:
    wrong = []
    for page, line, whole in _shown_commands():
        words = _words(line)
        if not words or words[0] in ("COMMAND", "--version"):
            continue
        command: click.Command = cli
        path = "reconciler"
        while isinstance(command, click.Group) and words:
            name = words.pop(0)
            if name not in command.commands:
                wrong.append(f"{page}: {line}: no command {path} {name}")
                break
            command, path = command.commands[name], f"{path} {name}"
        else:
            options = {o for p in command.params for o in getattr(p, "opts", [])} | {"--help"}
            unknown = [w for w in words if w.startswith("-") and w.split("=")[0] not in options]
            if unknown:
                wrong.append(f"{page}: {line}: {path} has no option {unknown}")
            elif whole and "…" not in line:
                try:
                    command.make_context(path, words)
                except click.ClickException as error:
                    wrong.append(f"{page}: {line}: {error.format_message()}")
    assert wrong == []
