"""Hand-made evidence of an erasure, as apply records it (an input's identity and keyed digest,
the provenance of a create from a GitHub run and from flags) and as a rebuilt state has it
(recovered): the values the report's tests build records and reports from."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from reconciler.models import InputEvidence, InputIdentity, Provenance, RunInfo

T0 = datetime(2026, 11, 28, 22, 50, tzinfo=UTC)
CONTENT = b"USER_ID\nonly-user-7\n"  # a file of one user: its plain SHA-256 gives the ID back
KEY = b"the team's digest key"
KEY_ID = "key-2f1c9a"
PLAIN_SHA256 = hashlib.sha256(CONTENT).hexdigest()
KEYED = hmac.new(KEY, CONTENT, hashlib.sha256).hexdigest()
SEAL = "sha256:" + "5e" * 32  # a saved plan's digest
PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/reconciler-apply/gh-4242"
RUN_URL = "https://github.com/acme/privacy/actions/runs/4242"
GITHUB_RUN = RunInfo(
    kind="github",
    url=RUN_URL,
    repository="acme/privacy",
    run_id="4242",
    run_attempt="1",
    sha="f67a95a6639e" + "0" * 28,
    workflow="reconciler-apply",
    actor="dana",
)
HOST_RUN = RunInfo(kind="host", host="laptop-7", user="sam")


def identity(location: str = "s3://acme-privacy/w47.csv") -> InputIdentity:
    return InputIdentity(
        location=location,
        etag='"9b2cf535f27731c974343645a3985328"',
        tag="5d0c1f7e2a9b4c83e6f1a2b3c4d5e6f7",
        version_id="3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
        size=len(CONTENT),
        last_modified=T0 - timedelta(hours=2),
    )


def evidence(location: str = "s3://acme-privacy/w47.csv", keyed: bool = True) -> InputEvidence:
    """What apply records of the input before the create: with a keyed digest where a key is
    configured (`keyed`)."""
    return InputEvidence.of(
        identity(location),
        rows=1,
        read=T0 - timedelta(minutes=1),
        hmac=KEYED if keyed else None,
        key_id=KEY_ID if keyed else None,
    )


def reviewed(**changes: object) -> Provenance:
    """A create from a reviewed saved plan, in a GitHub run, approved by the PR's reviewers."""
    made = Provenance(
        principal=PRINCIPAL,
        run=GITHUB_RUN,
        plan_id="plan-7",
        plan_digest=SEAL,
        change_ref="https://github.com/acme/privacy/pull/7",
        approved_by=("alice", "bob"),
        recorded=T0,
    )
    return made.model_copy(update=changes)


def same_run() -> Provenance:
    """A create planned and applied in one run on a laptop, with no approval given."""
    return Provenance(principal=None, run=HOST_RUN, plan_id="plan-8", recorded=T0)
