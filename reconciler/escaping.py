"""Values from outside (manifests, the service, S3, git, the environment, a lock's holder) made
safe for a terminal line: no control character reaches the screen.

A terminal acts on control characters: ESC starts a colour or a cursor move, CR and LF start a
line that looks like the tool's own (or, in CI logs, a workflow command), and the Unicode
format characters such as the bidirectional overrides reorder what a reader sees. `printable`
shows each as an escape (`\\n`, `\\x1b`, `\\u202e`), so the value is still all there, visibly.
Formats with rules of their own (Markdown, HTML, CSV, workflow commands) escape in `render/`.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_control(char: str) -> bool:
    """A control (Cc), format (Cf: bidirectional overrides, zero-width characters), line or
    paragraph separator (Zl, Zp), or a surrogate (Cs) that no UTF-8 text may carry."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def printable(text: str) -> str:
    """`text` with every control character shown as an escape; plain text is returned as is."""
    if text.isprintable():
        return text
    return "".join(_shown(char) if is_control(char) else char for char in text)
