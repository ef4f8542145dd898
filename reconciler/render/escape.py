"""How a value from outside (manifests, the service, S3, git, the environment) is written into each
format the renderers make: the one place each format's escaping lives.

- a terminal line: `reconciler.escaping.printable` (controls as visible escapes, never a
  workflow command); a text of the tool's own lines: `printable_lines`;
- Markdown and HTML, inline (a paragraph, a list item, a table cell): `markdown`; a value shown
  as code: `code`; a next step, which quotes the commands it names in backticks: `prose`;
- a GitHub Actions workflow command: `command_data` (the message), `command_property`;
- a CSV cell: `csv_cell`;
- JSON: `json_text` (the values stay the data they are).

Markdown: `<`, `>` and `&` as HTML entities, so no value opens a tag, a comment (the hidden
markers are only where the renderer puts them) or closes a `<details>`; the Markdown specials
that act inline (`\\`, `` ` ``, `*`, `_`, `[`, `]`, `|`, `~`) backslash-escaped; a line break as
a space (a value never starts a line of its own, never ends a table row); other controls as
`printable` shows them; and an `@` that GitHub would read as a mention split from the name by an
empty HTML comment (GitHub mentions through `\\@` and `&#64;` alike, not across a comment).
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.escaping import RUNNER_COMMAND, controls_shown, printable

_MARKDOWN = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
    }
)
_BREAK = re.compile(r"\r\n|\r|\n")
# An @ GitHub takes for a mention: not after an ASCII letter, digit or underscore (an email's
# is not), before a name.
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")
_NOT_IN_CODE_SPAN = re.compile(r"[`|<>&@]")


def markdown(text: str) -> str:
    """`text` as inline Markdown that shows it as it is, on one line (see the module)."""
    escaped = controls_shown(_BREAK.sub(" ", text)).translate(_MARKDOWN)
    return _MENTION.sub("@<!-- -->", escaped)


def code(text: str) -> str:
    """`text` in a code span; a value a code span cannot hold as it is (a backtick, a pipe that
    would end a table cell, HTML, a mention, a control, spaces at its ends) as `<code>`."""
    if (
        text.isprintable()
        and text.strip() == text != ""
        and not _NOT_IN_CODE_SPAN.search(text)
        and RUNNER_COMMAND not in text
    ):
        return f"`{text}`"
    return f"<code>{markdown(text)}</code>"


def prose(text: str) -> str:
    """A next step (`reconciler.planning.attention`): a sentence of the tool's that quotes the
    commands it names in backticks, and whose values hold none of their own. Each quoted part
    as `code`, the rest as `markdown`; a sentence whose backticks do not pair, escaped whole."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return markdown(text)
    return "".join(code(part) if index % 2 else markdown(part) for index, part in enumerate(parts))


def command_data(text: str) -> str:
    """The message of a workflow command: each of its lines `printable`, the line breaks and
    `%` encoded as the runner decodes them."""
    return "%0A".join(printable(line).replace("%", "%25") for line in text.split("\n"))


def command_property(text: str) -> str:
    """A property value of a workflow command (`file=`, `title=`): one line, `printable`, with
    `%` and the `:` and `,` that would end it encoded."""
    return printable(text).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")


def csv_cell(value: object) -> str:
    """A CSV cell: one line, as `printable` shows it (a report printed in a CI log or opened in
    a spreadsheet carries no control character), never read as a formula."""
    text = "" if value is None else printable(str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def json_text(document: Any) -> str:
    """`document` as indented JSON, ending with a line break. Values stay as they are (parsed
    back, they are equal); a `[` after `##` is written `\\u005b` so no line of it is a runner
    command (see `reconciler.escaping`)."""
    text = json.dumps(document, indent=2, allow_nan=False)
    return text.replace(RUNNER_COMMAND, "##\\u005b") + "\n"
