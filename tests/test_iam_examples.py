"""The IAM policies under examples/iam/, which docs/iam.md links: each file is an IAM policy
document, and together they grant what the code asks for. The plan role reads (Personalize, the
inputs, the state); the apply role has the plan role's policy and its own (creates, PassRole to
Personalize only, state writes and the lock); only the `production` environment may assume the
apply role. What each role needs is listed here as docs/iam.md says it; the Personalize operations
and S3 actions the code names (outside the emulator) are found in the code itself, so a new call
without its permission fails here."""

from __future__ import annotations

import ast
import json
import re
from fnmatch import fnmatchcase
from functools import cache
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest

from reconciler.state.s3 import S3Backend
from tests.conftest import REPO, ROLE

IAM = REPO / "examples" / "iam"
DOCS = REPO / "docs"
FILES = [
    "apply-role.json",
    "apply-trust.json",
    "deletion-role.json",
    "deletion-trust.json",
    "plan-role.json",
    "plan-trust.json",
]
ROLES = {"plan": ["plan-role.json"], "apply": ["plan-role.json", "apply-role.json"]}

# The example's names, as the policy files and docs/state.md spell them.
INPUTS = "acme-privacy"
STATE_BUCKET = "acme-reconciler-state"
KEY = "personalize/deletions.json"
GROUP = "arn:aws:personalize:eu-west-1:123456789012:dataset-group/shop-eu"
JOB = "arn:aws:personalize:eu-west-1:123456789012:data-deletion-job/gdpr-2026-w47"
REPOSITORY = "repo:YOUR-ORG/privacy-manifests"


