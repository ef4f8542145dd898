"""Checking a request against botocore's Personalize model, as the service does.

botocore checks types and required members on the client side but not lengths or patterns, and
the AWS CLI or a raw HTTP client check nothing at all; the service answers every violation with
`InvalidInputException` and a message in AWS's own format:

    1 validation error detected: Value 'x y' at 'jobName' failed to satisfy constraint: Member
    must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*

Patterns are the model's own, matched against the whole value (so a job name with a space is
refused, though the model's pattern is unanchored: names become part of ARNs), with the Rust
regex engine pydantic uses, which understands the model's `\\p{L}`-style classes. Every type the
served operations' inputs use is checked (`CHECKED_TYPES`); any other is refused.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic_core import SchemaValidator, ValidationError, core_schema

from reconciler.emulator.errors import invalid_input
from reconciler.emulator.model import service_description, shape

CHECKED_TYPES = frozenset(
    {"structure", "list", "map", "string", "integer", "long", "double", "float", "boolean"}
)


@functools.cache
def _pattern(pattern: str) -> SchemaValidator:
    return SchemaValidator(core_schema.str_schema(pattern=f"^(?:{pattern})$"))


def _matches(pattern: str, value: str) -> bool:
    try:
        _pattern(pattern).validate_python(value)
    except ValidationError:
        return False
    return True


def validate_request(operation: str, params: object) -> None:
    """Raise InvalidInputException listing every violation of the operation's input shape."""
    input_shape = service_description()["operations"][operation]["input"]["shape"]
    problems: list[str] = []
    if not isinstance(params, dict):
        raise invalid_input("Request body must be a JSON object")
    _check(shape(input_shape), params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise invalid_input(f"{count} validation {noun} detected: " + "; ".join(problems))


def _check(spec: dict[str, Any], value: Any, path: str, problems: list[str]) -> None:
    kind = spec["type"]
    where = path or "request"
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be an object")
            return
        members: dict[str, Any] = spec.get("members", {})
        for name in spec.get("required", []):
            if value.get(name) is None:
                problems.append(
                    f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member_value in value.items():
            if name not in members:
                problems.append(f"Unknown member '{_join(path, name)}'")
            elif member_value is not None:
                _check(shape(members[name]["shape"]), member_value, _join(path, name), problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be a list")
            return
        _check_size(spec, len(value), f"Value '{value}'", where, problems, "length")
        for i, item in enumerate(value):
            _check(shape(spec["member"]["shape"]), item, f"{path}.{i + 1}.member", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be a string")
            return
        shown = f"Value '{value}'" if not spec.get("sensitive") else "Value"
        _check_size(spec, len(value), shown, where, problems, "length")
        if "enum" in spec and value not in spec["enum"]:
            problems.append(
                f"{shown} at '{where}' failed to satisfy constraint: Member must satisfy enum "
                f"value set: [{', '.join(spec['enum'])}]"
            )
        if "pattern" in spec and not _matches(spec["pattern"], value):
            problems.append(
                f"{shown} at '{where}' failed to satisfy constraint: Member must satisfy "
                f"regular expression pattern: {spec['pattern']}"
            )
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be a map")
            return
        _check_size(spec, len(value), "Value", where, problems, "length")
        for key, item in value.items():
            _check(shape(spec["key"]["shape"]), key, f"{path}.{key}", problems)
            _check(shape(spec["value"]["shape"]), item, f"{path}.{key}", problems)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be an integer")
            return
        _check_size(spec, value, f"Value '{value}'", where, problems, "value")
    elif kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be a number")
            return
        _check_size(spec, value, f"Value '{value}'", where, problems, "value")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"Value at '{where}' failed to satisfy constraint: must be a boolean")
    else:  # a type no served operation takes (`CHECKED_TYPES` lists those it checks)
        problems.append(f"Value at '{where}' failed to satisfy constraint: unsupported type")


def _check_size(
    spec: dict[str, Any], size: float, shown: str, where: str, problems: list[str], what: str
) -> None:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and size < low:
        verb = "have length greater than or equal to" if what == "length" else "be >="
        problems.append(
            f"{shown} at '{where}' failed to satisfy constraint: Member must {verb} {low}"
        )
    if high is not None and size > high:
        verb = "have length less than or equal to" if what == "length" else "be <="
        problems.append(
            f"{shown} at '{where}' failed to satisfy constraint: Member must {verb} {high}"
        )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
