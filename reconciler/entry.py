"""The `reconciler` process around `cli.main`: Ctrl-C even while the program starts, and SIGTERM.

SIGTERM (a CI runner cancelling a job, `kill`) is turned into `Terminated`, which unwinds the run
as Ctrl-C does: creates under way end and are recorded, the lock is released, exit 143.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType

from reconciler.errors import Terminated
from reconciler.exitcodes import ExitCode

COLLECT_EVERY = (100_000, 50, 50)  # allocations between collections of each generation


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def run() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    # pydantic scans every installed distribution for plugins when it builds its first model
    # (~50 ms of a 0.3 s `validate`); a command-line tool has none to load.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A run holds a tree and a state of many thousand small objects, almost none of them
    # cyclic garbage: collecting every 700 allocations (Python's default) costs a 10,000-job
    # plan a third of its time. Collect every 100,000 instead (and the old generations rarely).
    gc.set_threshold(*COLLECT_EVERY)
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
