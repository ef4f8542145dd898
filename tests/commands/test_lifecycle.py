"""Issue 20, after the deletion, end to end on the emulator: a COMPLETED deletion run again with
its reason (`apply --retry ADDRESS --reason TEXT` creates NAME-r2, recorded as a re-run);
`report` and `check` say which campaigns still serve a model trained before the deletion and
which imports may have brought erased users back."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.emulator.service import EmulatorService
from reconciler.models import CampaignModel
from reconciler.providers.local import emulator_config
from reconciler.workspace import load_settings
from tests.commands.conftest import Project
from tests.emulator.conftest import Served
from tests.emulator.test_activity import active_dataset, active_version
from tests.providers.conftest import serve

W47 = "shop-eu/gdpr-2026-w47"
WHY = "FULL import nightly-2026-12-02 brought users back"
GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"
SOLUTION = "arn:aws:personalize:eu-west-1:123456789012:solution/shop-recs"


def test_a_completed_deletion_runs_again_only_with_its_reason(project: Project) -> None:
    assert project.apply(wait=True) == 0
    assert project.apply("--retry", W47) == 1  # COMPLETED: a re-run must say why
    assert "give the reason too: --reason TEXT" in project.out.getvalue()
    assert project.apply("--retry", W47, "--reason", "bad\nreason") == 1
    assert "--reason must be 1 to 200 printable characters" in project.err.getvalue()
    assert project.apply("--reason", WHY) == 1
    assert "--reason goes with --retry ADDRESS" in project.err.getvalue()
    assert project.apply("--retry", W47, "--reason", WHY, wait=True) == 0
    record = project.state().jobs[W47]
    assert (record.job_name, record.rerun) == ("gdpr-2026-w47-r2", WHY)
    [first] = record.attempts
    assert first.seen is not None and first.seen.status.value == "COMPLETED"
    assert "gdpr-2026-w47-r2" in project.live_names()
    assert project.run("report", "--request", "PRIV-1234") == 0
    assert f"    - run again on request (--retry --reason): {WHY}" in project.out.getvalue()


@pytest.mark.parametrize("done_at", ["dataDeleted", "modelsRetrained"])
def test_report_and_check_follow_the_models_and_the_imports_after_a_deletion(
    project: Project, done_at: str
) -> None:
    received = (project.clock.datetime() - timedelta(days=10)).date()
    project.write_manifest(
        "priv-1234.yaml",
        f"apiVersion: reconciler/v1\nkind: Request\nid: PRIV-1234\n"
        f"receivedAt: {received.isoformat()}\nregime: gdpr\n",
    )
    with (project.root / "manifests" / "settings.yaml").open("a") as written:
        written.write(f"deadlines: {{doneAt: {done_at}}}\n")
    retrained = done_at == "modelsRetrained"
    settings = load_settings(Path("manifests"), {})
    stop = serve(
        EmulatorService(emulator_config(settings.provider.emulator_config), clock=project.clock)
    )
    served = Served(next(stop), None, project.clock)  # type: ignore[arg-type]
    try:
        client = served.client()
        dataset = active_dataset(served, client, GROUP)
        old = active_version(served, client, GROUP, "shop-recs")
        campaign = client.create_campaign(name="recs", solutionVersionArn=old)["campaignArn"]
        project.clock.advance(60)
        assert project.apply(wait=True) == 0
        assert project.run("report", "--request", "PRIV-1234") == 0
        text = project.out.getvalue()
        assert "models retrained: 0 of 1 campaigns." in text
        assert "    - campaign `recs` serves a model trained " in text
        due = "Deadline: PRIV-1234 (gdpr): due "
        assert (due in text) and (("days left" in text) if retrained else ("on time" in text))
        # the data is deleted: the models are a warning, or (doneAt: modelsRetrained) not done
        assert project.check() == (2 if retrained else 0)
        said = "not done" if retrained else "warning"
        assert f"{said}: PRIV-1234: models retrained: 0 of 1 campaigns in shop-eu" in (
            project.out.getvalue()
        )
        client.create_dataset_import_job(
            jobName="nightly",
            datasetArn=dataset,
            dataSource={"dataLocation": "s3://acme-privacy/nightly.csv"},
            roleArn="arn:aws:iam::123456789012:role/R",
            importMode="FULL",
        )
        project.clock.advance(120)
        assert project.check() == 5
        assert "brought back: PRIV-1234: dataset import job nightly (FULL) completed " in (
            project.out.getvalue()
        )
        new = client.create_solution_version(solutionArn=SOLUTION)["solutionVersionArn"]
        project.clock.advance(120)
        client.update_campaign(campaignArn=campaign, solutionVersionArn=new)
        project.clock.advance(120)
        assert project.run("report", "--request", "PRIV-1234", "--format", "json") == 0
        [shown] = json.loads(project.out.getvalue())["requests"]
        assert shown["modelsRetrained"] == {"retrained": 1, "campaigns": 1}
        assert shown["deadline"]["standing"] == "open"  # brought back: to run again
        assert [i["name"] for i in shown["lifecycle"][0]["broughtBack"]] == ["nightly"]
    finally:
        next(stop, None)


def test_check_reads_each_groups_campaigns_and_imports_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.providers.base import ServiceProvider

    asked: list[str] = []
    real = ServiceProvider.campaigns

    def counted(self: ServiceProvider, group: str) -> list[CampaignModel]:
        asked.append(group)
        return real(self, group)

    monkeypatch.setattr(ServiceProvider, "campaigns", counted)
    assert project.apply(wait=True) == 0
    assert project.check() == 0
    # three requests in shop-eu (PRIV-1201, PRIV-1234, closed-accounts-2026-11), two in shop-us
    assert sorted(asked) == sorted(
        {GROUP, GROUP.replace("eu-west-1", "us-east-1").replace("shop-eu", "shop-us")}
    )
