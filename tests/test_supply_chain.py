"""The example workflows' supply chain (docs/github-workflow.md#the-supply-chain): every action
pinned by commit with its release in a comment, no checkout leaving its token behind, the tool
installed from the wheel of a pinned commit with its dependencies from a lock checked by hash
(requirements/reconciler-runtime.txt), the plan comment and the drift issue found by marker and
by the bot that wrote them, and zizmor's default audit finding nothing.

zizmor and the github-script steps run as real processes (zizmor is a binary, the scripts are
JavaScript run by node), so those tests are in the process lane."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO
from tests.test_examples import EXAMPLES, steps, workflow

WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))
LOCK = REPO / "requirements" / "reconciler-runtime.txt"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}")
RELEASE = re.compile(r"v\d+\.\d+\.\d+")
BOT = "github-actions[bot]"


def uses_lines(path: Path) -> list[tuple[int, str, str | None]]:
    """Each `uses:` line of a workflow as written: (line number, reference, comment)."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if matched := USES.match(line):
            found.append((number, matched["ref"], matched["comment"]))
    return found


def test_every_action_is_pinned_by_commit_with_its_release_in_a_comment() -> None:
    releases: dict[str, set[str]] = {}  # action@commit -> the releases its comments name
    for path in WORKFLOWS:
        lines = uses_lines(path)
        parsed = [s["uses"] for s in steps(path.name) if "uses" in s]
        assert [ref for _, ref, _ in lines] == parsed, f"{path.name}: a `uses:` not on its line"
        for number, ref, comment in lines:
            where = f"{path.name}:{number}: {ref}"
            assert PINNED.fullmatch(ref), f"{where}: not pinned by a 40-hex commit"
            assert comment and RELEASE.fullmatch(comment.split()[0]), f"{where}: no # vX.Y.Z"
            releases.setdefault(ref, set()).add(comment.split()[0])
    assert len(releases) == 5  # checkout, setup-python, credentials, github-script, artifact
    assert all(len(names) == 1 for names in releases.values()), releases
    actions = [ref.split("@")[0] for ref in releases]
    assert len(set(actions)) == len(actions), "one action at two commits: " + str(releases)


def test_no_checkout_leaves_its_token_in_the_git_config() -> None:
    checkouts = 0
    for path in WORKFLOWS:
        for step in steps(path.name):
            if step.get("uses", "").startswith("actions/checkout@"):
                checkouts += 1
                assert step.get("with", {}).get("persist-credentials") is False, path.name
    assert checkouts == 2 * len(WORKFLOWS)  # the manifests' repository and the reconciler's


def test_the_tool_is_installed_from_its_pinned_commit_with_hashed_dependencies() -> None:
    for path in WORKFLOWS:
        flow, found = workflow(path.name), steps(path.name)
        assert "RECONCILER_INSTALL" not in flow["env"]  # no floating `pip install URL@tag`
        commit = flow["env"]["RECONCILER_COMMIT"]
        assert re.fullmatch(r"[0-9a-f]{40}|YOUR-[A-Z-]+-OF-v\d+\.\d+\.\d+", commit), commit
        [source] = [s for s in found if s.get("name") == "Check out the reconciler"]
        assert source["with"]["ref"] == "${{ env.RECONCILER_COMMIT }}"
        assert source["with"]["path"] == ".reconciler"
        [install] = [s for s in found if s.get("name") == "Install"]
        commands = install["run"].splitlines()
        assert commands[0] == (
            "python -m pip install --require-hashes --no-deps "
            "-r .reconciler/requirements/reconciler-runtime.txt"
        )
        assert (
            all("--no-index" in c for c in commands[1:3])
            and "--no-build-isolation" in (commands[1])
        )
        assert commands[-1] == "python -m pip check"
        for step in found:  # nothing else installs anything
            if step is not install:
                assert "pip install" not in step.get("run", ""), (path.name, step.get("name"))
        order = [s.get("name") or s["uses"].split("@")[0] for s in found]
        assert order.index("Check out the reconciler") < order.index("Install")
        # The build runs with no AWS credential in the environment.
        assert order.index("Install") < order.index("aws-actions/configure-aws-credentials")


