"""The reference's sections (docs/reference.md), generated: every manifest and settings field
from the JSON Schema the models make (`reconciler schema`), every command and option from the
click command line, and the exit codes from `reconciler.exitcodes`. `tests/test_readme.py` keeps
docs/reference.md equal to them; after a change, rewrite them with:

    python -m tests.readme
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from reconciler.cli import cli
from reconciler.exitcodes import by_command_table
from reconciler.manifest.documents import json_schema

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "reference.md"
BLOCK = "<!-- BEGIN {name} (generated: python -m tests.readme) -->\n{body}<!-- END {name} -->"
KINDS = {"DeletionJobs": "DeletionJobsDocument", "Settings": "SettingsDocument"}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return _resolve(schema, schema["$defs"][ref.rsplit("/", 1)[1]])
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        return {**_resolve(schema, options[0]), **{k: v for k, v in node.items() if k != "anyOf"}}
    return node


def _fields(
    schema: dict[str, Any], node: dict[str, Any], prefix: str
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, required, the field as declared, the field resolved) of every field below."""
    required: dict[str, str] = {name: "yes" for name in node.get("required", [])}
    either = [o["required"][0] for o in node.get("oneOf", []) if len(o.get("required", [])) == 1]
    for name in either:
        required[name] = "one of " + " or ".join(f"`{n}`" for n in either)
    for name, declared in node.get("properties", {}).items():
        if name in ("apiVersion", "kind") or declared.get("deprecated"):
            continue  # a deprecated field is accepted, never one to write
        field = _resolve(schema, declared)
        path = f"{prefix}{name}"
        item = _resolve(schema, field.get("items", {})) if field.get("type") == "array" else {}
        needed = required.get(name, "no")
        members = _mappings(schema, field)
        if members:
            yield path, needed, declared, {**field, "type": "object"}
            for member in members:
                yield from _member(schema, member, f"{path}.")
        elif field.get("type") == "object" and "properties" in field:
            yield path, needed, declared, field
            yield from _fields(schema, field, f"{path}.")
        elif item.get("type") == "object" and "properties" in item:
            yield path, needed, declared, {**field, "items": item}
            yield from _fields(schema, item, f"{path}[].")
        else:
            yield path, needed, declared, field


def _mappings(schema: dict[str, Any], field: dict[str, Any]) -> list[dict[str, Any]]:
    """The mappings a field may be one of (a union of models: the state's backends); else []."""
    members = [_resolve(schema, member) for member in field.get("oneOf", [])]
    return members if all("properties" in member for member in members) else []


def _member(
    schema: dict[str, Any], member: dict[str, Any], prefix: str
) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """One mapping of a union (a state backend): a row naming the value that chooses it (the
    field that is a constant), then its other fields."""
    chooser, choice = next((n, f) for n, f in member["properties"].items() if "const" in f)
    needed = "yes" if chooser in member.get("required", []) else "no"
    yield f"{prefix}{chooser}: {choice['const']}", needed, member, choice
    others = {n: f for n, f in member["properties"].items() if n != chooser}
    yield from _fields(schema, {**member, "properties": others}, prefix)


def _rules(field: dict[str, Any], declared: dict[str, Any]) -> str:
    rules: list[str] = []
    kind = field.get("type", "")
    if "const" in field:
        rules.append(f"`{field['const']}`")
    elif "enum" in field:
        rules.append(" or ".join(f"`{v}`" for v in field["enum"]))
    elif kind == "array":
        item = field.get("items", {})
        rules.append(f"a list of {'mappings' if item.get('type') == 'object' else 'strings'}")
        if "minItems" in field:
            rules.append(f"at least {field['minItems']}")
    elif kind == "object":
        rules.append("a mapping")
        if "maxProperties" in field:
            rules.append(f"at most {field['maxProperties']} entries")
    elif kind:
        rules.append({"integer": "a whole number", "number": "a number"}.get(kind, kind))
    if "minLength" in field or "maxLength" in field:
        rules.append(f"{field.get('minLength', 0)} to {field.get('maxLength', '…')} chars")
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤")):
        if key in field:
            rules.append(f"{word} {field[key]}")
    if "pattern" in field:
        rules.append("a pattern (see the schema)")
    default = declared.get("default", field.get("default"))
    if default not in (None, {}, []) and not isinstance(default, dict):
        rules.append(f"default `{default}`")
    return ", ".join(rules)


def manifest_reference() -> str:
    """A table per document kind: every field, whether it is required, its rules and default."""
    schema = json_schema()
    lines: list[str] = []
    for kind, name in KINDS.items():
        lines += [f"`kind: {kind}`", "", "| field | required | rules | what it is |"]
        lines.append("|---|---|---|---|")
        for path, required, declared, field in _fields(schema, schema["$defs"][name], ""):
            description = declared.get("description") or field.get("description") or ""
            text = " ".join(description.split()).replace("|", "\\|")
            lines.append(f"| `{path}` | {required} | {_rules(field, declared)} | {text} |")
        lines.append("")
    return "\n".join(lines)


def _commands(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}", command


def command_reference() -> str:
    """Every command: its usage, what it does, and a table of its options."""
    lines: list[str] = []
    for path, command in _commands(cli, "reconciler"):
        context = click.Context(command, info_name=path)
        usage = " ".join(command.collect_usage_pieces(context))
        summary = " ".join((command.help or "").split())
        lines += [f"### `{path}`", "", f"`{path} {usage}`", "", summary, ""]
        options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        if options:
            lines += ["| option | what it does |", "|---|---|"]
            for option in options:
                names = ", ".join(f"`{n}`" for n in sorted(option.opts, key=len, reverse=True))
                text = " ".join((option.help or "").split()).replace("|", "\\|")
                if option.show_default and option.default not in (None, False):
                    text += f" (default: `{option.default}`)"
                if isinstance(option.type, click.Choice):
                    text += " One of: " + ", ".join(f"`{c}`" for c in option.type.choices) + "."
                lines.append(f"| {names} | {text} |")
            lines.append("")
    return "\n".join(lines)


def exit_codes() -> str:
    """The exit codes of every command, as `reconciler.exitcodes` has them."""
    return by_command_table().rstrip("\n")


SECTIONS = {
    "manifest-reference": manifest_reference,
    "command-reference": command_reference,
    "exit-codes": exit_codes,
}


def expected(name: str) -> str:
    return BLOCK.format(name=name, body=SECTIONS[name]() + "\n")


def found(text: str, name: str) -> str | None:
    match = re.search(
        rf"<!-- BEGIN {re.escape(name)} .*?-->\n.*?<!-- END {re.escape(name)} -->", text, re.S
    )
    return match.group(0) if match else None


def main() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    for name in SECTIONS:
        current = found(text, name)
        if current is None:
            raise SystemExit(f"{REFERENCE} has no block {name}: add the BEGIN and END lines")
        text = text.replace(current, expected(name))
    REFERENCE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
