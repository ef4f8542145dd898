"""A `reconciler` command for shell scripts under test that runs each call in the test's own
process: the scripts (the example workflows' `run:` steps) run in bash as written, and each
`reconciler …` they invoke is `reconciler.cli.main(argv, runtime)` here, in its directory and
environment, its output and exit code handed back to the script. No interpreter starts per call,
so these tests stay in the in-process lane; the process lane runs the real command.

The command is a bash script (bash's /dev/tcp) that connects to a server on 127.0.0.1 in this
process. It sends NUL-terminated fields: its directory, the number of arguments, the arguments,
the number of exported variables, each as NAME=VALUE. The server answers with one line: the exit
code and two files holding what the command wrote on stdout and stderr, which the script copies
to its own.
"""

from __future__ import annotations

import io
import itertools
import os
import socket
import socketserver
import threading
import traceback
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from pathlib import Path
from unittest import mock

from reconciler.cli import main
from reconciler.runtime import Runtime

SCRIPT = """\
#!/usr/bin/env bash
# reconciler, run in the process of the test that wrote this file (tests/commandserver.py)
exec 3<>/dev/tcp/127.0.0.1/{port}
names=($(compgen -e))
{{
  printf '%s\\0' "$PWD" "$#" "$@" "${{#names[@]}}"
  for name in "${{names[@]}}"; do printf '%s=%s\\0' "$name" "${{!name}}"; done
}} >&3
read -r code out err <&3
cat "$out"
cat "$err" >&2
exit "$code"
"""


def _fields(conn: socket.socket) -> tuple[str, list[str], dict[str, str]]:
    """The directory, arguments and environment one call of the command sent."""
    data = b""

    def field(index: int) -> str | None:
        parts = data.split(b"\0")
        return parts[index].decode() if len(parts) > index + 1 else None

    def need(index: int) -> str:
        nonlocal data
        while (value := field(index)) is None:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError("the command went away before it sent its call")
            data += chunk
        return value

    cwd, count = need(0), int(need(1))
    argv = [need(2 + i) for i in range(count)]
    names = int(need(2 + count))
    pairs = [need(3 + count + i).split("=", 1) for i in range(names)]
    return cwd, argv, {name: value for name, value in pairs}


@contextmanager
def command_server(bin_dir: Path) -> Iterator[Path]:
    """Write the `reconciler` command into `bin_dir` (what each call said goes to `bin_dir/calls`)
    and serve its calls until the block ends; yields the command's path."""
    outputs = bin_dir / "calls"
    outputs.mkdir(parents=True)
    calls = itertools.count()

    class Call(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            cwd, argv, env = _fields(self.request)
            out, err = io.StringIO(), io.StringIO()
            try:
                with chdir(cwd), mock.patch.dict(os.environ, env, clear=True):
                    code = main(argv, Runtime(environ=dict(os.environ), out=out, err=err))
            except BaseException:  # a defect: the script sees it as a crash would show it
                err.write(traceback.format_exc())
                code = 70
            number = next(calls)
            said = [outputs / f"{number}.out", outputs / f"{number}.err"]
            for path, stream in zip(said, (out, err), strict=True):
                path.write_text(stream.getvalue(), encoding="utf-8")
            self.request.sendall(f"{code} {said[0]} {said[1]}\n".encode())

    server = socketserver.TCPServer(("127.0.0.1", 0), Call)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    command = bin_dir / "reconciler"
    command.write_text(SCRIPT.format(port=server.server_address[1]), encoding="utf-8")
    command.chmod(0o755)
    try:
        yield command
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
