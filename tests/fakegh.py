"""`gh`, as the example workflows' tests answer it: `gh api [--paginate] PATH [--jq FILTER]`
answers PATH with the JSON that `$FAKE_GH_DATA` (a file: {path: body}) holds for it, through the
real `jq -r` where a filter is given (gh's own --jq prints strings raw, as `jq -r` does); a path
it does not hold is GitHub's 404. `gh api --method POST PATH -F NAME=@FILE` is answered
`{"html_url": …}` where the data holds PATH, its fields (a file's contents for `@FILE`) logged.
Any other command (`gh run list`, `gh run download`) fails, as it would without a token. Each
call's arguments are appended to `$FAKE_GH_LOG` (a JSON line)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SHIM = '#!/bin/sh\nexec "{python}" -m tests.fakegh "$@"\n'


def install(bin_dir: Path) -> Path:
    """Write the `gh` command into `bin_dir`; its path."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    command = bin_dir / "gh"
    command.write_text(SHIM.format(python=sys.executable), encoding="utf-8")
    command.chmod(0o755)
    return command


def has_jq() -> bool:
    return shutil.which("jq") is not None


def main(argv: list[str]) -> int:
    log = os.environ.get("FAKE_GH_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as calls:
            calls.write(json.dumps(argv) + "\n")
    if not argv or argv[0] != "api":
        sys.stderr.write(f"fake gh: {' '.join(argv[:2])} is not answered here\n")
        return 1
    args = [a for a in argv[1:] if a != "--paginate"]
    jq = _option(args, "--jq")
    method = _option(args, "--method") or "GET"
    fields = {}
    while (field := _option(args, "-F")) is not None:
        name, _, value = field.partition("=")
        fields[name] = Path(value[1:]).read_text() if value.startswith("@") else value
    (path,) = args
    data = json.loads(Path(os.environ.get("FAKE_GH_DATA", os.devnull)).read_text() or "{}")
    if path not in data:
        sys.stderr.write("gh: Not Found (HTTP 404)\n")
        return 1
    answer = data[path]
    if method != "GET":
        if log:
            with open(log, "a", encoding="utf-8") as calls:
                calls.write(json.dumps({"method": method, "path": path, "fields": fields}) + "\n")
        answer = {"html_url": f"https://github.com/{path}#new"}
    body = json.dumps(answer)
    if jq is None:
        sys.stdout.write(body + "\n")
        return 0
    done = subprocess.run(["jq", "-r", jq], input=body, text=True, check=False)
    return done.returncode


def _option(args: list[str], name: str) -> str | None:
    """The value of the option `name` in `args` (taken out of them), or None."""
    if name not in args:
        return None
    at = args.index(name)
    value = args[at + 1]
    del args[at : at + 2]
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
