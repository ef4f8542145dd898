"""The IAM policies under examples/iam/, which docs/iam.md explains statement by statement: each
file is an IAM policy document, and together they grant what the code asks for, in every region
the example manifests use, on resources the Service Authorization Reference says each action
accepts, and no more than that.

The plan role reads (Personalize, the inputs under their prefixes, the state); the apply role has
the plan role's policy and its own (creates and their tags, PassRole to Personalize only, state
writes and the lock); the deletion role reads the inputs for Personalize, which may assume it only
for this account's resources (`aws:SourceAccount`, `aws:SourceArn`). Who may assume the two OIDC
roles is found from the example workflows themselves (the subject claim each job's token
carries), so a workflow that changes its trigger or environment fails here.

The Personalize operations and S3 permissions the code names (outside the emulator) are found in
the code itself, so a new call without its permission fails here. IAM evaluation is modelled as
far as these files need: Allow statements, `*`/`?` wildcards, `StringEquals`/`StringLike`
conditions (a key the request does not carry fails the condition)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from functools import cache
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
import yaml

from reconciler.manifest.loader import load_manifests
from reconciler.models import DesiredJob
from reconciler.providers.inputs import split_location
from reconciler.state.s3 import S3Backend
from tests.conftest import REPO, ROLE, SHIPPED_MANIFESTS

IAM = REPO / "examples" / "iam"
WORKFLOWS = REPO / "examples" / "github"
DOCS = REPO / "docs"
FILES = [
    "apply-role.json",
    "apply-trust.json",
    "deletion-role.json",
    "deletion-trust.json",
    "plan-role.json",
    "plan-trust.json",
]
ROLES = {
    "plan": ["plan-role.json"],
    "apply": ["plan-role.json", "apply-role.json"],
    "deletion": ["deletion-role.json"],
}

# The example's names, as the policy files, the manifests and docs/state.md spell them.
ACCOUNT = "123456789012"
STATE_BUCKET = "acme-reconciler-state"
KEY = "personalize/deletions.json"
REPOSITORY = "repo:YOUR-ORG/privacy-manifests"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
AUD = "token.actions.githubusercontent.com:aud"
SUB = "token.actions.githubusercontent.com:sub"
UNUSED_REGION = "ap-southeast-2"

# The pages docs/iam.md cites for what these tests take as given.
SAR = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonpersonalize.html"
)
CONFUSED_DEPUTY = (
    "https://docs.aws.amazon.com/personalize/latest/dg/"
    "cross-service-confused-deputy-prevention.html"
)
GITHUB_OIDC = "https://docs.github.com/en/actions/reference/security/oidc"

# The Service Authorization Reference's Personalize resource types that can be tagged (those
# TagResource and ListTagsForResource list), by the resource part of their ARNs.
TAGGABLE = {
    "batchInferenceJob": "batch-inference-job",
    "batchSegmentJob": "batch-segment-job",
    "campaign": "campaign",
    "dataDeletionJob": "data-deletion-job",
    "dataset": "dataset",
    "datasetExportJob": "dataset-export-job",
    "datasetGroup": "dataset-group",
    "datasetImportJob": "dataset-import-job",
    "eventTracker": "event-tracker",
    "filter": "filter",
    "recommender": "recommender",
    "solution": "solution",
}
# The reference's Actions table, for every Personalize action the code needs: the resource types
# the action accepts; none means "Resource": "*" is the only way to grant it.
ACCEPTS: dict[str, tuple[str, ...]] = {
    "ListDataDeletionJobs": (),
    "ListDatasetGroups": (),
    "ListDatasets": (),
    "ListDatasetImportJobs": (),
    "ListSolutions": (),
    "ListSolutionVersions": (),
    "ListBatchInferenceJobs": (),
    "ListBatchSegmentJobs": (),
    "ListCampaigns": (),
    "DescribeDataDeletionJob": ("dataDeletionJob",),
    "DescribeCampaign": ("campaign",),
    "DescribeSolution": ("solution",),
    "DescribeSolutionVersion": ("solution",),  # a version's ARN is solution/NAME/ID
    "DescribeDatasetImportJob": ("datasetImportJob",),
    "DescribeDatasetGroup": ("datasetGroup",),
    "ListTagsForResource": tuple(TAGGABLE),
    "CreateDataDeletionJob": ("dataDeletionJob", "datasetGroup"),  # both required
    "TagResource": tuple(TAGGABLE),
}
# What one call is authorized on: the job, the dataset group, or both (CreateDataDeletionJob: the
# reference requires both resource types, and its API operations table says the call with tags
# also needs personalize:TagResource, on a resource it does not name: both are checked).
CHECKED_ON = {
    "DescribeDataDeletionJob": ("job",),
    "ListTagsForResource": ("job",),
    "DescribeDatasetGroup": ("group",),
    "CreateDataDeletionJob": ("group", "job"),
    "DescribeCampaign": ("campaign",),
    "DescribeSolution": ("solution",),
    "DescribeSolutionVersion": ("version",),
    "DescribeDatasetImportJob": ("import",),
}
ALSO_NEEDS = {"CreateDataDeletionJob": ("TagResource",)}


def policy(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((IAM / name).read_text(encoding="utf-8"))
    return loaded


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator's every key matches one of its values; a key the request does not carry
    fails (no `IfExists` operator is used here)."""
    for operator, keys in condition.items():
        for key, values in keys.items():
            if key not in context:
                return False
            if operator == "StringEquals":
                matched = context[key] in _listed(values)
            elif operator == "StringLike":
                matched = any(fnmatchcase(context[key], v) for v in _listed(values))
            else:
                raise AssertionError(f"{operator}: teach conditions_hold this operator")
            if not matched:
                return False
    return True


