"""The state document: what this tool did and last saw, one record per managed job.

Persisted as JSON by a state backend (version 5):

    {
      "version": 5,
      "lineage": "5b0e…",          # set once when the state is created; never changes
      "serial": 7,                 # bumped by every write; a saved plan records the one it saw
      "lineages": [{"lineage": "5b0e…", "started": "…", "note": "new state"}],  # its history
      "checked": {"s3://…/w47.csv": {"evidence": {…}, "problem": null}},  # preflight's reads
      "queued": {"shop-eu/gdpr-2026-w48": {      # creates an apply decided and could not send
        "spec_digest": "sha256:…", "inputs": […], "provenance": {…}, "queued": "…"}},
      "jobs": {
        "shop-eu/gdpr-2026-w47": {
          "address": "shop-eu/gdpr-2026-w47",
          "spec": {"dataset_group_arn": …, "job_name": …, "data_location": …, "role_arn": …,
                   "tags": {…}},              # as applied; immutable in the service
          "spec_digest": "sha256:…",
          "manifest": "manifests/shop-eu.yaml:14:5",   # where it was declared
          "job_name": "gdpr-2026-w47",        # the current attempt's name (NAME-rN on retry)
          "intended": "2026-11-27T10:00:00Z", # when the create was decided
          "seen": {                           # null: create intended, not yet confirmed
            "arn": "arn:aws:personalize:…", "job_name": …, "dataset_group_arn": …,
            "status": "COMPLETED", "created": "…", "last_updated": "…",  # the service's
            "failure_reason": null, "data_location": …, "role_arn": …, "num_deleted": 412
          },                                  # what the service last said of the job
          "history": [{"status": "PENDING", "seen": "…"}, …],
          "inputs": [{"location": "s3://…/w47.csv", "bytes": 5210, "rows": 412, "read": "…",
                      "tag": "…", "version_id": "…", "last_modified": "…",
                      "hmac": "…", "key_id": "…"}],   # the input its create was given
          "provenance": {"principal": "arn:aws:sts::…", "run": {…}, "plan_id": …,
                         "plan_digest": …, "change_ref": …, "approved_by": […], "recorded": …},
          "recovered": false,                 # true: found in the service, not recorded
          "attempts": [{"job_name": …, "seen": {…}, "inputs": […], "provenance": …,
                        "recovered": …}]   # earlier, oldest first
        }
      },
      "forgotten": [{…records no longer declared, kept for the audit trail, "forgotten": "…"}]
    }

The document is checked whole when it is read: each record is filed under its own address, and
its job name is one its spec allows (the spec's name, or a retry's NAME-rN). JSON nested deeper
than `reconciler.boundedjson` allows is refused before it is parsed.

Version 1 kept `arn`, `status`, `num_deleted`, `failure_reason`, `created` and `last_updated`
flat on each record and attempt; it is read and upgraded on load (`upgrade_v1`), and written
back as the current version by the next save. Version 2 is version 3 without `inputs` (read as
none); version 3 was introduced with them so that an older reconciler, which forbids fields it
does not know, says "written by a newer reconciler: upgrade" instead of calling the state
corrupt. Version 4 added provenance, identities, `recovered`, `lineages` and `checked`, and
no longer keeps a plain SHA-256 of an input: reading a version 3 state drops the `sha256` (and
`at`) of each input, so they are neither shown nor written back (a plain hash of a file of one
user gives the user's ID back to whoever guesses it). Version 5 added `queued`: the creates an
apply decided and left queued or held, with the evidence and approval of the plan that decided
them, so that a later run sends each only while the job and its input are still the ones
approved (`apply --queued-only` sends nothing else). A version 4 state is read as one with
nothing queued.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from reconciler.boundedjson import check_depth, loads
from reconciler.escaping import printable
from reconciler.models import (
    Frozen,
    InputCheck,
    InputEvidence,
    JobSpec,
    JobStatus,
    Provenance,
    ServiceJob,
    UtcTime,
)


class Transition(Frozen):
    status: JobStatus
    seen: datetime


class Attempt(Frozen):
    """An earlier attempt at a job that was retried under a new name."""

    job_name: str
    seen: ServiceJob | None = None
    inputs: tuple[InputEvidence, ...] = ()
    provenance: Provenance | None = None
    recovered: bool = False  # found in the service later: nothing was recorded at the time
    rerun: str | None = None  # why it was asked to run again (`apply --retry --reason`)


class JobRecord(Frozen):
    address: str
    spec: JobSpec
    spec_digest: str
    manifest: str
    job_name: str
    intended: datetime | None = None
    seen: ServiceJob | None = None
    history: tuple[Transition, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    inputs: tuple[InputEvidence, ...] = ()  # the current attempt's input, as its create got it
    provenance: Provenance | None = None  # who approved and ran the current attempt's create
    recovered: bool = False  # the current attempt was found in the service, not recorded
    rerun: str | None = None  # why the current attempt was asked (`--retry --reason`)
    forgotten: datetime | None = None

    @property
    def arn(self) -> str | None:
        """None while a create is intended and not confirmed."""
        return self.seen.arn if self.seen else None

    @property
    def status(self) -> JobStatus | None:
        return self.seen.status if self.seen else None

    @property
    def attempt(self) -> int:
        """1 for the first job, 2 for the first retry, …"""
        return len(self.attempts) + 1


class QueuedCreate(Frozen):
    """A create an apply decided and could not send (the PENDING quota, its group busy), kept
    with what it was decided on: its spec, the evidence of its input as that plan read it, and
    that plan's approval (`provenance`: the plan, its change reference and approvers, and the
    run that queued it). A later run carries the approval over only while the job is declared
    with that spec and its input is still that version."""

    spec_digest: str
    inputs: tuple[InputEvidence, ...] = ()
    provenance: Provenance
    queued: UtcTime


class LineageMark(Frozen):
    """When a lineage of the state began: the state's history, so that evidence read from the
    service after a state was started again is told from evidence recorded at the time."""

    lineage: str
    started: UtcTime
    note: str = "new state"


class StateDocument(Frozen):
    version: Literal[5] = 5
    lineage: Annotated[str, Field(min_length=1)]
    serial: Annotated[int, Field(ge=0)]
    lineages: tuple[LineageMark, ...] = ()  # empty: started before version 4 kept it
    jobs: dict[str, JobRecord] = Field(default_factory=dict)
    forgotten: tuple[JobRecord, ...] = ()
    checked: dict[str, InputCheck] = Field(default_factory=dict)  # by object location
    queued: dict[str, QueuedCreate] = Field(default_factory=dict)  # by address

    @property
    def started(self) -> datetime | None:
        """When this state's lineage began, where it was recorded."""
        mine = [mark.started for mark in self.lineages if mark.lineage == self.lineage]
        return min(mine) if mine else None

    @field_validator("jobs")
    @classmethod
    def _filed_under_their_addresses(cls, jobs: dict[str, JobRecord]) -> dict[str, JobRecord]:
        """A record under another key, or named unlike its spec, would never match what the
        manifests declare: the plan would create or forget it again and again."""
        for key, record in jobs.items():
            if record.address != key:
                raise PydanticCustomError(
                    "state_key",
                    "the record filed under {key} is the one of {address}",
                    {"key": printable(repr(key)), "address": printable(repr(record.address))},
                )
            _check_names(key, record)
        return jobs


