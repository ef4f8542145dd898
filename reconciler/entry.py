"""The `reconciler` process around `cli.main`: Ctrl-C even while the program starts, and SIGTERM.

SIGTERM (a CI runner cancelling a job, `kill`) is turned into `Terminated`, which unwinds the run
as Ctrl-C does: creates under way end and are recorded, the lock is released, exit 143.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from reconciler.errors import Terminated
from reconciler.exitcodes import ExitCode


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def run() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from reconciler.cli import main

        code = main()
    except KeyboardInterrupt:  # before `main` could handle it (while importing)
        sys.stderr.write("Interrupted.\n")
        code = ExitCode.INTERRUPTED
    except Terminated:
        sys.stderr.write("Terminated.\n")
        code = ExitCode.TERMINATED
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a late one during shutdown: no traceback
    sys.exit(code)
