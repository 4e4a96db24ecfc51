"""Resource kinds become this platform's ARNs; anything unexpected fails loudly."""

from __future__ import annotations

import pytest

import runbook_actions
from components.arns import AwsAccount
from components.resource_scope import KINDS, GrantNotAllowedError, UnknownResourceKindError, resources_for
from tests.support.platform_names import (
    AUDIT_LOG_GROUP,
    CLUSTER,
    DB,
    PARAMETER,
    PRODUCTION,
    SECRET,
    TOPIC_PREFIX,
)

PLATFORM = PRODUCTION
ACCOUNT = AwsAccount("123456789012", "ap-south-1")


def test_every_kind_the_actions_use_is_known() -> None:
    used = {grant.resource for action in runbook_actions.all_actions().values() for grant in action.iam}
    assert used - {"*"} <= set(KINDS), f"unmapped kinds: {sorted(used - {'*'} - set(KINDS))}"


@pytest.mark.parametrize(
    "kind, action, expected",
    [
        (
            "ecs-service",
            "ecs:UpdateService",
            f"arn:aws:ecs:ap-south-1:123456789012:service/{CLUSTER}/fastify-nova",
        ),
        ("ecs-cluster", "ecs:DescribeClusters", f"arn:aws:ecs:ap-south-1:123456789012:cluster/{CLUSTER}"),
        (
            "log-group",
            "logs:FilterLogEvents",
            f"arn:aws:logs:ap-south-1:123456789012:log-group:{AUDIT_LOG_GROUP}:*",
        ),
        ("rds-cluster", "rds:ModifyDBCluster", f"arn:aws:rds:ap-south-1:123456789012:cluster:{DB}"),
        (
            "secret",
            "secretsmanager:PutSecretValue",
            f"arn:aws:secretsmanager:ap-south-1:123456789012:secret:{SECRET}-??????",
        ),
        (
            "ssm-endpoint-parameter",
            "ssm:PutParameter",
            f"arn:aws:ssm:ap-south-1:123456789012:parameter{PARAMETER}",
        ),
        (
            "ssm-state-parameter",
            "ssm:GetParameter",
            f"arn:aws:ssm:ap-south-1:123456789012:parameter/incident-guardrails/{CLUSTER}/*",
        ),
        ("sns-topic", "sns:Publish", f"arn:aws:sns:ap-south-1:123456789012:{TOPIC_PREFIX}-p0"),
        ("iam-user", "iam:UpdateAccessKey", "arn:aws:iam::123456789012:user/*"),
    ],
)
def test_a_kind_means_the_platforms_own_resources(kind: str, action: str, expected: str) -> None:
    assert expected in resources_for(kind, (action,), PLATFORM, ACCOUNT)


def test_ecs_services_are_exactly_the_platforms() -> None:
    arns = resources_for("ecs-service", ("ecs:UpdateService",), PLATFORM, ACCOUNT)
    assert [arn.rsplit("/", 1)[1] for arn in arns] == list(PLATFORM.service_names)


def test_an_unknown_kind_is_an_error_naming_it() -> None:
    with pytest.raises(
        UnknownResourceKindError,
        match=r"unknown runbook resource kind 'kinesis-stream'"
        r" \(for kinesis:PutRecord\)",
    ):
        resources_for("kinesis-stream", ("kinesis:PutRecord",), PLATFORM, ACCOUNT)


@pytest.mark.parametrize("action", ["ecs:*", "ecs:Update*", "*", "ecs:Describe?ervices", "UpdateService"])
def test_wildcard_or_malformed_actions_are_refused_even_unscoped(action: str) -> None:
    with pytest.raises(GrantNotAllowedError):
        resources_for("*", (action,), PLATFORM, ACCOUNT)


def test_a_kind_accepts_only_its_own_services_api() -> None:
    with pytest.raises(
        GrantNotAllowedError, match="rds:DeleteDBCluster cannot be granted on resource kind 'ecs-service'"
    ):
        resources_for("ecs-service", ("rds:DeleteDBCluster",), PLATFORM, ACCOUNT)


def test_the_cloudtrail_kind_is_limited_to_lookups() -> None:
    assert resources_for("cloudtrail", ("cloudtrail:LookupEvents",), PLATFORM, ACCOUNT) == ("*",)
    with pytest.raises(GrantNotAllowedError):
        resources_for("cloudtrail", ("cloudtrail:StopLogging",), PLATFORM, ACCOUNT)
