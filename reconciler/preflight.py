"""Preflight: what the service would FAIL a job for, found before the job is created, and the
evidence of each input (its identity, rows, bytes, keyed digest) that the plan is bound to.

A deletion job whose input is missing, too large or has a bad row is accepted by the service and
FAILS hours later, and its name can never be used again. For every job a plan would create or
retry, its input is read where the service will read it (`InputReader`: S3, or the emulator's
directory):

- which objects, and which version of each (`identities`): `s3://BUCKET/KEY.csv` by HeadObject
  (ETag, VersionId where the bucket is versioned, size, LastModified); `s3://BUCKET/PREFIX/`
  every `.csv` object under the prefix, recursively (ListObjectsV2, every page; no VersionId);
- all of them together are at most `preflight.maxInputBytes`;
- each object read whole, as a stream, of the version found (GetObject with IfMatch its ETag and
  its VersionId: an object replaced meanwhile is an error, not a read of the new one), every row
  checked by `reconciler.userrows` (the emulator FAILs its jobs by the same rules): the header
  `USER_ID`, then rows that are blank or one USER_ID of at most 256 characters. A file with no
  data rows is a warning. Where a digest key is configured, its HMAC-SHA256 is computed on the
  way (never a plain hash).

An object is read once per identity: `preflight` takes the checks the state kept (`cache`, by
object location) and reuses one whose identity is the same as the one found now (and whose
digest is under the same key), and returns the checks it made for the state to keep. A file's
contents are never quoted: a wrong header is "the first line is not the header USER_ID" (in a
file without one, the first line is a user ID), a wrong row is named by its number (the header
is row 1). Each location is read once per run, however many jobs name it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.models import DatasetGroupRef, InputCheck, InputEvidence, InputIdentity
from reconciler.planning.model import Change
from reconciler.providers.inputs import (
    DigestKey,
    InputChanged,
    InputDenied,
    InputError,
    InputReader,
    split_location,
)
from reconciler.userrows import UserRows

NO_ROWS = "has no data rows (only the USER_ID header): its job would delete nobody"


@dataclass(frozen=True)
class Finding:
    """What preflight found of one job's input: an error refuses the job, a warning is said."""

    address: str
    error: bool
    message: str


@dataclass(frozen=True)
class Preflight:
    """What preflight found: `findings` by job, `evidence` of each input by its data location
    (each object as read now, or as the cache had it at the same identity; none where it could
    not be read), and `checks`: the objects read whole this time, by location, for the state
    to keep (`StateDocument.checked`)."""

    findings: tuple[Finding, ...] = ()
    evidence: dict[str, tuple[InputEvidence, ...]] = field(default_factory=dict)
    checks: dict[str, InputCheck] = field(default_factory=dict)

    @property
    def weakly_identified(self) -> int:
        """The objects read known by their size and LastModified only: no VersionId (an
        unversioned bucket, or listed under a prefix) and no keyed tag (no digest key)."""
        return sum(
            1
            for read in self.evidence.values()
            for item in read
            if item.tag is None and item.version_id is None
        )


WEAK_IDENTITY = (
    "neither a VersionId (bucket versioning, and a key rather than a prefix) nor a digest key "
    "(evidence.digestKey: the ETag is then kept keyed) tells their versions apart, and the ETag "
    "itself is never stored (it may be the MD5 of the file): a file replaced by one of the same "
    "size within the same second would not make a saved plan stale. Set evidence.digestKey, or "
    "turn versioning on"
)


