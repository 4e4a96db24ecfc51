"""Which ARNs each runbook resource kind means on this platform.

Runbook actions declare IAM as ``IamGrant(actions, kind)``; this module is the only place a
kind becomes resources. A kind it does not know is an error, never a silent ``*``, so a new
action cannot ship with broader access than someone decided to give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

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


def _log_groups(platform: Platform, account: AwsAccount) -> tuple[str, ...]:
    names = [s.log_group for s in platform.services] + [platform.aurora.audit_log_group]
    return tuple(arn for name in dict.fromkeys(names) for arn in account.log_group(name))


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
    "log-group": KindRule(_log_groups, frozenset({"logs"})),
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
    "secret": KindRule(lambda p, a: tuple(a.secret(s) for s in p.secrets), frozenset({"secretsmanager"})),
    "ssm-endpoint-parameter": KindRule(
        lambda p, a: (a.ssm_parameter(p.aurora.endpoint_parameter),), frozenset({"ssm"})
    ),
    # stop-writes/restore-writes records; the functions keep the default state prefix.
    "ssm-state-parameter": KindRule(
        lambda p, a: (a.ssm_parameter(f"{DEFAULT_STATE_PREFIX}/{p.cluster}/*"),), frozenset({"ssm"})
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


def resources_for(
    kind: str, actions: tuple[str, ...], platform: Platform, account: AwsAccount
) -> tuple[str, ...]:
    """The ARNs ``actions`` may be granted on for ``kind``; raises on anything unexpected."""
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
    if not arns:
        raise UnknownResourceKindError(f"resource kind {kind!r} has no resources on this platform")
    return arns


def _check_action(action: str) -> None:
    service, _, name = action.partition(":")
    if "*" in action or "?" in action:
        raise GrantNotAllowedError(f"wildcard action {action!r}: grant the exact API calls")
    if not service or not name:
        raise GrantNotAllowedError(f"{action!r} is not an IAM action such as ecs:UpdateService")