def allows(role: str, action: str, resource: str, context: Mapping[str, str] | None = None) -> bool:
    """Whether an Allow statement of the role's policies grants the action on the resource (IAM
    wildcards; action names are case-insensitive, ARNs are not). No Deny is used here."""
    for name in ROLES[role]:
        for statement in policy(name)["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = _listed(statement["Action"])
            if not any(fnmatchcase(action.lower(), a.lower()) for a in actions):
                continue
            if not any(fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
                continue
            if conditions_hold(statement.get("Condition", {}), context or {}):
                return True
    return False


def trusts(
    name: str, principal: Mapping[str, str], action: str, context: Mapping[str, str]
) -> bool:
    """Whether the trust policy `name` lets `principal` assume the role with `action`."""
    return any(
        statement["Effect"] == "Allow"
        and statement["Principal"] == principal
        and action in _listed(statement["Action"])
        and conditions_hold(statement.get("Condition", {}), context)
        for statement in policy(name)["Statement"]
    )


@cache
def declared() -> tuple[DesiredJob, ...]:
    """The example manifests' jobs (manifests/)."""
    return load_manifests([SHIPPED_MANIFESTS]).jobs


def regions() -> list[str]:
    return sorted({job.spec.dataset_group_arn.split(":")[3] for job in declared()})


def job_arn(job: DesiredJob) -> str:
    region = job.spec.dataset_group_arn.split(":")[3]
    return f"arn:aws:personalize:{region}:{ACCOUNT}:data-deletion-job/{job.spec.job_name}"


@cache
def state_objects() -> tuple[str, str, str]:
    """The objects the s3 backend keeps beside the state (KEY, KEY.lineage, KEY.lock), as the
    backend names them; nothing is sent (the client is never called)."""
    settings: Any = SimpleNamespace(bucket=STATE_BUCKET, key=KEY)
    backend = S3Backend(settings, client=object())
    return backend.key, backend.lineage_key, backend.lock_key


def s3(key: str = "") -> str:
    return f"arn:aws:s3:::{key}"


Need = tuple[str, str, dict[str, str]]  # (action, resource, the request's condition keys)


def input_needs(job: DesiredJob) -> list[Need]:
    """What preflight (and Personalize, through the deletion role) asks of S3 for one input: a
    file is read (HeadObject and GetObject: s3:GetObject; with a VersionId s3:GetObjectVersion);
    a prefix is listed (ListObjectsV2 with that Prefix: s3:ListBucket) and its files read."""
    bucket, key = split_location(job.spec.data_location)
    if key.endswith("/"):
        return [
            ("s3:ListBucket", s3(bucket), {"s3:prefix": key}),
            ("s3:GetObject", s3(f"{bucket}/{key}part-1.csv"), {}),
        ]
    return [
        ("s3:GetObject", s3(f"{bucket}/{key}"), {}),
        ("s3:GetObjectVersion", s3(f"{bucket}/{key}"), {}),
    ]


def needs(role: str) -> list[Need]:
    """(action, resource, context) the role needs, as docs/iam.md's table says."""
    state, lineage, lock = (s3(f"{STATE_BUCKET}/{k}") for k in state_objects())
    plan: list[Need] = [need for job in declared() for need in input_needs(job)]
    plan += [
        need
        for job in declared()
        for operation in ACCEPTS
        if operation.startswith(("List", "Describe"))
        for need in personalize_requests(operation, job)
    ]
    plan += [
        ("s3:GetObject", state, {}),
        ("s3:GetObject", lineage, {}),
        ("s3:GetObject", lock, {}),
        ("s3:ListBucket", s3(STATE_BUCKET), {}),
        ("s3:GetBucketVersioning", s3(STATE_BUCKET), {}),
    ]
    if role == "plan":
        return plan
    apply: list[Need] = [
        need for job in declared() for need in personalize_requests("CreateDataDeletionJob", job)
    ]
    return [
        *plan,
        *apply,
        ("iam:PassRole", ROLE, {"iam:PassedToService": "personalize.amazonaws.com"}),
        ("s3:PutObject", state, {}),
        ("s3:PutObject", lineage, {}),
        ("s3:PutObject", lock, {}),
        ("s3:DeleteObject", lock, {}),
    ]


def personalize_requests(operation: str, job: DesiredJob) -> list[Need]:
    """(action, resource) pairs one call of `operation` about `job` is authorized on, as the
    reference's tables say: "*" for an action that accepts no resource type."""
    region = job.spec.dataset_group_arn.split(":")[3]
    resource = f"arn:aws:personalize:{region}:{ACCOUNT}"
    on = {
        "job": job_arn(job),
        "group": job.spec.dataset_group_arn,
        # what the erasure lifecycle describes in the job's group (any name)
        "campaign": f"{resource}:campaign/recommendations",
        "solution": f"{resource}:solution/user-personalization",
        "version": f"{resource}:solution/user-personalization/4fd30a35",
        "import": f"{resource}:dataset-import-job/nightly-2026-12-01",
    }
    found: list[Need] = []
    for action in (operation, *ALSO_NEEDS.get(operation, ())):
        if not ACCEPTS[action]:
            found.append((f"personalize:{action}", "*", {}))
        else:
            found += [(f"personalize:{action}", on[w], {}) for w in CHECKED_ON[operation]]
    return found


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


@cache
def called_operations() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("personalize")
    return frozenset(named_in_code(lambda value: value in model.operation_names))


def test_every_file_is_an_iam_policy_document() -> None:
    assert sorted(p.name for p in IAM.iterdir()) == FILES
    for name in FILES:
        document = policy(name)
        assert document["Version"] == "2012-10-17", name
        statements = document["Statement"]
        assert isinstance(statements, list) and statements, name
        sids = [s["Sid"] for s in statements]  # every statement is named: docs/iam.md uses it
        assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
        for statement in statements:
            assert statement["Effect"] in ("Allow", "Deny"), name
            actions = _listed(statement["Action"])
            assert actions and all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", a) for a in actions)
            if name.endswith("-trust.json"):  # a role's trust policy names who, not what
                assert "Principal" in statement and "Resource" not in statement, name
            else:
                assert "Resource" in statement and "Principal" not in statement, name
                assert all(r == "*" or r.startswith("arn:") for r in _listed(statement["Resource"]))


def test_each_personalize_action_is_granted_on_what_the_reference_says_it_accepts() -> None:
    """An action with no resource type in the reference is granted on "*" alone (an ARN would
    match no request: the call is denied); one with resource types is granted on ARNs of those
    types only, never on "*"."""
    model = botocore.session.get_session().get_service_model("personalize")
    assert set(ACCEPTS) <= set(model.operation_names)  # the table names real operations
    arn = re.compile(r"arn:aws:personalize:[a-z]+-[a-z]+-\d:\d{12}:([a-z-]+)/\S+")
    for name in FILES:
        for statement in policy(name)["Statement"]:
            actions = [a for a in _listed(statement["Action"]) if a.startswith("personalize:")]
            for action in actions:
                operation = action.split(":", 1)[1]
                assert operation in ACCEPTS, f"{action}: add what the reference says to ACCEPTS"
                resources = _listed(statement["Resource"])
                if not ACCEPTS[operation]:
                    assert resources == ["*"], (statement["Sid"], action)
                    continue
                kinds = {TAGGABLE[t] for t in ACCEPTS[operation]}
                for resource in resources:
                    match = arn.fullmatch(resource)
                    assert match and match.group(1) in kinds, (statement["Sid"], resource)


@pytest.mark.parametrize("role", ["plan", "apply"])
def test_each_role_is_granted_what_the_docs_say_it_needs(role: str) -> None:
    missing = [(a, r, c) for a, r, c in needs(role) if not allows(role, a, r, c)]
    assert missing == []


def test_every_personalize_operation_the_code_calls_is_allowed_in_every_example_region() -> None:
    called = called_operations()
    assert {"ListDataDeletionJobs", "CreateDataDeletionJob", "ListSolutionVersions"} <= called
    assert regions() == ["eu-west-1", "us-east-1"]  # the example manifests' two regions
    for job in declared():
        for operation in sorted(called):
            assert operation in ACCEPTS, f"{operation}: add what the reference says to ACCEPTS"
            role = "plan" if operation.startswith(("List", "Describe")) else "apply"
            requests = personalize_requests(operation, job)
            assert [r for r in requests if not allows(role, r[0], r[1], r[2])] == [], operation
            needed = {a for a, _, _ in needs(role)}
            assert f"personalize:{operation}" in needed, f"{operation}: add it to needs() and docs"


def test_no_personalize_resource_of_another_region_or_account_is_granted() -> None:
    for role in ("plan", "apply"):
        for operation in ("CreateDataDeletionJob", "DescribeDataDeletionJob", "TagResource"):
            for where in (f"{UNUSED_REGION}:{ACCOUNT}", "eu-west-1:210987654321"):
                resource = f"arn:aws:personalize:{where}:data-deletion-job/x"
                assert not allows(role, f"personalize:{operation}", resource), (role, where)


def test_the_plan_role_only_reads() -> None:
    state, lineage, lock = (s3(f"{STATE_BUCKET}/{k}") for k in state_objects())
    job = declared()[0]
    writes: list[Need] = [
        *personalize_requests("CreateDataDeletionJob", job),
        ("iam:PassRole", ROLE, {"iam:PassedToService": "personalize.amazonaws.com"}),
        *[("s3:PutObject", k, {}) for k in (state, lineage, lock)],
        ("s3:DeleteObject", lock, {}),
    ]
    assert [(a, r) for a, r, c in writes if allows("plan", a, r, c)] == []
    other = {"iam:PassedToService": "ec2.amazonaws.com"}
    assert allows(
        "apply", "iam:PassRole", ROLE, {"iam:PassedToService": "personalize.amazonaws.com"}
    )
    assert not allows("apply", "iam:PassRole", ROLE, other)
    assert not allows("apply", "iam:PassRole", ROLE)


def test_the_inputs_are_read_under_their_prefixes_only() -> None:
    """The plan role (which a pull request's code runs with) and the deletion role read the
    example's inputs, and nothing else in the bucket."""
    for job in declared():
        for action, resource, context in input_needs(job):
            assert allows("plan", action, resource, context), (action, resource, context)
            if action != "s3:GetObjectVersion":  # Personalize reads the current object
                assert allows("deletion", action, resource, context), (action, resource)
    buckets = {split_location(job.spec.data_location)[0] for job in declared()}
    assert buckets == {"acme-privacy"}
    prefixes = sorted({job.spec.data_location.split("/")[3] + "/" for job in declared()})
    assert prefixes == ["shop-eu/", "shop-us/"]
    elsewhere = s3("acme-privacy/legal-hold/2026-w47.csv")
    for role in ("plan", "deletion"):
        assert not allows(role, "s3:GetObject", elsewhere), role
    assert not allows("plan", "s3:GetObjectVersion", elsewhere)
    for listing in ({"s3:prefix": ""}, {"s3:prefix": "legal-hold/"}, {}):
        assert not allows("plan", "s3:ListBucket", s3("acme-privacy"), listing), listing


def test_every_s3_permission_the_code_names_is_granted() -> None:
    """The backends and preflight name the S3 permission a denied call needs; each is granted
    (on the state's objects or bucket, or the inputs)."""
    named = named_in_code(lambda value: re.fullmatch(r"s3:[A-Za-z]+", value) is not None)
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"} <= named
    granted = {a for a, _, _ in needs("apply")}
    assert named <= granted
    assert all(allows("apply", a, r, c) for a, r, c in needs("apply") if a in named)


def test_personalize_may_assume_the_deletion_role_for_this_account_only() -> None:
    """The confused-deputy conditions: aws:SourceAccount, and aws:SourceArn in each region the
    manifests use (Personalize's own guide: arn:aws:personalize:REGION:ACCOUNT:*)."""
    personalize = {"Service": "personalize.amazonaws.com"}

    def context(region: str, account: str = ACCOUNT) -> dict[str, str]:
        source = f"arn:aws:personalize:{region}:{account}:data-deletion-job/gdpr-2026-w47"
        return {"aws:SourceAccount": account, "aws:SourceArn": source}

    for region in regions():
        assert trusts("deletion-trust.json", personalize, "sts:AssumeRole", context(region))
    refused = [
        context(UNUSED_REGION),
        context("eu-west-1", "210987654321"),
        {"aws:SourceAccount": ACCOUNT},  # no SourceArn: not through a Personalize resource
        {**context("eu-west-1"), "aws:SourceAccount": "210987654321"},
    ]
    for asked in refused:
        assert not trusts("deletion-trust.json", personalize, "sts:AssumeRole", asked), asked
    other = {"Service": "ec2.amazonaws.com"}
    assert not trusts("deletion-trust.json", other, "sts:AssumeRole", context("eu-west-1"))
    (statement,) = policy("deletion-trust.json")["Statement"]
    assert set(statement["Condition"]) == {"StringEquals", "StringLike"}


def subjects_of(role_variable: str) -> set[str]:
    """The OIDC subject claims of the example workflows' jobs that assume the role named by the
    repository variable: `environment:NAME` for a job with an environment, else `pull_request`
    for that trigger and `ref:refs/heads/BRANCH` for a push to BRANCH, a schedule (the default
    branch, main) or a manual run (main; a run on another branch is refused, as meant)."""
    found: set[str] = set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
        events = {triggers: None} if isinstance(triggers, str) else dict(triggers)
        for job in workflow["jobs"].values():
            assumes = any(
                str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
                and role_variable in str(step.get("with", {}).get("role-to-assume", ""))
                for step in job.get("steps", [])
            )
            if not assumes:
                continue
            environment = job.get("environment")
            if isinstance(environment, dict):
                environment = environment["name"]
            if environment:
                found.add(f"{REPOSITORY}:environment:{environment}")
                continue
            for event, settings in events.items():
                if event == "pull_request":
                    found.add(f"{REPOSITORY}:pull_request")
                elif event == "push":
                    for branch in (settings or {}).get("branches", ["main"]):
                        found.add(f"{REPOSITORY}:ref:refs/heads/{branch}")
                elif event in ("schedule", "workflow_dispatch"):
                    found.add(f"{REPOSITORY}:ref:refs/heads/main")
                else:
                    raise AssertionError(f"{path.name}: which subject does {event} carry?")
    return found


def _oidc(subject: str) -> dict[str, str]:
    return {AUD: "sts.amazonaws.com", SUB: subject}


def test_the_plan_role_trusts_the_pull_requests_and_the_nightly_check_of_this_repository() -> None:
    federated = {"Federated": OIDC}
    action = "sts:AssumeRoleWithWebIdentity"
    wanted = subjects_of("RECONCILER_PLAN_ROLE_ARN")
    assert wanted == {f"{REPOSITORY}:pull_request", f"{REPOSITORY}:ref:refs/heads/main"}
    for subject in wanted:
        assert trusts("plan-trust.json", federated, action, _oidc(subject)), subject
    refused = [
        f"{REPOSITORY}:ref:refs/heads/feature",  # a branch's push or manual run
        f"{REPOSITORY}:environment:production",
        "repo:SOMEONE/privacy-manifests:pull_request",  # another repository's pull requests
        f"{REPOSITORY}:pull_request:extra",
    ]
    for subject in refused:
        assert not trusts("plan-trust.json", federated, action, _oidc(subject)), subject
    wrong_audience = {AUD: "https://github.com/YOUR-ORG", SUB: f"{REPOSITORY}:pull_request"}
    assert not trusts("plan-trust.json", federated, action, wrong_audience)
    for statement in policy("plan-trust.json")["Statement"]:  # exact subjects, no pattern
        assert set(statement["Condition"]) == {"StringEquals"}


def test_only_the_production_environment_may_assume_the_apply_role() -> None:
    federated = {"Federated": OIDC}
    action = "sts:AssumeRoleWithWebIdentity"
    assert subjects_of("RECONCILER_APPLY_ROLE_ARN") == {f"{REPOSITORY}:environment:production"}
    assert trusts(
        "apply-trust.json", federated, action, _oidc(f"{REPOSITORY}:environment:production")
    )
    for subject in (
        f"{REPOSITORY}:pull_request",
        f"{REPOSITORY}:ref:refs/heads/main",
        f"{REPOSITORY}:environment:staging",
    ):
        assert not trusts("apply-trust.json", federated, action, _oidc(subject)), subject
    (statement,) = policy("apply-trust.json")["Statement"]
    assert set(statement["Condition"]) == {"StringEquals"}  # no pattern: exactly that subject


def test_the_docs_explain_every_statement_cite_the_reference_and_name_no_missing_permission() -> (
    None
):
    page = (DOCS / "iam.md").read_text(encoding="utf-8")
    for name in FILES:
        assert f"(../examples/iam/{name})" in page, name
        for statement in policy(name)["Statement"]:
            assert f"`{statement['Sid']}`" in page, f"docs/iam.md: explain {statement['Sid']}"
    for url in (SAR, CONFUSED_DEPUTY, GITHUB_OIDC):
        assert url in page, url
    state = (DOCS / "state.md").read_text(encoding="utf-8")
    assert f"bucket: {STATE_BUCKET}" in state and f"key: {KEY}" in state
    statements = [statement for name in FILES for statement in policy(name)["Statement"]]
    granted = {a.lower() for statement in statements for a in _listed(statement["Action"])}
    granted |= {  # and the condition keys the statements use
        key.lower()
        for statement in statements
        for keys in statement.get("Condition", {}).values()
        for key in keys
    }
    for page_name in ("iam.md", "providers.md", "state.md"):
        text = (DOCS / page_name).read_text(encoding="utf-8")
        said = set(re.findall(r"`((?:personalize|s3|iam):[A-Za-z]+)`", text))
        assert {a for a in said if a.lower() not in granted} == set(), page_name
