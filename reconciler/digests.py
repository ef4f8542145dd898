"""The evidence of a job's input: the SHA-256, size and number of user rows of each object it
names, read whole as a stream where the service will read it (S3, or the emulator's directory).

Apply reads them just before a job is created and records them with it; `report` reads them for
a record that has none. Only the digests and counts are kept: never a line of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from reconciler.models import InputEvidence
from reconciler.providers.inputs import InputError, InputObject, InputReader


def digest_inputs(
    location: str,
    region: str,
    reader: InputReader,
    now: datetime,
) -> tuple[InputEvidence, ...]:
    """Every object at `location` digested: the object, or each .csv under the prefix. Raises
    InputError when one cannot be read (a missing object is left out)."""
    if not location.startswith("s3://"):
        raise InputError(f"{location}: only s3:// inputs are read")
    bucket, _, key = location.removeprefix("s3://").partition("/")
    if key.endswith("/"):
        objects = reader.csv_under(bucket, key, region)
    else:
        objects = [InputObject(key=key, size=0)]
    found = []
    for item in objects:
        read = reader.digest(bucket, item.key, region)
        if read is not None:
            _, rows, size = read
            found.append(
                InputEvidence(location=f"s3://{bucket}/{item.key}", rows=rows, bytes=size, read=now)
            )
    return tuple(found)


class Digester:
    """Digests by location, each read once per run; a location that cannot be read is told to
    `note` once and gives no digest (the job is created all the same: preflight passed it)."""

    def __init__(
        self, reader: InputReader, clock: Callable[[], datetime], note: Callable[[str], object]
    ) -> None:
        self.reader = reader
        self.clock = clock
        self.note = note
        self._done: dict[str, tuple[InputEvidence, ...]] = {}

    def __call__(self, location: str, region: str) -> tuple[InputEvidence, ...]:
        if location not in self._done:
            try:
                self._done[location] = digest_inputs(location, region, self.reader, self.clock())
            except InputError as exc:
                self.note(f"the digest of {location} is not recorded ({exc})")
                self._done[location] = ()
        return self._done[location]
