"""Which ARNs each runbook resource kind means on this platform.

Runbook actions declare IAM as ``IamGrant(actions, kind, condition)``; this module is the only
place a kind becomes resources, and a grant's condition becomes a policy Condition. A kind it
does not know is an error, never a silent ``*``, so a new action cannot ship with broader access
than someone decided to give it. Which resource types an API can be scoped to is AWS's Service
Authorization Reference; tests/pulumi/test_iam_reference.py checks every policy against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from runbook_actions import IamGrant
from runbook_actions.constants import DEFAULT_STATE_PREFIX
from stack_config import Platform

from .arns import AwsAccount

UNSCOPED = "*"


class UnknownResourceKindError(Exception):
    """An IamGrant names a resource kind this module has no ARNs for."""


class GrantNotAllowedError(Exception):
    """An IamGrant asks for an action that its kind (or IAM hygiene) does not allow."""


@dataclass(frozen=True)
class KindRule:
    """The ARNs of a kind, and the API actions that may be granted on them."""

    arns: Callable[[Platform, AwsAccount], tuple[str, ...]]
    services: frozenset[str]  # IAM service prefixes ("ecs", "rds"...)
    only_actions: frozenset[str] | None = None  # when set, exactly these actions
    # A kind the platform may not have (a customer-managed key): no ARNs drops the grant.
    optional: bool = False
    # When set, the kind is granted only with a condition on this key (kms:ViaService).
    condition_key: str | None = None
    # When set, which of the kind's ARNs some of the granted actions are authorised against.
    needed_by: Callable[[tuple[str, ...], str], bool] | None = None


@dataclass(frozen=True)
class GrantScope:
    """Where a grant applies: its resources, and the policy Condition that narrows it."""

    resources: tuple[str, ...]
    condition: dict[str, dict[str, Any]] | None = None


# CloudWatch Logs User Guide, "CloudWatch Logs resources and operations": a log group has two
# ARNs; IAM evaluates these three actions against the one without the trailing ":*", every other
# action against log-group:NAME:* (which also covers the group's log streams).
LOG_GROUP_ARN_ACTIONS = frozenset({"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"})


def _log_groups(platform: Platform, account: AwsAccount) -> tuple[str, ...]:
    names = [s.log_group for s in platform.services] + [platform.aurora.audit_log_group]
    return tuple(arn for name in dict.fromkeys(names) for arn in account.log_group(name))


def _log_group_form_needed(actions: tuple[str, ...], arn: str) -> bool:
    """Only the form of the log group's ARN that some of ``actions`` is authorised against."""
    bare = not arn.endswith(":*")
    return any((action in LOG_GROUP_ARN_ACTIONS) == bare for action in actions)


def _topics(platform: Platform, account: AwsAccount) -> tuple[str, ...]:
    return tuple(
        account.sns_topic(platform.notifications.topic_name(severity))
        for severity in ("P0", "P1", "P2", "P3")
    )


KINDS: Mapping[str, KindRule] = {
    "ecs-cluster": KindRule(lambda p, a: (a.ecs_cluster(p.cluster),), frozenset({"ecs"})),
    "ecs-service": KindRule(
        lambda p, a: tuple(a.ecs_service(p.cluster, s.name) for s in p.services), frozenset({"ecs"})
    ),
    # Fleet actions (stop-writes, restore-writes, cutover, redeploy-all, triage) act on every
    # service ListServices returns, listed in the stack config or not: all of the cluster's.
    "ecs-cluster-services": KindRule(lambda p, a: (a.ecs_service(p.cluster, "*"),), frozenset({"ecs"})),
    "log-group": KindRule(_log_groups, frozenset({"logs"}), needed_by=_log_group_form_needed),
    # The live cluster, and clusters restored beside it (restore never overwrites in place).
    "rds-cluster": KindRule(
        lambda p, a: (a.rds(f"cluster:{p.aurora.cluster_id}"), a.rds(f"cluster:{p.aurora.cluster_id}-*")),
        frozenset({"rds"}),
    ),
    # Snapshots come from the emergency action, RDS automated backups and AWS Backup, and
    # listing calls are authorised against the wildcard: all cluster snapshots of this account
    # and region, nothing else.
    "rds-cluster-snapshot": KindRule(lambda p, a: (a.rds("cluster-snapshot:*"),), frozenset({"rds"})),
    # A restore copies the source's subnet group and cluster parameter group and adds a writer
    # instance; none of their names is in the stack config. Using them also needs the cluster
    # permission above, which "rds-cluster" limits to this platform's cluster and its restores.
    "rds-db-instance": KindRule(lambda p, a: (a.rds("db:*"),), frozenset({"rds"})),
    "rds-subnet-group": KindRule(lambda p, a: (a.rds("subgrp:*"),), frozenset({"rds"})),
    "rds-cluster-parameter-group": KindRule(lambda p, a: (a.rds("cluster-pg:*"),), frozenset({"rds"})),
    # AWS authorises a cluster restore against an option group too (a required resource type of
    # RestoreDBClusterToPointInTime and RestoreDBClusterFromSnapshot): the source's, by default.
    "rds-option-group": KindRule(lambda p, a: (a.rds("og:*"),), frozenset({"rds"})),
    # Customer-managed KMS keys, when the stack config names them: RDS uses the cluster's key
    # during a restore, Secrets Manager the secret's key when reading or writing a version. Only
    # through those services (kms:ViaService), only the calls they make.
    "rds-kms-key": KindRule(
        lambda p, a: _keys(p.aurora.kms_key_arn),
        frozenset({"kms"}),
        only_actions=frozenset({"kms:CreateGrant", "kms:DescribeKey"}),
        optional=True,
        condition_key="kms:ViaService",
    ),
    "secret-kms-key": KindRule(
        lambda p, a: _keys(p.aurora.master_secret_kms_key_arn),
        frozenset({"kms"}),
        only_actions=frozenset({"kms:Decrypt", "kms:GenerateDataKey"}),
        optional=True,
        condition_key="kms:ViaService",
    ),
    "secret": KindRule(lambda p, a: tuple(a.secret(s) for s in p.secrets), frozenset({"secretsmanager"})),
    "ssm-endpoint-parameter": KindRule(
        lambda p, a: (a.ssm_parameter(p.aurora.endpoint_parameter),), frozenset({"ssm"})
    ),
    # stop-writes/restore-writes records; the functions keep the default state prefix.
    "ssm-state-parameter": KindRule(
        lambda p, a: (a.ssm_parameter(f"{DEFAULT_STATE_PREFIX}/{p.cluster}/*"),), frozenset({"ssm"})
    ),
    # The write fence (stop-writes creates, restore-writes deletes its deny entries) acts on the
    # ACLs of the database subnets, which the stack config does not name: the account's ACLs in
    # the region, and only the entry calls. AWS also offers ec2:Vpc and ec2:NetworkAclID for these
    # two actions; the stack config names no VPC yet, so the scope stops at the region.
    "ec2-network-acl": KindRule(
        lambda p, a: (a.arn("ec2", "network-acl/*"),),
        frozenset({"ec2"}),
        only_actions=frozenset({"ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"}),
    ),
    # A leaked key may belong to any IAM user of the account.
    "iam-user": KindRule(lambda p, a: (a.iam("user/*"),), frozenset({"iam"})),
    "sns-topic": KindRule(_topics, frozenset({"sns"})),
    # CloudTrail's LookupEvents has no resource type: IAM accepts only "*" for it, so this kind
    # is limited to that one read-only call.
    "cloudtrail": KindRule(
        lambda p, a: (UNSCOPED,),
        frozenset({"cloudtrail"}),
        only_actions=frozenset({"cloudtrail:LookupEvents"}),
    ),
}


