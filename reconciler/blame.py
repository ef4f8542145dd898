"""Who declared a job: the git commit that last changed its manifest line (`git blame
--porcelain`), when reconciler runs in a git checkout. Outside one, or without git, there is no
commit to name, and the report says so. A shallow clone (CI's default) has not the history to
tell: blame would give every line to its oldest commit, so no commit is named there either.

Each manifest file is blamed once, whole, and its lines are looked up in that answer: a report
of 10,000 jobs runs one `git blame` per file, not one per job (each blame walks the history)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from reconciler.diagnostics import Location
from reconciler.evidence import Commit


class Blame:
    """Commits by manifest location, each file blamed once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path.cwd()
        self._files: dict[str, dict[int, Commit | None]] = {}
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
                timeout=120,  # a whole file's blame, once
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        return done.stdout.decode("utf-8", "replace")  # a manifest line need not be UTF-8

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
        lines = self._files.get(where.file)
        if lines is None:
            lines = self._files[where.file] = self._blame(where.file)
        return lines.get(where.line)

    def _blame(self, file: str) -> dict[int, Commit | None]:
        text = self._git("blame", "--root", "--porcelain", "--", file)
        return parse_blame(text) if text is not None else {}


def parse_blame(text: str) -> dict[int, Commit | None]:
    """The commit of each line (by its number in the file now) that `git blame --porcelain`
    describes. A commit's headers come with its first line only; its other lines, and the
    lines of a group, carry only `SHA ORIG_LINE FINAL_LINE [COUNT]`."""
    headers: dict[str, dict[str, str]] = {}
    shas: dict[int, str] = {}
    sha, final = "", 0
    for line in text.split("\n"):  # not splitlines: a line's text may hold \f or \u2028
        if not sha:  # a line's own header
            fields = line.split(" ")
            if len(fields) < 3 or not fields[2].isdigit():
                continue  # not porcelain (an empty last line): nothing to read here
            sha, final = fields[0], int(fields[2])
            headers.setdefault(sha, {})
        elif line.startswith("\t"):  # the line's own text: not needed
            shas[final] = sha
            sha = ""
        else:
            name, _, value = line.partition(" ")
            headers[sha][name] = value
    commits = {sha: _commit(sha, found) for sha, found in headers.items()}
    return {number: commits[sha] for number, sha in shas.items()}


def parse_porcelain(text: str) -> Commit | None:
    """The commit of the first line `git blame --porcelain` describes."""
    return next(iter(parse_blame(text).values()), None)


def _commit(sha: str, headers: dict[str, str]) -> Commit | None:
    if "boundary" in headers:  # the oldest commit of a cut history: not who changed the line
        return None
    try:
        time = datetime.fromtimestamp(int(headers.get("author-time", "0")), UTC)
    except (ValueError, OverflowError, OSError):
        time = datetime.fromtimestamp(0, UTC)
    return Commit(
        sha=sha,
        author=headers.get("author", ""),
        author_email=headers.get("author-mail", "").strip("<>"),
        time=time,
        summary=headers.get("summary", ""),
        committed=sha.strip("0") != "",  # all zeros: a line changed but not committed yet
    )
