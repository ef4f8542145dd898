"""Issue 20, the erasure lifecycle after a deletion, as pure logic: which campaigns still serve
a model trained before the deletion completed, which imports may have brought erased users back,
and when automatic training comes next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.lifecycle import Deletion, brought_back, lifecycle, next_training, retrain_step
from reconciler.models import CampaignModel, DatasetImport

GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"
SOLUTION = "arn:aws:personalize:eu-west-1:123456789012:solution/shop-recs"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the deletion job was created
DONE = T0 + timedelta(hours=3)  # and COMPLETED


def campaign(name: str, trained: datetime | None, auto: str | None = None) -> CampaignModel:
    return CampaignModel(
        arn=f"arn:aws:personalize:eu-west-1:123456789012:campaign/{name}",
        name=name,
        status="ACTIVE",
        solution_version_arn=f"{SOLUTION}/v-{name}",
        version_created=trained,
        solution_arn=SOLUTION,
        auto_training=auto,
    )


def imported(
    name: str, mode: str | None, created: datetime, done: datetime | None
) -> DatasetImport:
    return DatasetImport(
        arn=f"arn:aws:personalize:eu-west-1:123456789012:dataset-import-job/{name}",
        name=name,
        status="ACTIVE" if done else "CREATE IN_PROGRESS",
        mode=mode,  # type: ignore[arg-type]
        created=created,
        completed=done,
    )


def test_a_campaign_counts_as_retrained_only_on_a_version_trained_after_the_deletion() -> None:
    old, new = campaign("old", T0 - timedelta(days=2)), campaign("new", DONE + timedelta(hours=1))
    done = lifecycle(Deletion(dataset_group_arn=GROUP, created=T0, completed=DONE), [old, new], [])
    assert (done.retrained, done.stale, done.campaigns) == ((new,), (old,), 2)
    trained_during = campaign("during", DONE - timedelta(minutes=1))  # before it completed
    assert lifecycle(
        Deletion(dataset_group_arn=GROUP, created=T0, completed=DONE), [trained_during], []
    ).stale
    pending = lifecycle(Deletion(dataset_group_arn=GROUP, created=T0, completed=None), [new], [])
    assert pending.stale == (new,) and pending.deleted is None  # not deleted: nothing is retrained


def test_imports_that_may_have_brought_users_back() -> None:
    deletion = Deletion(dataset_group_arn=GROUP, created=T0, completed=DONE)
    full_after = imported(
        "full-after", "FULL", DONE + timedelta(days=1), DONE + timedelta(days=1, hours=1)
    )
    incremental_after = imported(
        "incr-after", "INCREMENTAL", DONE + timedelta(hours=1), DONE + timedelta(hours=2)
    )
    overlapping = imported(
        "overlap", "INCREMENTAL", T0 - timedelta(hours=1), T0 + timedelta(hours=1)
    )
    before = imported("before", "FULL", T0 - timedelta(days=3), T0 - timedelta(days=2))
    running = imported("running", "FULL", DONE, None)
    found = brought_back(deletion, [full_after, incremental_after, overlapping, before, running])
    assert [i.name for i in found] == ["overlap", "full-after"]  # by completion time
    not_yet = Deletion(dataset_group_arn=GROUP, created=None, completed=None)
    assert brought_back(not_yet, [full_after]) == []


def test_the_next_automatic_training_follows_its_rate_from_the_version_served() -> None:
    weekly = campaign("w", T0 - timedelta(days=10), "rate(7 days)")
    assert next_training(weekly, T0) == T0 - timedelta(days=10) + timedelta(days=14)
    assert next_training(campaign("h", T0, "rate(1 hour)"), T0) == T0 + timedelta(hours=1)
    assert next_training(campaign("c", T0, "cron(0 0 * * ? *)"), T0) is None  # not read
    assert next_training(campaign("n", T0), T0) is None
    step = retrain_step(weekly, T0)
    assert step.startswith(
        "train a new solution version of shop-recs (CreateSolutionVersion), then update "
        "campaign w to it (UpdateCampaign); or wait for its automatic training (rate(7 days), "
        "next about 2026-12-05)"
    )
    assert "automatic" not in retrain_step(campaign("m", T0), T0)
    following = campaign("f", T0, "rate(7 days)").model_copy(update={"follows_latest": True})
    assert "campaign f follows the latest version by itself" in retrain_step(following, T0)
    assert "update the campaign" not in retrain_step(following, T0)
    updating = campaign("u", T0).model_copy(update={"updating_to": f"{SOLUTION}/v2"})
    assert retrain_step(updating, T0).startswith("wait for its update in progress")


def test_an_import_that_does_not_say_its_mode_counts_as_full() -> None:
    deletion = Deletion(dataset_group_arn=GROUP, created=T0, completed=DONE)
    later = imported("unsaid", None, DONE + timedelta(days=1), DONE + timedelta(days=1, hours=1))
    assert [i.name for i in brought_back(deletion, [later])] == ["unsaid"]


def test_a_request_is_done_only_once_nothing_brought_its_users_back_and_its_models_serve() -> None:
    from datetime import date

    from reconciler.evidence import AttemptEvidence, JobEvidence, by_request, deadline_of
    from reconciler.models import JobStatus
    from reconciler.planning.deadlines import Regime, RequestSpec

    attempt = AttemptEvidence(
        attempt=1,
        job_name="w47",
        status=JobStatus.COMPLETED,
        created=T0,
        completed=DONE,
        input_location="s3://b/w47.csv",
    )
    job = JobEvidence(
        address="shop-eu/w47", request="PRIV-1", dataset_group_arn=GROUP, attempts=(attempt,)
    )
    [request] = by_request([job])
    spec = RequestSpec(id="PRIV-1", received=date(2026, 11, 20), regime=Regime.GDPR)
    deletion = Deletion(dataset_group_arn=GROUP, created=T0, completed=DONE)
    served = campaign("recs", DONE + timedelta(days=1)).model_copy(
        update={"last_updated": DONE + timedelta(days=3)}
    )
    clean = request.model_copy(update={"lifecycle": (lifecycle(deletion, [served], []),)})
    today = date(2026, 12, 10)
    assert deadline_of(clean, spec, today, 7).completed == DONE.date()  # data deleted
    # models retrained: on the day the campaign began to serve the new model
    assert deadline_of(clean, spec, today, 7, True).completed == (DONE + timedelta(days=3)).date()
    back = imported("full", "FULL", DONE + timedelta(hours=1), DONE + timedelta(hours=2))
    undone = request.model_copy(update={"lifecycle": (lifecycle(deletion, [served], [back]),)})
    assert deadline_of(undone, spec, today, 7).completed is None  # to run again first
