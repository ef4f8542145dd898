"""The project's exception root and one subclass per part.

Every error a user can cause derives from `ReconcilerError`; the command line's single handler
turns it into a message on stderr and exit code 1. Anything else reaching that handler is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.diagnostics import Diagnostic


class ReconcilerError(Exception):
    """A failure the user can act on; its message says what to do."""


class Cancelled(ReconcilerError):
    """The user answered no: nothing was done, and the message is shown as it is."""


class Terminated(BaseException):
    """SIGTERM arrived: the run unwinds as for Ctrl-C (not an Exception: nothing swallows it)."""


class UsageError(ReconcilerError):
    """The command was called with arguments that cannot work (missing path, bad option)."""


class ManifestError(ReconcilerError):
    """One or more manifests are invalid; carries every diagnostic of the run."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics))
        super().__init__("\n".join(str(d) for d in self.diagnostics))
