"""Every IAM policy the program creates, checked against AWS's Service Authorization Reference.

The mocks record every resource of the real program for both stacks; every policy document in
their inputs (role policies, trust policies, key, topic and queue policies: the runbook roles,
break-glass and its guard, the Backup and Scheduler roles, the forwarder, ...) goes through
tests/support/iam_reference.py's rules: actions exist, resources fit a resource type of the
action (or are ``*`` exactly when it has none), condition keys belong to the action and suit
their operators. The reference is policy_sentry's bundled table, pinned in requirements-dev.txt.
"""

from __future__ import annotations

import dataclasses
import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.conditions import get_condition_value_type

from components.arns import AwsAccount
from components.iam_documents import allow, deny, document, statement
from components.runbook_iam import RunbookFunctionNames, action_policy
from runbook_actions import IamGrant, get_action
from stack_config import Platform
from tests.support import iam_reference
from tests.support.iam_reference import (
    IDENTITY,
    RESOURCE,
    TRUST,
    PolicyDocument,
    check_all,
    check_document,
    program_policies,
    unknown_policy_inputs,
)
from tests.support.program_harness import ACCOUNT, ProgramRun, program_run

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("production", "staging")  # as tests/pulumi/conftest.py runs them
REGION = "ap-south-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/zelly-production"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/zelly-production/fastify-nova"

# Violations in policies other components own, expected until their owners fix them: each entry
# is (policy's Pulumi resource.input, action, rule), commented with who fixes it. An entry that
# occurs in neither stack fails test_known_violations_still_occur, so the list only shrinks.
KNOWN_VIOLATIONS_OWNED_ELSEWHERE: frozenset[tuple[str, str, str]] = frozenset()


def identity(*statements: dict) -> PolicyDocument:
    return PolicyDocument("test-policy.policy", IDENTITY, json.loads(document(statements)))


def rules(policy: PolicyDocument) -> list[tuple[str, str | None, str]]:
    return [(v.action, v.resource, v.rule) for v in check_document(policy)[0]]


# -- the reference itself -------------------------------------------------------------------


