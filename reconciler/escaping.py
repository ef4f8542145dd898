"""Values from outside (manifests, the service, S3, git, the environment, a lock's holder) made
safe for a terminal line: no control character reaches the screen, and no value reads as a
GitHub Actions workflow command in a CI log.

A terminal acts on control characters: ESC starts a colour or a cursor move, CR and LF start a
line that looks like the tool's own (or, in CI logs, a workflow command), and the Unicode
format characters such as the bidirectional overrides reorder what a reader sees. `printable`
shows each as an escape (`\\n`, `\\x1b`, `\\u202e`), so the value is still all there, visibly.

A GitHub Actions runner reads every line a step prints, stdout and stderr: a line whose first
characters after spaces are `::` is a workflow command (`::error::`, `::add-mask::`), and so is
`##[` anywhere in a line (the runner's older form). `printable` shows the first colon of a
leading `::` as `\\x3a` and the bracket of `##[` as `\\x5b`, so a value never becomes one,
wherever on a line it is printed.

Formats with rules of their own (Markdown, HTML, CSV, workflow command data, JSON) escape in
`reconciler.render.escape`, on top of this.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
RUNNER_COMMAND = "##["  # the runner's older command form, read anywhere in a line


def _shown(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_control(char: str) -> bool:
    """A control (Cc), format (Cf: bidirectional overrides, zero-width characters), line or
    paragraph separator (Zl, Zp), or a surrogate (Cs) that no UTF-8 text may carry."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def controls_shown(text: str) -> str:
    """`text` with every control character shown as an escape, nothing else changed."""
    if text.isprintable():
        return text
    return "".join(_shown(char) if is_control(char) else char for char in text)


def not_a_command(text: str) -> str:
    """`text` (already without controls) that a GitHub Actions runner never reads as a
    workflow command: a leading `::` (after spaces) and every `##[` shown escaped."""
    if RUNNER_COMMAND in text:
        text = text.replace(RUNNER_COMMAND, "##\\x5b")
    start = len(text) - len(text.lstrip())
    if text.startswith("::", start):
        text = f"{text[:start]}\\x3a{text[start + 1 :]}"
    return text


def printable(text: str) -> str:
    """`text` as a terminal (or CI log) shows it safely: every control character as an escape,
    and never a workflow command; plain text is returned as is."""
    if text.isprintable() and RUNNER_COMMAND not in text and not text.lstrip().startswith("::"):
        return text
    return not_a_command(controls_shown(text))


def printable_lines(text: str) -> str:
    """A text of several lines (the tool's own line breaks, `\\n`) with each line `printable`:
    a value put in one of its lines must have been made one line (`printable`) before."""
    return "\n".join(printable(line) for line in text.split("\n"))