def _keys(key_arn: str | None) -> tuple[str, ...]:
    return (key_arn,) if key_arn else ()


def grant_scope(grant: IamGrant, platform: Platform, account: AwsAccount) -> GrantScope | None:
    """The resources and Condition of ``grant``; None for an optional kind the platform lacks."""
    resources = resources_for(grant.resource, grant.actions, platform, account)
    if not resources:
        return None
    rule = KINDS.get(grant.resource)
    needed = rule.condition_key if rule is not None else None
    if needed and (grant.condition is None or grant.condition.key != needed):
        raise GrantNotAllowedError(
            f"resource kind {grant.resource!r} is granted only with a {needed} condition"
        )
    if grant.condition is None:
        return GrantScope(resources)
    condition = grant.condition
    if condition.via_service is not None:
        values: tuple[str, ...] = (service_endpoint(condition.via_service, account),)
    else:
        values = _kind_arns(str(condition.kind), platform, account)
    value: Any = values[0] if len(values) == 1 else list(values)
    return GrantScope(resources, {condition.operator: {condition.key: value}})


def service_endpoint(service: str, account: AwsAccount) -> str:
    """``rds.<region>.amazonaws.com``: what kms:ViaService holds when that service calls KMS."""
    suffix = "amazonaws.com.cn" if account.partition == "aws-cn" else "amazonaws.com"
    return f"{service}.{account.region}.{suffix}"


def _kind_arns(kind: str, platform: Platform, account: AwsAccount) -> tuple[str, ...]:
    rule = KINDS.get(kind)
    arns = rule.arns(platform, account) if rule is not None else ()
    if not arns:
        raise UnknownResourceKindError(f"a grant's condition names resource kind {kind!r}, which has no ARNs")
    return arns


def resources_for(
    kind: str, actions: tuple[str, ...], platform: Platform, account: AwsAccount
) -> tuple[str, ...]:
    """The ARNs ``actions`` may be granted on for ``kind``; raises on anything unexpected.

    Empty only for an optional kind this platform does not have.
    """
    for action in actions:
        _check_action(action)
    if kind == UNSCOPED:
        return (UNSCOPED,)
    rule = KINDS.get(kind)
    if rule is None:
        raise UnknownResourceKindError(
            f"unknown runbook resource kind {kind!r} (for {', '.join(actions)}); add it to "
            f"components/resource_scope.py KINDS (known: {', '.join(sorted(KINDS))})"
        )
    for action in actions:
        service = action.split(":", 1)[0]
        if service not in rule.services or (rule.only_actions and action not in rule.only_actions):
            raise GrantNotAllowedError(f"{action} cannot be granted on resource kind {kind!r}")
    arns = rule.arns(platform, account)
    if rule.needed_by is not None:
        arns = tuple(arn for arn in arns if rule.needed_by(actions, arn))
    if not arns and not rule.optional:
        raise UnknownResourceKindError(f"resource kind {kind!r} has no resources on this platform")
    return arns


def _check_action(action: str) -> None:
    service, _, name = action.partition(":")
    if "*" in action or "?" in action:
        raise GrantNotAllowedError(f"wildcard action {action!r}: grant the exact API calls")
    if not service or not name:
        raise GrantNotAllowedError(f"{action!r} is not an IAM action such as ecs:UpdateService")