def test_the_reference_is_the_pinned_packages_own_table() -> None:
    pinned = re.search(r"^policy_sentry==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned and version("policy_sentry") == pinned.group(1)
    assert (
        iam_reference.REFERENCE_FILE.is_file() and iam_reference.REFERENCE_FILE.name == "iam-definition.json"
    )
    assert iam_reference.reference_version().endswith(
        f"(IAM definition schema {iam_reference.SCHEMA_VERSION})"
    )


def test_the_reference_lists_ecs_list_services_with_no_resource_type() -> None:
    """Issue 12 item 1, in policy_sentry's own query API: "*" only, scoped by ecs:cluster (an ARN)."""
    [entry] = get_action_data("ecs", "ListServices")["ecs"]
    assert entry["resource_arn_format"] == "*" and entry["condition_keys"] == ["ecs:cluster"]
    assert get_condition_value_type("ecs:cluster") == "arn"
    list_services = iam_reference.action("ecs:listservices")
    assert list_services is not None and list_services.name == "ecs:ListServices" and list_services.unscoped
    update = iam_reference.action("ecs:UpdateService")
    assert update is not None and [t.name for t in update.resource_types if t.required] == ["service"]


def test_wildcards_expand_to_the_references_actions() -> None:
    names = {a.name for a in iam_reference.expand("ecs:Describe*")}
    assert {"ecs:DescribeServices", "ecs:DescribeClusters"} <= names
    assert all(name.startswith("ecs:Describe") for name in names)
    assert iam_reference.expand("ecs:Nonexistent*") == ()


# -- the rules, on small documents ----------------------------------------------------------


def test_list_services_on_the_cluster_arn_is_item_1_and_names_action_resource_and_policy() -> None:
    violations, _ = check_document(identity(allow(["ecs:ListServices"], [CLUSTER_ARN], sid="Old")))
    [violation] = violations
    assert (violation.policy, violation.statement, violation.action, violation.resource, violation.rule) == (
        "test-policy.policy",
        "Old",
        "ecs:ListServices",
        CLUSTER_ARN,
        "resource-type",
    )
    assert "ecs:cluster" in violation.detail and "against *" in violation.detail


def test_list_services_on_star_scoped_by_its_cluster_passes() -> None:
    statement = allow(["ecs:ListServices"], ["*"], condition={"ArnEquals": {"ecs:cluster": CLUSTER_ARN}})
    assert rules(identity(statement)) == []


@pytest.mark.parametrize(
    "statement, expected",
    [
        (allow(["ecs:UpdateService"], [CLUSTER_ARN]), ("ecs:UpdateService", CLUSTER_ARN, "resource-type")),
        (allow(["ecs:UpdateService"], ["*"]), ("ecs:UpdateService", "*", "star-resource")),
        (allow(["ecs:UpdateServices"], [SERVICE_ARN]), ("ecs:UpdateServices", None, "unknown-action")),
        (allow(["ecs:Frobnicate*"], [SERVICE_ARN]), ("ecs:Frobnicate*", None, "unknown-action")),
        (
            allow(
                ["ecs:UpdateService"], [SERVICE_ARN], condition={"StringEquals": {"rds:DatabaseClass": "x"}}
            ),
            ("ecs:UpdateService", None, "condition-key"),
        ),
        (
            allow(["ecs:ListServices"], ["*"], condition={"NumericEquals": {"ecs:cluster": "1"}}),
            ("ecs:ListServices", None, "condition-operator"),
        ),
        (
            allow(["ecs:ListServices"], ["*"], condition={"ArnEquals": {"ecs:cluster": "zelly-production"}}),
            ("ecs:ListServices", None, "condition-value"),
        ),
        (
            allow(
                ["kms:Decrypt"],
                [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"],
                condition={"StringEquals": {"kms:ResourceAliases": "alias/x"}},
            ),
            ("kms:Decrypt", None, "condition-operator"),  # multivalued: needs ForAnyValue
        ),
        (
            allow(["kms:Decrypt"], [f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/x"]),
            ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/x", "resource-type"),
        ),
        (
            allow(["logs:FilterLogEvents"], [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group"]),
            ("logs:FilterLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group", "resource-type"),
        ),
    ],
)
def test_each_rule_fails_with_the_action_named(statement: dict, expected: tuple) -> None:
    assert rules(identity(statement)) == [expected]


@pytest.mark.parametrize(
    "statement",
    [
        allow(["ecs:Describe*"], [SERVICE_ARN]),  # DescribeServices fits: a wildcard needs one fit
        allow(["ecs:UpdateService"], [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/zelly-production/*"]),
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/x:*"]
        ),
        allow(
            ["kms:Decrypt"],
            [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"],
            condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
        ),
        allow(
            ["sns:Publish"], ["arn:aws:sns:*:*:topic"], condition={"Bool": {"aws:SecureTransport": "true"}}
        ),
    ],
)
def test_statements_that_follow_the_reference_pass(statement: dict) -> None:
    assert rules(identity(statement)) == []


# -- CloudWatch Logs: the reference lists one log-group format for two ARNs -------------------

LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/zelly/ecs/fastify-nova"


@pytest.mark.parametrize(
    "actions", [["logs:FilterLogEvents"], ["logs:DescribeLogStreams", "logs:StartQuery"]]
)
def test_a_logs_action_on_the_bare_log_group_arn_never_allowed_is_reported(actions: list[str]) -> None:
    """CloudWatch Logs evaluates these against log-group:NAME:*; the bare ARN fits the reference's
    format, so only this rule sees that the grant never allows a call."""
    violations = rules(identity(allow(actions, [LOG_GROUP])))
    assert violations == [(action, LOG_GROUP, "logs-arn-form") for action in actions]


@pytest.mark.parametrize(
    "actions, resource",
    [
        (["logs:FilterLogEvents"], f"{LOG_GROUP}:*"),
        (["logs:FilterLogEvents"], f"{LOG_GROUP}*"),
        (["logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"], LOG_GROUP),
        (["logs:Describe*"], f"{LOG_GROUP}:*"),
    ],
)
def test_a_logs_action_on_the_form_aws_evaluates_passes(actions: list[str], resource: str) -> None:
    assert rules(identity(allow(actions, [resource]))) == []


# -- Deny statements: "*" is fine, everything else is checked as for an Allow ---------------


@pytest.mark.parametrize(
    "actions",
    [
        ["ecs:UpdateService"],  # has a resource type (service): an Allow on * is refused
        ["iam:DeleteRole", "iam:PutRolePolicy"],
        ["ecs:ListServices"],  # no resource type: * is the only resource it is authorised against
        ["ecs:Update*"],
    ],
)
def test_a_deny_on_star_passes_whatever_the_actions_resource_types(actions: list[str]) -> None:
    """IAM evaluates a Deny on "*" against every request of its actions; only an Allow must name ARNs."""
    assert rules(identity(deny(actions, ["*"], sid="DenyEverywhere"))) == []


def test_the_same_statement_as_an_allow_is_still_refused_on_star() -> None:
    assert rules(identity(allow(["ecs:UpdateService"], ["*"]))) == [
        ("ecs:UpdateService", "*", "star-resource")
    ]


@pytest.mark.parametrize(
    "statement_, expected",
    [
        (deny(["ecs:UpdateServices"], ["*"]), ("ecs:UpdateServices", None, "unknown-action")),
        (deny(["ecs:Frobnicate*"], ["*"]), ("ecs:Frobnicate*", None, "unknown-action")),
        (
            statement(
                "Deny", ["ecs:UpdateService"], ["*"], condition={"StringEquals": {"rds:DatabaseClass": "x"}}
            ),
            ("ecs:UpdateService", None, "condition-key"),
        ),
        (
            statement(
                "Deny", ["sns:Unsubscribe"], ["*"], condition={"NumericEquals": {"aws:RequestedRegion": "1"}}
            ),
            ("sns:Unsubscribe", None, "condition-operator"),
        ),
        # An unscoped action denied on an ARN: AWS authorises it against *, so the Deny never applies.
        (deny(["ecs:ListServices"], [CLUSTER_ARN]), ("ecs:ListServices", CLUSTER_ARN, "resource-type")),
        (deny(["ecs:UpdateService"], [CLUSTER_ARN]), ("ecs:UpdateService", CLUSTER_ARN, "resource-type")),
    ],
)
def test_a_deny_still_has_its_actions_conditions_and_arns_checked(statement_: dict, expected: tuple) -> None:
    assert rules(identity(statement_)) == [expected]


def test_a_deny_of_an_unscoped_action_on_an_arn_says_it_never_applies() -> None:
    [violation] = check_document(identity(deny(["ecs:ListServices"], [CLUSTER_ARN])))[0]
    assert "never applies" in violation.detail and "deny it on *" in violation.detail


def test_a_resource_policys_star_is_its_own_resource() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::1:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert (
        check_document(
            PolicyDocument("key.policy", RESOURCE, {"Version": "2012-10-17", "Statement": [statement]}, key)
        )[0]
        == []
    )
    topic_action_on_key = {**statement, "Action": "sns:Publish"}
    policy = PolicyDocument(
        "key.policy", RESOURCE, {"Version": "2012-10-17", "Statement": [topic_action_on_key]}, key
    )
    assert [v.rule for v in check_document(policy)[0]] == ["resource-type"]


def test_a_trust_policy_names_principals_not_resources() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "*",
        "Principal": {"Service": "x"},
    }
    policy = PolicyDocument(
        "role.assumeRolePolicy", TRUST, {"Version": "2012-10-17", "Statement": [statement]}
    )
    assert "shape" in [v.rule for v in check_document(policy)[0]]


# -- the program, both stacks ---------------------------------------------------------------


def test_every_policy_document_is_known(run: ProgramRun) -> None:
    """A policy in an input the collector does not classify would go unchecked: none may."""
    assert unknown_policy_inputs(run) == []


def test_every_role_and_resource_policy_is_checked(run: ProgramRun) -> None:
    policies = program_policies(run)
    kinds = [p.kind for p in policies]
    assert kinds.count(TRUST) == len(run.of_type("aws:iam/role:Role"))
    assert kinds.count(IDENTITY) >= len(run.of_type("aws:iam/rolePolicy:RolePolicy"))
    runbook_roles = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.startswith("runbook-")]
    assert runbook_roles and all(any(p.name == f"{r.name}.policy" for p in policies) for r in runbook_roles)
    assert kinds.count(RESOURCE) >= len(run.of_type("aws:kms/key:Key")) + len(
        run.of_type("aws:sns/topicPolicy:TopicPolicy")
    )


def test_every_policy_follows_the_service_authorization_reference(run: ProgramRun) -> None:
    violations, tally = check_all(program_policies(run))
    unexpected = [str(v) for v in violations if v.key not in KNOWN_VIOLATIONS_OWNED_ELSEWHERE]
    assert not unexpected, (
        f"{run.stack} ({tally.summary()}; {iam_reference.reference_version()}):\n" + "\n".join(unexpected)
    )
    assert tally.statements and tally.resources and tally.condition_keys


def test_known_violations_still_occur() -> None:
    """Remove an entry of KNOWN_VIOLATIONS_OWNED_ELSEWHERE once its owner has fixed it."""
    found = {v.key for stack in STACKS for v in check_all(program_policies(program_run(stack)))[0]}
    assert sorted(KNOWN_VIOLATIONS_OWNED_ELSEWHERE - found) == []


def test_the_pre_fix_list_services_grant_fails_through_the_real_policy_builder(platform: Platform) -> None:
    """Item 1 as it shipped: ListServices on the "ecs-cluster" kind, i.e. on the cluster's ARN."""
    old = dataclasses.replace(get_action("triage"), iam=(IamGrant(("ecs:ListServices",), "ecs-cluster"),))
    names = RunbookFunctionNames.of(platform, "triage")
    text = action_policy(old, platform, AwsAccount(ACCOUNT, platform.region), names)
    policy = PolicyDocument("runbook-triage-policy.policy", IDENTITY, json.loads(text))
    assert [(v.action, v.resource, v.rule) for v in check_document(policy)[0]] == [
        (
            "ecs:ListServices",
            f"arn:aws:ecs:{platform.region}:{ACCOUNT}:cluster/{platform.cluster}",
            "resource-type",
        )
    ]
