"""Saved plans (`plan -out FILE`), to be applied later exactly as they were reviewed.

A JSON document:

    {"format": "reconciler-plan", "format_version": 6, "created": "2026-11-27T10:00:00Z",
     "plan": {…the Plan value: lineage and serial of the state it was made from, the digest of
              the manifests, every change with its spec, the flags it was made with
              (`retries`, `preflight_skipped`, `activity_ignored`)…},
     "digest": "sha256:…"}

`digest` is the SHA-256 of the rest of the document as canonical JSON (keys sorted, no spaces,
ASCII only), written when the plan is saved and checked when it is read: a file changed since
(a flag set by hand, a change edited) is refused, whatever the edit. It is a seal against edits,
not a signature (whoever can write the file can compute it too): what apply does is also checked
against what the manifests, the state and the service call for now (`usecases/saved_plans.py`).

A saved plan is stale once the state's lineage or decisions, the manifests digest or the target
moved on, or when what it says differs from the plan made now (`differences`), its inputs too:
a create is bound to the version of each object of its input that the plan read (VersionId,
size, LastModified and, with a digest key, the ETag keyed: `InputIdentity.same`), so a file
replaced after the review makes the plan stale.
`reconciler show FILE` renders one; `reconciler apply FILE` applies it without asking (the
review was the approval). A file of an older format is refused with "make the plan again".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from reconciler import boundedjson
from reconciler.errors import ReconcilerError
from reconciler.escaping import printable
from reconciler.files import write_output
from reconciler.models import InputIdentity, same_inputs
from reconciler.planning.model import Action, Plan

FORMAT = "reconciler-plan"
# 6: its inputs' identities without S3's ETag (keyed, where a key is set), a queued create's
# approval; 5: bound to its inputs' identities; 4: sealed by a digest; 3: bound to the state's
# decisions; 2: changes name their parts
FORMAT_VERSION = 6


class PlanFileError(ReconcilerError):
    """A saved plan that cannot be read."""


class PlanFileMissing(PlanFileError):
    """No file at the path."""


class PlanFileOutdated(PlanFileError):
    """A plan saved by a reconciler that writes another format."""


def save_plan(
    path: Path, plan: Plan, *, now: datetime | None = None, protected: Iterable[Path] = ()
) -> None:
    """Write the plan to `path` atomically (mode 0600), never over one of the `protected` state
    files nor anything but a new or regular file (OutputRefused), or raise PlanFileError."""
    document: dict[str, object] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": (now or datetime.now(UTC)).isoformat(),
        "plan": plan.model_dump(mode="json"),
    }
    document["digest"] = seal(document)
    data = (json.dumps(document, indent=2) + "\n").encode()
    try:
        write_output(path, data, "-out", protected, example="plan.json")
    except OSError as exc:
        raise PlanFileError(
            f"cannot write the plan to {printable(str(path))}: {exc.strerror or exc}; "
            "no plan was saved"
        ) from None


def seal(document: Mapping[str, object]) -> str:
    """The digest of a saved plan's document, all of it but the digest itself."""
    body = {key: value for key, value in document.items() if key != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


class Saved(NamedTuple):
    plan: Plan
    created: str  # when it was saved, as the file says
    digest: str  # its seal: the reviewed plan, as provenance names it


def load_plan(path: Path) -> Plan:
    return load_saved(path).plan


def load_saved(path: Path) -> Saved:
    """The plan saved at `path`, when it was saved and its digest, or PlanFileError."""
    try:
        document = boundedjson.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileMissing(f"{path}: no such plan file") from None
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{path}: not a readable plan file ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PlanFileError(f"{path}: not a plan saved by `reconciler plan -out`")
    if document.get("format_version") != FORMAT_VERSION:
        raise PlanFileOutdated(
            f"{path}: plan format {document.get('format_version')} is not supported by this "
            f"reconciler (it reads {FORMAT_VERSION}); make the plan again"
        )
    if document.get("digest") != seal(document):
        raise PlanFileError(
            f"{path}: the saved plan was changed after it was saved (its digest does not "
            "match): apply only a plan as `reconciler plan -out` wrote it; make the plan again"
        )
    try:
        plan = Plan.model_validate(document["plan"])
        return Saved(plan, str(document.get("created", "unknown")), str(document["digest"]))
    except KeyError:
        raise PlanFileError(f"{path}: the saved plan has no plan in it; make it again") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanFileError(
            f"{path}: the saved plan is damaged ({first['msg']} at plan.{where}); make it again"
        ) from None


_Decision = tuple[str, str, str | None, str | None]


def _decisions(plan: Plan) -> dict[str, tuple[_Decision, tuple[InputIdentity | None, ...]]]:
    """What applying `plan` would do to each job: the action, the job name, the spec and the
    job an import records; and the version of each object of a create's input."""
    return {
        change.address: (
            (
                change.action.value,
                change.job_name,
                change.desired.digest() if change.desired else None,
                change.observed.arn if change.action is Action.IMPORT and change.observed else None,
            ),
            tuple(e.identity for e in change.inputs),
        )
        for change in plan.changes
        if not change.in_sync
    }


def _same_inputs(
    then: tuple[InputIdentity | None, ...], now: tuple[InputIdentity | None, ...]
) -> bool:
    """Both read nothing, or the same versions of the same objects (`models.same_inputs`)."""
    return then == now == () or same_inputs(then, now)


def inputs_replaced(saved: Plan, fresh: Plan) -> list[str]:
    """The addresses whose create both plans decide alike, on inputs that are not the same
    versions: a file replaced, added or removed since the `saved` plan read it."""
    before, now = _decisions(saved), _decisions(fresh)
    return sorted(
        address
        for address, (decided, read) in before.items()
        if (later := now.get(address)) is not None
        and decided == later[0]
        and read  # a plan that did not read the input (--skip-preflight) bound none
        and not _same_inputs(read, later[1])
    )


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """How applying the `fresh` plan (made now) would differ from what the `saved` one says,
    one line per job: a saved plan is applied only as it was reviewed."""
    before, now = _decisions(saved), _decisions(fresh)
    lines = []
    for address in sorted(set(before) | set(now)):
        then, later = before.get(address), now.get(address)
        if then and later and then[0] == later[0] and _same_inputs(then[1], later[1]):
            continue
        was = " ".join(filter(None, then[0][:2] if then else ("nothing",)))
        will = " ".join(filter(None, later[0][:2] if later else ("nothing",)))
        same = ""
        if was == will and then and later:
            same = (
                " (its input is not the file the plan read: replaced, added or removed since)"
                if then[0] == later[0]
                else " (with another spec)"
            )
        lines.append(f"  {address}: the plan says {was}, now it is {will}{same}")
    return lines