def locked() -> dict[str, tuple[str, list[str]]]:
    """The lock: each package's name -> (its pinned version, its sha256 hashes)."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        head, *options = line.split()
        name, version = head.split("==")
        hashes = [o.removeprefix("--hash=sha256:") for o in options]
        assert all(o.startswith("--hash=sha256:") for o in options), line
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), line
        pins[canonicalize_name(name)] = (version, hashes)
    return pins


def test_the_lock_pins_every_dependency_within_its_bounds_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = locked()
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]  # for the wheel
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in the lock: run requirements/lock"
        version, _ = pins[name]
        assert requirement.specifier.contains(version), f"{name}=={version} not {requirement}"
    assert len(pins) > len(wanted)  # their own dependencies too (boto3's s3transfer, …)
    assert "requirements/lock" in LOCK.read_text(encoding="utf-8")  # how it was made
    assert os.access(REPO / "requirements" / "lock", os.X_OK)


@pytest.mark.process
def test_zizmors_default_audit_finds_nothing_in_the_example_workflows() -> None:
    """Offline (no network, no token), its default persona, no configuration file, and no
    `zizmor: ignore` comment honoured: nothing is hidden from it."""
    zizmor = shutil.which("zizmor")
    assert zizmor, "zizmor is in the test extra: pip install -e '.[test]'"
    done = subprocess.run(
        [zizmor, "--offline", "--no-config", "--no-ignores", "--format", "json"]
        + [str(p.relative_to(REPO)) for p in WORKFLOWS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings = json.loads(done.stdout)
    said = [
        f"{f['ident']} at {f['locations'][0]['symbolic']['key']}: {f['desc']}" for f in findings
    ]
    assert said == [] and done.returncode == 0, "\n".join(said) or done.stderr
    for path in WORKFLOWS:
        assert "zizmor:" not in path.read_text(encoding="utf-8")  # no finding ignored inline


# github-script runs a step's script as the body of an async function of (require, github,
# context, …); this runs it so under node, with `github` answering from a JSON file and
# recording every call that would change something on GitHub.
HARNESS = """
const fs = require('fs');
const [script, answers] = process.argv.slice(2).map(f => fs.readFileSync(f, 'utf8'));
const data = JSON.parse(answers);
const calls = [];
const change = name => async args => { calls.push([name, args]); return { data: {} }; };
const issues = {
  listComments: async () => ({ data: data.comments }),
  listForRepo: async () => ({ data: data.issues }),
  createComment: change('createComment'), updateComment: change('updateComment'),
  create: change('create'), update: change('update'),
};
const github = { rest: { issues }, paginate: async (list, args) => (await list(args)).data };
const context = { repo: { owner: 'acme', repo: 'privacy' }, issue: { number: 12 },
  serverUrl: 'https://github.com', runId: 99 };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', script)(require, github, context)
  .then(() => process.stdout.write(JSON.stringify(calls)));
"""


def run_script(
    tmp_path: Path, name: str, step: str, answers: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """The calls that change GitHub which the github-script step `step` of `name` makes."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node runs the github-script steps")
    [found] = [s for s in steps(name) if s.get("name") == step]
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    (tmp_path / "script.js").write_text(found["with"]["script"], encoding="utf-8")
    (tmp_path / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
    env = {**os.environ, **{k: str(v) for k, v in workflow(name)["env"].items()}}
    done = subprocess.run(
        [node, "harness.js", "script.js", "answers.json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [(call, args) for call, args in json.loads(done.stdout)]


PLAN_MARKER = "<!-- reconciler-plan -->"


@pytest.mark.process
def test_the_plan_comment_updated_is_the_bots_own(tmp_path: Path) -> None:
    (tmp_path / "plan.md").write_text(f"**Plan: 1 to create**\n{PLAN_MARKER}\n")
    comments: list[dict[str, Any]] = [
        {"id": 1, "user": {"login": "mallory"}, "body": f"quoting it: {PLAN_MARKER}"},
        {"id": 2, "user": None, "body": PLAN_MARKER},  # a deleted account's
        {"id": 3, "user": {"login": BOT}, "body": "another workflow's comment"},
        {"id": 4, "user": {"login": BOT}, "body": f"**Plan: 2 to create**\n{PLAN_MARKER}\n"},
    ]
    step = "Comment the plan (one comment, updated in place)"
    calls = run_script(tmp_path, "reconciler-pr.yml", step, {"comments": comments})
    assert [(c, a.get("comment_id")) for c, a in calls] == [("updateComment", 4)]
    assert calls[0][1]["body"].startswith("**Plan: 1 to create**")
    # Someone else's comment with the marker is not the bot's: a new one is posted.
    calls = run_script(tmp_path, "reconciler-pr.yml", step, {"comments": comments[:3]})
    assert [(c, a.get("issue_number")) for c, a in calls] == [("createComment", 12)]


def drift_issue(number: int, login: str, body: str, **more: Any) -> dict[str, Any]:
    title = "reconciler check: manifests has failed or drifted deletions"
    return {"number": number, "title": title, "user": {"login": login}, "body": body, **more}


DRIFT_MARKER = "<!-- reconciler-drift: manifests -->"
OTHERS = [
    drift_issue(1, "mallory", f"same title, the marker copied {DRIFT_MARKER}"),
    drift_issue(2, BOT, f"a pull request {DRIFT_MARKER}", pull_request={}),
    drift_issue(3, BOT, "<!-- reconciler-drift: other/manifests -->"),  # another tree's
    drift_issue(4, BOT, "same title, no marker"),
]


@pytest.mark.process
def test_the_drift_issue_updated_and_closed_is_the_bots_own(tmp_path: Path) -> None:
    (tmp_path / "check.md").write_text("```\ncheck: 1 failed\n```\n")
    name, opened = "reconciler-drift.yml", "Open or update the drift issue"
    mine = drift_issue(5, BOT, f"old\n\n{DRIFT_MARKER}")
    calls = run_script(tmp_path, name, opened, {"issues": [*OTHERS, mine]})
    assert [(c, a.get("issue_number")) for c, a in calls] == [("update", 5)]
    assert calls[0][1]["body"].startswith("```\ncheck: 1 failed")
    assert calls[0][1]["body"].rstrip().endswith(DRIFT_MARKER)  # found again the next night

    calls = run_script(tmp_path, name, opened, {"issues": OTHERS})
    assert [c for c, _ in calls] == ["create"]  # none of the others is touched
    assert calls[0][1]["body"].rstrip().endswith(DRIFT_MARKER)

    calls = run_script(tmp_path, name, "Close the drift issue", {"issues": [*OTHERS, mine]})
    assert [(c, a.get("issue_number")) for c, a in calls] == [
        ("createComment", 5),
        ("update", 5),
    ]
    assert calls[1][1]["state"] == "closed"
    assert calls[0][1]["body"] == "Converged again: https://github.com/acme/privacy/actions/runs/99"