def preflight(
    changes: Iterable[Change],
    reader: InputReader,
    max_bytes: int,
    cache: Mapping[str, InputCheck] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Preflight:
    """The findings and evidence of the inputs of every change that creates a job."""
    scan = Scan(reader, max_bytes, cache or {}, clock)
    found: dict[str, list[tuple[bool, str]]] = {}
    findings: list[Finding] = []
    for change in changes:
        if not change.creates or change.desired is None:
            continue
        location = change.desired.data_location
        region = DatasetGroupRef.parse(change.dataset_group_arn).region
        if location not in found:
            found[location] = scan.location(location, region)
        findings += [Finding(change.address, error, text) for error, text in found[location]]
    return Preflight(tuple(findings), dict(scan.evidence), dict(scan.checks))


def identities(location: str, region: str, reader: InputReader) -> tuple[InputIdentity, ...]:
    """Which objects `location` names now, each at which version: the object (HeadObject), or
    every .csv under the prefix (ListObjectsV2); () where there is none (or the location is not
    on S3). What apply compares with the plan's evidence (`models.same_inputs`) before a create.
    Raises InputError (InputDenied) when it cannot be told."""
    if not location.startswith("s3://"):
        return ()
    bucket, key = split_location(location)
    if key.endswith("/"):
        return tuple(reader.csv_under(bucket, key, region))
    found = reader.identity(bucket, key, region)
    return () if found is None else (found,)


class Scan:
    """One run's reads: each object read once per identity (this run's `checks`, then the
    state's `cache`), the digest key asked for once, where one is needed."""

    def __init__(
        self,
        reader: InputReader,
        max_bytes: int,
        cache: Mapping[str, InputCheck],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.reader = reader
        self.max_bytes = max_bytes
        self.cache = cache
        self.clock = clock or _now
        self.checks: dict[str, InputCheck] = {}  # read whole now, by object location
        self.evidence: dict[str, tuple[InputEvidence, ...]] = {}  # by data location
        self._key: list[DigestKey | None] = []

    def location(self, location: str, region: str) -> list[tuple[bool, str]]:
        """(is it an error, what) of everything wrong with the input at `location`."""
        if not location.startswith("s3://"):
            return [(False, f"{location}: preflight reads only s3:// locations; not checked")]
        try:
            return self._location(location, region)
        except InputDenied as exc:
            return [
                (
                    True,
                    f"{exc}. The job's role may be able to read what these credentials cannot: "
                    f"grant {exc.permission} to them, or plan with --skip-preflight",
                )
            ]
        except InputError as exc:
            return [(True, f"{exc}; try again, or plan with --skip-preflight")]

    def _location(self, location: str, region: str) -> list[tuple[bool, str]]:
        self.evidence.pop(location, None)
        objects = identities(location, region, self.reader)
        if not objects:
            if location.endswith("/"):
                return [(True, f"{location}: no .csv object under the prefix (ListObjectsV2)")]
            return [(True, f"{location} does not exist (HeadObject)")]
        total = sum(o.size for o in objects)
        if total > self.max_bytes:  # refused whatever it holds: not read
            files = f" in {len(objects)} files" if len(objects) > 1 else ""
            return [
                (
                    True,
                    f"{location} holds {total} bytes{files}, over preflight.maxInputBytes "
                    f"({self.max_bytes}): split it into jobs of at most {self.max_bytes} bytes",
                )
            ]
        found: list[tuple[bool, str]] = []
        checks = [self.check(item, region) for item in objects]
        for check in checks:
            where = check.evidence.location
            if check.problem is not None:
                found.append((True, f"{where}: {check.problem}"))
            elif check.evidence.rows == 0:
                found.append((False, f"{where}: {NO_ROWS}"))
        self.evidence[location] = tuple(check.evidence for check in checks)
        return found

    def check(self, identity: InputIdentity, region: str) -> InputCheck:
        """The check of one object at `identity`: made this run, kept by the state, or read."""
        key = self.digest_key(region)
        for known in (self.checks.get(identity.location), self.cache.get(identity.location)):
            if known is not None and _reusable(known, identity, key):
                return known
        check = self._read(identity, region, key)
        self.checks[identity.location] = check
        return check

    def digest_key(self, region: str) -> DigestKey | None:
        if not self._key:
            self._key.append(self.reader.digest_key(region))
        return self._key[0]

    def _read(self, identity: InputIdentity, region: str, key: DigestKey | None) -> InputCheck:
        rows = UserRows()
        mac = key.hmac() if key is not None else None

        def feed(chunk: bytes) -> bool:
            if mac is not None:
                mac.update(chunk)
            return rows.feed(chunk)

        if identity.size:  # an empty object: nothing to read
            self.reader.stream(identity, region, feed)
        problem = rows.end()
        if problem is None and rows.bytes != identity.size:
            raise InputChanged(
                f"{identity.location} changed while preflight read it ({rows.bytes} bytes read, "
                f"{identity.size} expected)"
            )
        evidence = InputEvidence.of(
            identity,
            rows=rows.rows,
            read=self.clock(),
            hmac=mac.hexdigest() if problem is None and mac is not None else None,
            key_id=key.key_id if key is not None else None,
        )
        return InputCheck(evidence=evidence, problem=None if problem is None else str(problem))


def _reusable(check: InputCheck, identity: InputIdentity, key: DigestKey | None) -> bool:
    """Whether `check` was made of this version of the object, under the key in use now (its
    tag and its digest are under that key, or both were made without one)."""
    known = check.evidence.identity
    if known is None or not known.same(identity):
        return False
    if (check.evidence.tag is None) != (key is None):  # made without the key, or with one
        return False
    return check.evidence.key_id == (key.key_id if key else None)


def _now() -> datetime:
    return datetime.now(UTC)


def check_location(
    location: str, region: str, reader: InputReader, max_bytes: int
) -> list[tuple[bool, str]]:
    """(is it an error, what) of everything wrong with the input at `location`, read now."""
    return Scan(reader, max_bytes, {}).location(location, region)
