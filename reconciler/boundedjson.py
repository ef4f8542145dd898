"""Reading JSON from outside (a state, a saved plan, a lock's details, a file given to
`state push`) with a bound on how deeply it nests.

Python's parser recurses once per level, so a document of a few thousand `[` raises
RecursionError (a traceback) instead of a parse error. `loads` first measures the nesting
without recursing and refuses anything deeper than `MAX_DEPTH` levels as `TooDeep`, a
`ValueError` like every other parse error, so each reader's "this is not valid" path handles it.
What this tool writes nests fewer than 10 levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# A string, to its closing quote (or to the end where it has none: each byte is looked at once);
# brackets inside strings are not counted.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class TooDeep(ValueError):
    """A JSON document nested deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def check_depth(raw: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep where `raw` opens more than `limit` arrays or objects inside each other."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    level = 0
    for bracket in _STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if bracket in b"[{":
            level += 1
            if level > limit:
                raise TooDeep(limit)
        else:
            level -= 1


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing a document nested deeper than `limit` (TooDeep, a ValueError)."""
    check_depth(raw, limit)
    return json.loads(raw)