def policy(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((IAM / name).read_text(encoding="utf-8"))
    return loaded


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def allows(role: str, action: str, resource: str) -> bool:
    """Whether an Allow statement of the role's policies grants the action on the resource (IAM
    wildcards; action names are case-insensitive, ARNs are not). No Deny is used here."""
    for name in ROLES[role]:
        for statement in policy(name)["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = _listed(statement["Action"])
            if not any(fnmatchcase(action.lower(), a.lower()) for a in actions):
                continue
            if any(fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
                return True
    return False


@cache
def state_objects() -> tuple[str, str, str]:
    """The objects the s3 backend keeps beside the state (KEY, KEY.lineage, KEY.lock), as the
    backend names them; nothing is sent (the client is never called)."""
    settings: Any = SimpleNamespace(bucket=STATE_BUCKET, key=KEY)
    backend = S3Backend(settings, client=object())
    return backend.key, backend.lineage_key, backend.lock_key


def s3(key: str = "") -> str:
    return f"arn:aws:s3:::{key}"


def needs(role: str) -> list[tuple[str, str]]:
    """(action, resource) the role needs, as docs/iam.md's table says."""
    state, lineage, lock = (s3(f"{STATE_BUCKET}/{k}") for k in state_objects())
    read = [
        "ListDataDeletionJobs",
        "DescribeDataDeletionJob",
        "DescribeDatasetGroup",
        "ListTagsForResource",
        "ListDatasetGroups",
        "ListDatasets",
        "ListDatasetImportJobs",
        "ListSolutions",
        "ListSolutionVersions",
        "ListBatchInferenceJobs",
        "ListBatchSegmentJobs",
    ]
    plan = [(f"personalize:{operation}", GROUP) for operation in read] + [
        ("s3:GetObject", s3(f"{INPUTS}/2026/w47.csv")),
        ("s3:ListBucket", s3(INPUTS)),
        ("s3:GetObject", state),
        ("s3:GetObject", lineage),
        ("s3:GetObject", lock),
        ("s3:ListBucket", s3(STATE_BUCKET)),
        ("s3:GetBucketVersioning", s3(STATE_BUCKET)),
    ]
    if role == "plan":
        return plan
    return [
        *plan,
        ("personalize:CreateDataDeletionJob", GROUP),
        ("personalize:CreateDataDeletionJob", JOB),
        ("personalize:TagResource", JOB),
        ("iam:PassRole", ROLE),
        ("s3:PutObject", state),
        ("s3:PutObject", lineage),
        ("s3:PutObject", lock),
        ("s3:DeleteObject", lock),
    ]


def named_in_code(keep: Any) -> set[str]:
    """String constants of the package (the emulator left out: it is the service) that `keep`
    accepts."""
    found: set[str] = set()
    for path in (REPO / "reconciler").rglob("*.py"):
        if path.relative_to(REPO / "reconciler").parts[0] == "emulator":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and keep(node.value):
                found.add(node.value)
    return found


def test_every_file_is_an_iam_policy_document() -> None:
    assert sorted(p.name for p in IAM.iterdir()) == FILES
    for name in FILES:
        document = policy(name)
        assert document["Version"] == "2012-10-17", name
        statements = document["Statement"]
        assert isinstance(statements, list) and statements, name
        sids = [s["Sid"] for s in statements if "Sid" in s]
        assert len(sids) == len(set(sids)), name
        for statement in statements:
            assert statement["Effect"] in ("Allow", "Deny"), name
            actions = _listed(statement["Action"])
            assert actions and all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", a) for a in actions)
            if name.endswith("-trust.json"):  # a role's trust policy names who, not what
                assert "Principal" in statement and "Resource" not in statement, name
            else:
                assert "Resource" in statement and "Principal" not in statement, name
                assert all(r == "*" or r.startswith("arn:") for r in _listed(statement["Resource"]))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_is_granted_what_the_docs_say_it_needs(role: str) -> None:
    missing = [(a, r) for a, r in needs(role) if not allows(role, a, r)]
    assert missing == []


def test_the_plan_role_only_reads() -> None:
    state, lineage, lock = (s3(f"{STATE_BUCKET}/{k}") for k in state_objects())
    writes = [
        ("personalize:CreateDataDeletionJob", GROUP),
        ("personalize:CreateDataDeletionJob", JOB),
        ("personalize:TagResource", JOB),
        ("iam:PassRole", ROLE),
        *[("s3:PutObject", k) for k in (state, lineage, lock)],
        ("s3:DeleteObject", lock),
    ]
    assert [(a, r) for a, r in writes if allows("plan", a, r)] == []
    pass_role = next(
        s for s in policy("apply-role.json")["Statement"] if "iam:PassRole" in _listed(s["Action"])
    )
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}
    }


def test_every_personalize_operation_the_code_calls_is_granted() -> None:
    model = botocore.session.get_session().get_service_model("personalize")
    called = named_in_code(lambda value: value in model.operation_names)
    assert {"ListDataDeletionJobs", "CreateDataDeletionJob", "ListSolutionVersions"} <= called
    resource = {"CreateDataDeletionJob": JOB}
    for operation in sorted(called):
        role = "plan" if operation.startswith(("List", "Describe")) else "apply"
        assert allows(role, f"personalize:{operation}", resource.get(operation, GROUP)), operation
        needed = {a for a, _ in needs(role)}
        assert f"personalize:{operation}" in needed, f"{operation}: add it to needs() and the docs"


def test_every_s3_permission_the_code_names_is_granted() -> None:
    """The backends and preflight name the S3 permission a denied call needs; each is granted
    (on the state's objects or bucket, or the inputs)."""
    named = named_in_code(lambda value: re.fullmatch(r"s3:[A-Za-z]+", value) is not None)
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"} <= named
    granted = {a for a, _ in needs("apply")}
    assert named <= granted
    assert all(allows("apply", a, r) for a, r in needs("apply") if a in named)


def test_the_deletion_role_reads_the_inputs_for_personalize() -> None:
    (statement,) = policy("deletion-role.json")["Statement"]
    assert sorted(_listed(statement["Action"])) == ["s3:GetObject", "s3:ListBucket"]
    resources = _listed(statement["Resource"])
    assert any(fnmatchcase(s3(f"{INPUTS}/2026/w47.csv"), r) for r in resources)
    assert s3(INPUTS) in resources
    (trust,) = policy("deletion-trust.json")["Statement"]
    assert trust["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"


def _subjects(name: str) -> tuple[dict[str, Any], list[str]]:
    (statement,) = policy(name)["Statement"]
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    assert statement["Principal"] == {"Federated": provider}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]
    aud = condition["StringEquals"]["token.actions.githubusercontent.com:aud"]
    assert aud == "sts.amazonaws.com"
    sub = "token.actions.githubusercontent.com:sub"
    subjects = _listed(condition.get("StringLike", {}).get(sub, []))
    return condition, subjects + _listed(condition["StringEquals"].get(sub, []))


def test_only_the_production_environment_may_assume_the_apply_role() -> None:
    condition, subjects = _subjects("apply-trust.json")
    assert subjects == [f"{REPOSITORY}:environment:production"]
    assert set(condition) == {"StringEquals"}  # no pattern: exactly that subject
    _, plan = _subjects("plan-trust.json")
    assert plan == [f"{REPOSITORY}:pull_request", f"{REPOSITORY}:ref:refs/heads/main"]


def test_the_docs_link_every_file_and_name_no_permission_the_files_lack() -> None:
    page = (DOCS / "iam.md").read_text(encoding="utf-8")
    for name in FILES:
        assert f"(../examples/iam/{name})" in page, name
    state = (DOCS / "state.md").read_text(encoding="utf-8")
    assert f"bucket: {STATE_BUCKET}" in state and f"key: {KEY}" in state
    granted = {
        a.lower()
        for name in FILES
        for statement in policy(name)["Statement"]
        for a in _listed(statement["Action"])
    }
    for page_name in ("iam.md", "providers.md", "state.md"):
        text = (DOCS / page_name).read_text(encoding="utf-8")
        said = set(re.findall(r"`((?:personalize|s3|iam):[A-Za-z]+)`", text))
        assert {a for a in said if a.lower() not in granted} == set(), page_name
