"""`python -m reconciler` runs the command line."""

from __future__ import annotations

from reconciler.entry import run

if __name__ == "__main__":
    run()