def _check_names(key: str, record: JobRecord) -> None:
    """Every attempt of `record` is named as an attempt at its spec, and what was seen of each
    is that job (its name, ARN and dataset group): a record carrying another job's status or
    numDeleted would be false evidence."""
    attempts = [*record.attempts, Attempt(job_name=record.job_name, seen=record.seen)]
    for attempt in attempts:
        if not record.spec.is_attempt_name(attempt.job_name):
            raise PydanticCustomError(
                "state_job_name",
                "the record of {key} names job {name}, which is neither its spec's job "
                "name {spec} nor a retry of it",
                {
                    "key": printable(repr(key)),
                    "name": printable(repr(attempt.job_name)),
                    "spec": printable(repr(record.spec.job_name)),
                },
            )
        seen = attempt.seen
        if seen is not None and (
            seen.job_name != attempt.job_name
            or not seen.arn.endswith(f"/{attempt.job_name}")
            or seen.dataset_group_arn != record.spec.dataset_group_arn
        ):
            raise PydanticCustomError(
                "state_seen",
                "the record of {key} shows, for its job {name}, what was seen of another job "
                "({arn} in {group})",
                {
                    "key": printable(repr(key)),
                    "name": printable(repr(attempt.job_name)),
                    "arn": printable(seen.arn),
                    "group": printable(seen.dataset_group_arn),
                },
            )


def new_state(now: datetime | None = None) -> StateDocument:
    """An empty state with a new lineage, started `now`; its first save makes it serial 1."""
    lineage = str(uuid.uuid4())
    marks = (LineageMark(lineage=lineage, started=now),) if now is not None else ()
    return StateDocument(lineage=lineage, serial=0, lineages=marks)


