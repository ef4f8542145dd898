"""A create that waits (for a PENDING slot, or for its group to be quiet) is preflighted again
just before it is sent: an input that went away meanwhile never gets a job that would FAIL and
use up its name."""

from __future__ import annotations

from pathlib import Path

from tests.commands.conftest import Project
from tests.commands.test_retry_names import GROUP, ROLE, jobs_in


def test_r2_08_a_queued_create_whose_input_went_away_is_not_sent(project: Project) -> None:
    with (project.root / "manifests" / "settings.yaml").open("a") as settings:
        settings.write("quotas: {maxPendingJobsPerDatasetGroup: 1}\n")
    first = project.write_input("first.csv", "USER_ID\neu-00001\n")
    second = project.write_input("second.csv", "USER_ID\neu-00002\n")
    project.write_manifest(
        "a.yaml",
        f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP}\n"
        f"defaults: {{roleArn: '{ROLE}'}}\njobs:\n"
        f"  - jobName: first\n    dataSource: {{dataLocation: {first}}}\n"
        f"  - jobName: second\n    dataSource: {{dataLocation: {second}}}\n",
    )
    gone = project.root / "example-data" / "s3" / "acme-privacy" / "second.csv"

    def delete_once_first_is_created(point: str, address: str) -> None:
        if (point, address) == ("after_create", "shop-eu/first") and gone.exists():
            gone.unlink()  # someone moves the file while `second` waits for the slot

    assert project.apply(wait=True, checkpoint=delete_once_first_is_created) == 1
    out = project.out.getvalue()
    assert "shop-eu/first: created" in out
    assert (
        "shop-eu/second: FAILED to create: not sent: its input is gone (no object at its "
        "location now); nothing to delete from; nothing was created" in out
    )
    assert "second" not in jobs_in(project, GROUP)  # no job, so the name is not used up
    assert "shop-eu/second" not in project.state().jobs
    Path(gone).write_text("USER_ID\neu-00002\n")  # the file is back
    assert project.apply(wait=True) == 0
    assert "second" in jobs_in(project, GROUP)
