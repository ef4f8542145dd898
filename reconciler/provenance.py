"""Who declared a job: the git commit that last changed its manifest line (`git blame
--porcelain`), when reconciler runs in a git checkout. Outside one, or without git, there is no
commit to name, and the report says so. A shallow clone (CI's default) has not the history to
tell: blame would give every line to its oldest commit, so no commit is named there either."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from reconciler.diagnostics import Location
from reconciler.evidence import Commit

UNCOMMITTED = "0" * 40


class Blame:
    """Commits by manifest location, each file line asked once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path.cwd()
        self._known: dict[tuple[str, int], Commit | None] = {}
        self.available = self._inside_checkout()
        self.shallow = self.available and (
            (self._git("rev-parse", "--is-shallow-repository") or "").strip() == "true"
        )

    def _git(self, *args: str) -> str | None:
        """What `git ARGS` prints, or None when git is missing or the command fails."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    def _inside_checkout(self) -> bool:
        return (self._git("rev-parse", "--is-inside-work-tree") or "").strip() == "true"

    def commit(self, location: str | None) -> Commit | None:
        """The commit of the line at `location` (file:line:col), None when not known."""
        if not self.available or self.shallow or not location:
            return None
        try:
            where = Location.parse(location)
        except ValueError:
            return None
        key = (where.file, where.line)
        if key not in self._known:
            self._known[key] = self._blame(where.file, where.line)
        return self._known[key]

    def _blame(self, file: str, line: int) -> Commit | None:
        text = self._git("blame", "--root", "--porcelain", "-L", f"{line},{line}", "--", file)
        return parse_porcelain(text) if text is not None else None


def parse_porcelain(text: str) -> Commit | None:
    """The commit of the first line `git blame --porcelain` describes."""
    lines = text.splitlines()
    if not lines:
        return None
    sha = lines[0].split(" ", 1)[0]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("\t"):
            break  # the line's own text: not needed
        name, _, value = line.partition(" ")
        headers[name] = value
    if "boundary" in headers:  # the oldest commit of a cut history: not who changed the line
        return None
    try:
        time = datetime.fromtimestamp(int(headers.get("author-time", "0")), UTC)
    except ValueError:
        time = datetime.fromtimestamp(0, UTC)
    return Commit(
        sha=sha,
        author=headers.get("author", ""),
        author_email=headers.get("author-mail", "").strip("<>"),
        time=time,
        summary=headers.get("summary", ""),
        committed=sha != UNCOMMITTED,
    )
