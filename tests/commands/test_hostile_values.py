"""Hostile values from outside as the commands meet them: an S3 key and the service's failure
reason that carry a line break and a workflow command, a state path with a Markdown heading in
it. Every command prints them escaped for its format: no line of their own, no command a GitHub
Actions runner would run, no raw control character."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.commands.conftest import GROUP_EU, Project
from tests.render.outputs import controls, markdown_problems, runner_commands

# An S3 key as anyone who can write to the bucket may name it: a line break, then what a runner
# reads as an annotation of its own, an escape sequence and a bidirectional override.
KEY = "hostile/x\n::error title=pwned::gotcha \x1b[2J\u202e.csv"
MANIFEST = f"""apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP_EU}
defaults: {{roleArn: 'arn:aws:iam::123456789012:role/R'}}
jobs:
  - jobName: hostile
    dataSource: {{dataLocation: s3://acme-privacy/hostile/}}
"""


def hostile_input(project: Project) -> None:
    """A prefix holding one empty .csv under KEY: preflight refuses it, naming the key; created
    anyway (--skip-preflight), the service FAILS it with a reason that names the key."""
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()
    (project.root / "example-data" / "s3" / "acme-privacy" / "hostile").mkdir()
    (project.root / "example-data" / "s3" / "acme-privacy" / KEY).write_text("")
    project.write_manifest("hostile.yaml", MANIFEST)


def tools_commands_only(output: str) -> list[str]:
    """The runner commands in `output` the tool did not write (its own are titled)."""
    return [c for c in runner_commands(output) if "title=reconciler" not in c]


def test_r2_05_s3_keys_and_failure_reasons_never_become_workflow_commands(
    project: Project,
) -> None:
    hostile_input(project)
    assert project.run("plan", "--format", "github") == 1  # refused by preflight
    out, err = project.out.getvalue(), project.err.getvalue()
    assert "the file is empty" in out and "pwned" in out  # the key is shown, escaped
    assert tools_commands_only(out + err) == [] and controls(out + err) == []
    assert "s3://acme-privacy/hostile/x\\n::error title=pwned::gotcha \\x1b[2J\\u202e.csv" in out

    assert project.apply("--skip-preflight", wait=True) == 5  # the service FAILS it
    out, err = project.out.getvalue(), project.err.getvalue()
    assert "FAILED" in out + err and "pwned" in out + err
    assert runner_commands(out + err) == [] and controls(out + err) == []

    assert project.run("check", "--format", "github") == 5
    out = project.out.getvalue()
    assert "x\\n::error title=pwned::gotcha \\x1b[2J\\u202e.csv" in out
    assert tools_commands_only(out) == [] and controls(out) == []
    for fmt in ("text", "markdown"):
        assert project.status("--format", fmt) == 0
        out = project.out.getvalue()
        assert "pwned" in out and runner_commands(out) == [] and controls(out) == []
    assert project.run("plan", "--detailed-exitcode") == 2
    assert runner_commands(project.out.getvalue()) == []


def test_a_state_path_with_a_line_break_stays_on_its_line(project: Project) -> None:
    settings = project.root / "manifests" / "settings.yaml"
    hostile = 'state: {path: "st\\n::error title=pwned::x\\n# <b>@team/state.json"}\n'
    settings.write_text(settings.read_text() + hostile)
    assert project.apply() == 0
    assert Path("st\n::error title=pwned::x\n# <b>@team/state.json").is_file()
    shown = "<code>st ::error title=pwned::x # &lt;b&gt;@<!-- -->team/state.json</code>"
    assert project.run("plan", "--format", "markdown") == 0
    comment = project.out.getvalue()
    assert f"state {shown} · API calls" in comment
    assert markdown_problems(comment, comment) == []
    assert project.run("report") == 0
    report = project.out.getvalue()
    assert f"State: {shown} · generated" in report
    assert markdown_problems(report, report) == []
    assert project.run("force-unlock", "no-such-lock") == 1  # an error naming the state
    err = project.err.getvalue()
    assert err.startswith("Error: ") and not controls(err, "\n") and not runner_commands(err)


PR = f"""apiVersion: reconciler/v1
kind: DeletionJobs
datasetGroupArn: {GROUP_EU}
defaults: {{roleArn: 'arn:aws:iam::123456789012:role/R'}}
jobs:
  - jobName: hostile
    dataSource:
      dataLocation: 's3://acme-privacy/<img src=x onerror=alert(1)>|`x`|@team.csv'
    tags: {{request: '@team/reviewers'}}
"""


def test_manifest_and_git_values_are_escaped_in_the_comment_and_the_report(
    project: Project,
) -> None:
    for path in (project.root / "manifests").glob("shop-*.yaml"):
        path.unlink()
    project.write_manifest("pr.yaml", PR)
    author = ["-c", "user.name=Eve *@org/admins*", "-c", "user.email=eve@example.com"]
    for args in (
        ["init", "-q"],
        ["add", "manifests"],
        ["commit", "-q", "-m", "</details> <!-- reconciler-plan --> @team | x"],
    ):
        subprocess.run(["git", *author, *args], cwd=project.root, check=True, timeout=60)
    assert project.run("plan", "--format", "markdown") == 1  # refused: no such input
    comment = project.out.getvalue()
    assert comment.count("<!-- reconciler-plan -->") == 1
    shown = "s3://acme-privacy/&lt;img src=x onerror=alert(1)&gt;\\|\\`x\\`\\|@<!-- -->team.csv"
    assert f"> {shown} does not exist (HeadObject)" in comment
    assert markdown_problems(comment, comment) == []
    assert project.run("report") == 0
    report = project.out.getvalue()
    assert "## @<!-- -->team/reviewers: ⏳ pending" in report
    assert "by Eve \\*@<!-- -->org/admins\\* &lt;eve@example.com&gt;" in report
    assert ": &lt;/details&gt; &lt;!-- reconciler-plan --&gt; @<!-- -->team \\| x" in report
    assert markdown_problems(report, report) == []
