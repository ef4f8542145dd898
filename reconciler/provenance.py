"""Who ran a create and who approved it: the run (`run_info`), the approval given to `apply`
(`--change-ref`, `--approved-by`, checked by `approval_problem`), and the `Provenance` a create
records (`provenance`).

The run is a GitHub Actions run when `GITHUB_ACTIONS` is `true` and `GITHUB_SERVER_URL`,
`GITHUB_REPOSITORY` and `GITHUB_RUN_ID` are set: its page is
`{server}/{repository}/actions/runs/{id}` (and `/attempts/{n}` from the second attempt on), with
the commit it checked out (`GITHUB_SHA`), the workflow's name (`GITHUB_WORKFLOW`) and who started
it (`GITHUB_ACTOR`). Anywhere else it is the host and the user (the `Runtime`'s).

The environment is outside input, and what is recorded here is shown in every report: each value
is bounded in length, refused with a control character, and must look like what it is (the
server an `https://` URL, the repository `owner/name`, the run ID and attempt digits, the commit
hex, the actor a GitHub login). A value that does not is left out, never recorded as given: the
run's page is named only when all three of its parts are usable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from reconciler.models import Provenance, RunInfo

MAX_TEXT = 200  # characters of a change reference, an approver, or a GitHub value
MAX_APPROVERS = 20
MAX_PRINCIPAL = 2048  # an ARN: an assumed role's path and session name included
MAX_HOST = 255

_SERVER = re.compile(r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_DIGITS = re.compile(r"[0-9]{1,20}")
_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")  # SHA-1, or a SHA-256 repository's
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")  # dependabot[bot] too


def usable_text(value: str | None, limit: int = MAX_TEXT) -> str | None:
    """`value` where it can be recorded as given: not empty or blank, at most `limit`
    characters, printable (no control, format or separator character but the space)."""
    if value is None or not value.strip() or len(value) > limit or not value.isprintable():
        return None
    return value


def rerun_problem(reason: str | None, retry: Sequence[str]) -> str | None:
    """Why `--reason` cannot be recorded (None: it can, or was not given)."""
    if reason is None:
        return None
    if not retry:
        return "--reason goes with --retry ADDRESS: it says why the job runs again"
    if usable_text(reason) is None:
        return (
            f"--reason must be 1 to {MAX_TEXT} printable characters, without control characters "
            "or line breaks"
        )
    return None


def _matching(value: str | None, pattern: re.Pattern[str]) -> str | None:
    value = usable_text(value)
    return value if value is not None and pattern.fullmatch(value) else None


def run_info(environ: Mapping[str, str], host: str, user: str) -> RunInfo:
    """The run that acts now: a GitHub Actions run (see the module's docstring), else `user`
    on `host`; each value checked, an unusable one left out."""
    present = all(
        environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if environ.get("GITHUB_ACTIONS") != "true" or not present:
        return RunInfo(kind="host", host=usable_text(host, MAX_HOST), user=usable_text(user))
    repository = _matching(environ.get("GITHUB_REPOSITORY"), _REPOSITORY)
    if repository is not None and repository.split("/")[1] in (".", ".."):
        repository = None  # not a repository's name, and a path step in the URL
    run_id = _matching(environ.get("GITHUB_RUN_ID"), _DIGITS)
    attempt = _matching(environ.get("GITHUB_RUN_ATTEMPT"), _DIGITS)
    server = _matching(environ.get("GITHUB_SERVER_URL", "").removesuffix("/"), _SERVER)
    return RunInfo(
        kind="github",
        url=_page(server, repository, run_id, attempt),
        repository=repository,
        run_id=run_id,
        run_attempt=attempt,
        sha=_matching(environ.get("GITHUB_SHA"), _SHA),
        workflow=usable_text(environ.get("GITHUB_WORKFLOW")),
        actor=_matching(environ.get("GITHUB_ACTOR"), _LOGIN),
    )


def _page(
    server: str | None, repository: str | None, run_id: str | None, attempt: str | None
) -> str | None:
    """The run's page, from its checked parts; None when one of the three is missing."""
    if not (server and repository and run_id):
        return None
    url = f"{server}/{repository}/actions/runs/{run_id}"
    if attempt is not None and int(attempt) > 1:
        url += f"/attempts/{int(attempt)}"
    return url


def approvers(given: Iterable[str]) -> tuple[str, ...]:
    """The approvers as recorded: each name stripped of surrounding spaces, empty ones dropped,
    each once, in the order first given."""
    kept = (name.strip() for name in given)
    return tuple(dict.fromkeys(name for name in kept if name))


def split_approvers(text: str) -> tuple[str, ...]:
    """`RECONCILER_APPROVED_BY`'s comma-separated names."""
    return approvers(text.split(","))


def approval_problem(change_ref: str | None, approved_by: Sequence[str]) -> str | None:
    """Why `--change-ref` and `--approved-by` cannot be recorded (None: they can): each at most
    MAX_TEXT characters, printable, no control characters; at most MAX_APPROVERS approvers. The
    message never repeats the value (it may hold anything)."""
    if change_ref is not None and usable_text(change_ref) is None:
        return (
            f"--change-ref (or RECONCILER_CHANGE_REF) must be 1 to {MAX_TEXT} printable "
            "characters, without control characters or line breaks"
        )
    if len(approved_by) > MAX_APPROVERS:
        return (
            f"--approved-by (or RECONCILER_APPROVED_BY) names {len(approved_by)} approvers: at "
            f"most {MAX_APPROVERS}"
        )
    for number, name in enumerate(approved_by, 1):
        if usable_text(name) is None:
            return (
                f"--approved-by (or RECONCILER_APPROVED_BY), approver {number}: must be 1 to "
                f"{MAX_TEXT} printable characters, without control characters or line breaks"
            )
    return None


def provenance(
    *,
    principal: str | None,
    run: RunInfo,
    plan_id: str,
    plan_digest: str | None,
    change_ref: str | None,
    approved_by: Sequence[str],
    recorded: datetime,
) -> Provenance:
    """What a create records of who approved it and who ran it. `principal`: the provider's
    (STS's ARN, left out when it is not a printable value of a reasonable length);
    `plan_digest`: the saved plan's seal, None when the plan was made in the same run;
    `change_ref` and `approved_by` as `approval_problem` accepted them; `recorded`: now."""
    return Provenance(
        principal=usable_text(principal, MAX_PRINCIPAL),
        run=run,
        plan_id=plan_id,
        plan_digest=plan_digest,
        change_ref=change_ref,
        approved_by=approvers(approved_by),
        recorded=recorded,
    )
