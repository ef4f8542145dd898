"""Readers of what the renderers write, as the programs that read it would: a GitHub Actions
runner (which lines are workflow commands), and Markdown (which characters act outside code
spans), so tests can say that a value from outside did nothing but show."""

from __future__ import annotations

import re
from collections import Counter

from reconciler.escaping import is_control

_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what the runner's line reader splits on
_SPECIALS = "|*_[]~>"
_TOOL_TAGS = re.compile(r"</?(?:details|summary|sub|code)>|<!-- -->")
_MARKERS = ("<!-- reconciler-plan -->", "<!-- reconciler-check -->")
_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def runner_commands(output: str) -> list[str]:
    """The workflow commands a GitHub Actions runner finds in `output` (the runner's parsing:
    `::NAME PROPERTIES::DATA` after leading spaces, and `##[NAME ...]` anywhere in a line),
    each as its `NAME PROPERTIES` part."""
    found = []
    for line in _LINE_BREAK.split(output):
        stripped = line.lstrip()
        end = stripped.find("::", 2)
        if stripped.startswith("::") and end > 0:
            found.append(stripped[2:end])
        start = line.find("##[")
        if start >= 0 and line.find("]", start) > 0:
            found.append(line[start + 3 : line.find("]", start)])
    return found


def controls(output: str, allowed: str = "\n") -> list[str]:
    """The control characters in `output`, but those `allowed` (the format's own)."""
    return [char for char in output if is_control(char) and char not in allowed]


def without_colours(output: str) -> str:
    return re.sub(r"\x1b\[\d+m", "", output)


def markdown_shape(line: str) -> tuple[Counter[str], bool]:
    """The Markdown specials of `line` that act (not backslash-escaped, not in a code span, not
    in the tags the renderers write) and its code spans (`code` and <code>), counted; and
    whether its code spans are all closed."""
    acting: Counter[str] = Counter({"code": line.count("<code>")})
    line = _TOOL_TAGS.sub("", line)
    in_code = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_code:
            in_code = char != "`"
        elif char == "\\" and index + 1 < len(line) and line[index + 1] in _PUNCTUATION:
            index += 1  # an escaped character
        elif char == "`":
            in_code = True
            acting["code"] += 1
        elif char in _SPECIALS:
            acting[char] += 1
        index += 1
    return acting, not in_code


def markdown_problems(output: str, shape_of: str) -> list[str]:
    """What is wrong with `output`, a rendering with outside values in it, against `shape_of`,
    the same rendering with a plain value in their place: a line more or less, a Markdown
    special that acts where the plain one has none, an unclosed code span, HTML the renderer
    did not write, a mention, a control character, a runner command."""
    problems = []
    lines, plain = output.split("\n"), shape_of.split("\n")
    if len(lines) != len(plain):
        problems.append(f"{len(lines)} lines, not {len(plain)}")
    for line, expected in zip(lines, plain, strict=False):
        acting, closed = markdown_shape(line)
        if acting != markdown_shape(expected)[0] or not closed:
            problems.append(f"Markdown acts in {line!r}")
        if line not in _MARKERS and "<" in _TOOL_TAGS.sub("", line):
            problems.append(f"HTML in {line!r}")
        if _ENTITY.search(line):
            problems.append(f"an entity in {line!r}")
    if _MENTION.search(output):
        problems.append("a mention")
    if controls(output):
        problems.append(f"controls {controls(output)!r}")
    if runner_commands(output):
        problems.append(f"runner commands {runner_commands(output)!r}")
    return problems
