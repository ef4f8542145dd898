"""A saved plan is bound to the version of each object of its creates' inputs: a file replaced
after the review (even by one of the same size) makes the plan stale."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.models import InputEvidence, InputIdentity, same_inputs
from reconciler.planfile import differences
from reconciler.planning.decide import make_plan
from reconciler.planning.model import Limits, Plan
from tests.planning.builders import desired, live
from tests.planning.test_decide import ORIGIN

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def read(location: str, tag: str, version: str | None = None) -> InputEvidence:
    identity = InputIdentity(
        location=location, tag=tag, version_id=version, size=120, last_modified=T0
    )
    return InputEvidence.of(identity, rows=9, read=T0)


def with_inputs(plan: Plan, *evidence: InputEvidence) -> Plan:
    changes = tuple(c.model_copy(update={"inputs": evidence}) for c in plan.changes)
    return plan.model_copy(update={"changes": changes})


def test_a_replaced_input_makes_the_saved_plan_differ_from_the_plan_made_now() -> None:
    job = desired("a")
    base = make_plan([job], None, live([]), Limits(), ORIGIN)
    location = job.spec.data_location
    saved = with_inputs(base, read(location, '"e1"'))
    assert differences(saved, with_inputs(base, read(location, '"e1"'))) == []
    [line] = differences(saved, with_inputs(base, read(location, '"e2"')))
    assert line == (
        "  g/a: the plan says create a, now it is create a (its input is not the file the plan "
        "read: replaced, added or removed since)"
    )
    added = with_inputs(base, read(location, '"e1"'), read(location + "x", '"e3"'))
    assert differences(saved, added) != []


def test_identities_compare_version_ids_only_where_both_were_read() -> None:
    listed = read("s3://b/k.csv", '"e1"').identity
    headed = read("s3://b/k.csv", '"e1"', version="v1").identity
    other = read("s3://b/k.csv", '"e1"', version="v2").identity
    assert same_inputs([listed], [headed]) and same_inputs([headed], [headed])
    assert not same_inputs([headed], [other])
    assert not same_inputs([None], [None])  # a version not known is never the same
    assert not same_inputs([headed], [])


def test_an_identity_compares_etags_in_process_and_only_keyed_tags_once_stored() -> None:
    def now(etag: str, tag: str | None) -> InputIdentity:
        return InputIdentity(
            location="s3://b/k.csv", etag=etag, tag=tag, size=120, last_modified=T0
        )

    assert now('"e1"', None).same(now('"e1"', None))
    assert not now('"e1"', None).same(now('"e2"', None))  # both read now: their ETags
    stored = InputEvidence.of(now('"e1"', "t1"), rows=9, read=T0)
    assert '"e1"' not in stored.model_dump_json()  # never stored
    assert stored.identity is not None and stored.identity.short() == "tag t1"
    assert stored.identity.same(now('"e1"', "t1"))
    assert not stored.identity.same(now('"e2"', "t2"))  # keyed: a replaced file differs
    unkeyed = InputEvidence.of(now('"e1"', None), rows=9, read=T0).identity
    assert unkeyed is not None and unkeyed.short() == "modified 2026-11-27T10:00:00Z"
    # without a key nor a version, only the size and LastModified tell versions apart
    assert unkeyed.same(now('"e2"', None))
    moved = now('"e2"', None).model_copy(update={"last_modified": T0.replace(second=1)})
    assert not unkeyed.same(moved)


def test_an_early_0_3_0_evidence_loses_its_plain_etag_when_read() -> None:
    old = {"location": "s3://b/k.csv", "bytes": 120, "rows": 9, "read": T0.isoformat()}
    evidence = InputEvidence.model_validate({**old, "etag": '"9b2cf535"'})
    assert "9b2cf535" not in evidence.model_dump_json()
