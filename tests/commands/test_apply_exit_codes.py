"""apply's exit code (`applying.verdict.exit_code`): 0 when every declared job is done or on its
way, 5 when a declared job needs a person and nothing will retry it (the plan's attention items,
a job that ended FAILED or vanished while waiting), 1 for the run's own error, which wins over
5; and `--format github`, whose `::error` annotations put each of them at its manifest line."""

from __future__ import annotations

from tests.commands.conftest import GROUP_EU, Project
from tests.commands.test_fanout import SELECT, fanout
from tests.render.outputs import controls, runner_commands

ABSENT = (  # created with --skip-preflight, the service FAILS it: its input is not there
    f"apiVersion: reconciler/v1\nkind: DeletionJobs\ndatasetGroupArn: {GROUP_EU}\n"
    "defaults: {roleArn: 'arn:aws:iam::123456789012:role/R'}\njobs:\n"
    "  - jobName: absent\n    dataSource: {dataLocation: s3://acme-privacy/absent.csv}\n"
)
FAILED_LINE = (
    "shop-eu/absent: absent FAILED (Input data not found at s3://acme-privacy/absent.csv.). "
    "Next: fix the input and, in a pull request, add `onFailure: retry` to it at "
    "manifests/absent.yaml:6:5: the next apply retries it as absent-r2; an operator can instead "
    "run `reconciler apply --retry shop-eu/absent` once"
)


def failed_job(project: Project) -> None:
    """The example's five jobs COMPLETED, and `shop-eu/absent` (onFailure: report) FAILED
    after an apply that did not wait for it."""
    project.write_manifest("absent.yaml", ABSENT)
    assert project.apply("--skip-preflight") == 0  # created: nothing is known to have failed
    project.clock.advance(3600)


def test_all_done_is_0_and_annotates_nothing(project: Project) -> None:
    assert project.apply("--format", "github", wait=True) == 0
    out = project.out.getvalue()
    assert "Apply complete: 5 created, 0 imported, 0 forgotten." in out
    assert runner_commands(out + project.err.getvalue()) == []


def test_a_failed_job_the_plan_shows_makes_apply_without_wait_exit_5(project: Project) -> None:
    failed_job(project)
    assert project.apply() == 5
    assert f"Warning: {FAILED_LINE}\n" in project.err.getvalue()
    out = project.out.getvalue()
    assert out.endswith(
        "Apply incomplete: 0 created, 0 imported, 0 forgotten; 1 job needs attention.\n"
    )
    assert "Apply complete" not in out and "Applied:" not in out
    assert project.apply("--retry", "shop-eu/gdpr-2026-w46") == 1  # a refused --retry wins
    project.write_input("absent.csv", "USER_ID\neu-00001\n")
    assert project.apply("--retry", "shop-eu/absent", wait=True) == 0  # retried: done
    assert project.apply() == 0


def test_a_job_that_fails_while_waiting_makes_apply_exit_5(project: Project) -> None:
    project.write_manifest("absent.yaml", ABSENT)
    assert project.apply("--skip-preflight", wait=True) == 5
    assert f"Error: {FAILED_LINE}\n" in project.err.getvalue()
    assert project.out.getvalue().endswith(
        "Apply incomplete: 6 created, 0 imported, 0 forgotten; 1 job FAILED.\n"
    )
    assert project.apply(wait=True) == 5  # still FAILED, and nothing retries it
    assert project.check() == 5  # as the nightly check says it


def test_a_preflight_refusal_beside_a_failed_job_is_1(project: Project) -> None:
    failed_job(project)
    location = project.write_input("headerless.csv", "eu-00001\n")
    project.write_manifest(
        "refused.yaml",
        ABSENT.replace("absent", "refused").replace("s3://acme-privacy/refused.csv", location),
    )
    assert project.apply() == 1  # the run's own error wins over the job that needs a person
    out = project.out.getvalue()
    assert out.endswith("; 1 job needs attention; 1 job refused by preflight.\n")
    assert project.apply(wait=True) == 1
    assert project.out.getvalue().endswith("; 1 job FAILED; 1 job refused by preflight.\n")


def test_a_selector_that_matches_nothing_makes_apply_exit_5(project: Project) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()  # only the selector's document
    fanout(project, SELECT.replace("shop-*", "nothing-*"))
    assert project.apply("--format", "github") == 5
    out = project.out.getvalue()
    assert out.endswith(
        "Apply incomplete: 0 created, 0 imported, 0 forgotten; 1 job needs attention.\n"
        "::error file=manifests/privacy.yaml,line=4,col=3,title=reconciler%3A "
        "manifests/privacy.yaml%3A4%3A3 needs attention::targets.select: account 123456789012, "
        "eu-west-1 + us-east-1, names matching 'nothing-*' matches no dataset group, so none of "
        "its 1 jobs is created anywhere. Next: in a pull request, fix the selector's account, "
        "regions or namePattern to match the dataset groups ListDatasetGroups lists\n"
    )
    assert project.apply(wait=True) == 5  # waiting follows no job of its: still said


# A manifest's file name and an S3 key as anyone who can write to the repository or the bucket
# may name them: a property's `:` and `,`, a `%` the runner would decode, a line break and
# what a runner reads as an annotation of its own.
MANIFEST = "50% off, for: you.yaml"
KEY = "hostile/50% off\n::error title=pwned::x%0A.csv"


def test_github_annotates_a_failed_job_at_its_line_with_every_value_escaped(
    project: Project,
) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()
    (project.root / "example-data" / "s3" / "acme-privacy" / "hostile").mkdir()
    (project.root / "example-data" / "s3" / "acme-privacy" / KEY).write_text("")  # FAILS
    project.write_manifest(
        MANIFEST, ABSENT.replace("absent", "hostile").replace("hostile.csv", "hostile/")
    )
    assert project.apply("--skip-preflight", "--format", "github", wait=True) == 5
    out, err = project.out.getvalue(), project.err.getvalue()
    [annotation] = [line for line in out.splitlines() if line.startswith("::")]
    assert annotation.startswith(
        "::error file=manifests/50%25 off%2C for%3A you.yaml,line=6,col=5,title=reconciler%3A "
        "shop-eu/hostile needs attention::hostile FAILED (Input file s3://acme-privacy/hostile/"
        "50%25 off\\n::error title=pwned::x%250A.csv"
    )
    assert runner_commands(out + err) == ["error " + annotation[len("::error ") :].split("::")[0]]
    assert controls(out + err) == []