class UnsupportedVersion(ValueError):
    """A state written by a newer reconciler."""

    def __init__(self, version: int) -> None:
        super().__init__(f"state version {version}")
        self.version = version


def decisions_digest(document: StateDocument) -> str:
    """A digest of what the state decided: which jobs it created, retried, imported and forgot,
    under which names and specs. Statuses and numbers observed since do not change it, so what
    `status` records never makes a reviewed saved plan stale."""
    decided = [
        [
            record.address,
            record.job_name,
            record.spec_digest,
            record.arn,
            [attempt.job_name for attempt in record.attempts],
        ]
        for record in sorted(document.jobs.values(), key=lambda r: r.address)
    ]
    forgotten = sorted(record.address for record in document.forgotten)
    canonical = json.dumps([decided, forgotten], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def parse_document(raw: bytes) -> StateDocument:
    """A stored state: version 5, or version 4, 3, 2 or 1 upgraded. Raises UnsupportedVersion for a
    newer version, TooDeep for JSON nested too deeply, and pydantic's ValidationError (for an
    older version, the error of the upgraded document) when it is neither."""
    check_depth(raw)
    try:
        return StateDocument.model_validate_json(raw)
    except ValidationError as exc:
        try:
            data = loads(raw)
        except ValueError:
            raise exc from None
        version = data.get("version") if isinstance(data, dict) else None
        if version == 1:
            return StateDocument.model_validate({**upgrade_v1(data), "version": 5})
        if version in (2, 3):
            return StateDocument.model_validate({**upgrade_v3(data), "version": 5})
        if version == 4:  # the same, with nothing queued
            return StateDocument.model_validate({**data, "version": 5})
        if isinstance(version, int) and not isinstance(version, bool) and version > 5:
            raise UnsupportedVersion(version) from None
        raise


_V3_INPUT_DROPPED = ("sha256", "at")  # a plain hash leaks the users of a small file


def upgrade_v3(document: dict[str, Any]) -> dict[str, Any]:
    """A version 3 (or 2) document (as parsed JSON) in the shape of version 4: each input's plain
    SHA-256 dropped."""

    def inputs(item: Any) -> Any:
        if not isinstance(item, dict) or not isinstance(item.get("inputs"), list):
            return item
        kept = [
            {k: v for k, v in i.items() if k not in _V3_INPUT_DROPPED} if isinstance(i, dict) else i
            for i in item["inputs"]
        ]
        return {**item, "inputs": kept}

    def record(item: Any) -> Any:
        item = inputs(item)
        if isinstance(item, dict) and isinstance(item.get("attempts"), list):
            item = {**item, "attempts": [inputs(a) for a in item["attempts"]]}
        return item

    upgraded = dict(document)
    if isinstance(document.get("jobs"), dict):
        upgraded["jobs"] = {k: record(v) for k, v in document["jobs"].items()}
    if isinstance(document.get("forgotten"), list):
        upgraded["forgotten"] = [record(r) for r in document["forgotten"]]
    return upgraded


_V1_SEEN = ("arn", "status", "failure_reason", "created", "last_updated", "num_deleted")


def upgrade_v1(document: dict[str, Any]) -> dict[str, Any]:
    """A version 1 document (as parsed JSON) in the shape of version 2.

    A record or attempt without an ARN (an intent) has nothing seen. One with an ARN keeps all it
    had: where a status or a timestamp is missing (no version 1 run wrote that; a hand edit can),
    reading the upgraded document fails and names the field, so nothing is silently dropped.
    """

    def seen(item: dict[str, Any], group: Any) -> dict[str, Any] | None:
        values = {key: item.pop(key, None) for key in _V1_SEEN}
        if not values["arn"]:
            return None
        return {**values, "job_name": item.get("job_name"), "dataset_group_arn": group}

    def record(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        item = dict(item)
        spec = item.get("spec")
        group = spec.get("dataset_group_arn") if isinstance(spec, dict) else None
        item["seen"] = seen(item, group)
        attempts = item.get("attempts")
        if isinstance(attempts, list):
            item["attempts"] = [
                {"job_name": a.get("job_name"), "seen": seen(dict(a), group)}
                if isinstance(a, dict)
                else a
                for a in attempts
            ]
        return item

    upgraded = {**document, "version": 2}
    if isinstance(document.get("jobs"), dict):
        upgraded["jobs"] = {k: record(v) for k, v in document["jobs"].items()}
    if isinstance(document.get("forgotten"), list):
        upgraded["forgotten"] = [record(r) for r in document["forgotten"]]
    return upgraded
