"""Derived names and selectors of fanned-out documents (pure)."""

from __future__ import annotations

import pytest

from reconciler.diagnostics import Location
from reconciler.models import MAX_JOB_NAME, JobSpec
from reconciler.planning.fanout import (
    JobsDocument,
    JobTemplate,
    Selector,
    derived_name,
    new_groups,
    selected,
)

EU = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/"


def test_a_derived_name_is_job_dash_group_up_to_59_characters() -> None:
    job = "j" * (MAX_JOB_NAME - len("-r10") - len("-shop-eu"))
    assert derived_name(job, "shop-eu") == f"{job}-shop-eu"  # 59: kept whole
    assert len(derived_name(job, "shop-eu")) == MAX_JOB_NAME - len("-r10")


@pytest.mark.parametrize("extra", [1, 4, 5])  # 60 and 63 characters (the 63 edge), and 64
def test_a_longer_name_is_cut_with_a_stable_hash_that_keeps_names_apart(extra: int) -> None:
    job = "j" * (MAX_JOB_NAME - len("-r10") - len("-shop-eu") + extra)
    one, again = derived_name(job, "shop-eu"), derived_name(job, "shop-eu")
    other = derived_name(job, "shop-ex")  # differs only past the cut
    assert one == again and one != other
    assert len(one) == MAX_JOB_NAME - len("-r10") and one.startswith("jjjj")
    assert one.rsplit("-", 1)[1].isalnum() and len(one.rsplit("-", 1)[1]) == 8
    spec = JobSpec(
        dataset_group_arn=EU + "shop-eu", job_name=one, data_location="s3://b/k.csv", role_arn="r"
    )
    retries = [spec.job_name, *(spec.derived_name(n) for n in range(2, 11))]
    assert all(one in name for name in retries)  # retries keep the whole hashed name
    assert max(len(name) for name in retries) == MAX_JOB_NAME
    spec_other = spec.model_copy(update={"job_name": other})
    others = [n for attempt in range(2, 11) for n in spec_other.candidate_names(attempt)]
    assert not set(retries) & {other, *others}  # two groups: never one name


def test_a_selector_matches_account_region_and_name_pattern() -> None:
    selector = Selector(account="123456789012", regions=("eu-west-1",), name_pattern="shop-*")
    listed = [
        EU + "shop-uk",
        EU + "shop-eu",
        EU + "blog-eu",
        "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop-us",
        "arn:aws:personalize:eu-west-1:999999999999:dataset-group/shop-eu",
    ]
    assert selected(selector, listed) == (EU + "shop-eu", EU + "shop-uk")


def test_new_groups_are_those_without_the_documents_jobs_once_some_group_has_them() -> None:
    template = JobTemplate(
        job_name="w48", data_location="s3://b/k.csv", role_arn="r", source=Location("m.yaml")
    )
    doc = JobsDocument(source=Location("m.yaml"), fanned_out=True, jobs=(template,))
    groups = [EU + "shop-eu", EU + "shop-uk"]
    jobs = doc.expand(groups)
    assert new_groups(jobs, groups, []) == ()  # a first apply: nothing is "new"
    assert new_groups(jobs, groups, ["shop-eu/w48"]) == (EU + "shop-uk",)
    assert [(j.address, j.spec.job_name) for j in jobs] == [
        ("shop-eu/w48", "w48-shop-eu"),
        ("shop-uk/w48", "w48-shop-uk"),
    ]
