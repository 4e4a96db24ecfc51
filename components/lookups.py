"""Facts only AWS knows, read at preview time: the account, ALB dimensions, the cluster's id."""

from __future__ import annotations

import pulumi_aws as aws

from alarm_catalog import TargetGroupDimensions
from stack_config import Platform

from .arns import AwsAccount


class AwsLookupError(Exception):
    """An AWS look-up found something the program cannot use."""


def deploying_account(platform: Platform) -> AwsAccount:
    """The account the credentials deploy into; a platform pinned to another is an error."""
    identity = aws.get_caller_identity()
    if platform.account_id is not None and platform.account_id != identity.account_id:
        raise AwsLookupError(
            f"the stack config pins account {platform.account_id}, but the "
            f"credentials are for account {identity.account_id}"
        )
    return AwsAccount.from_caller(identity.account_id, identity.arn, platform.region)


def target_group_dimensions(platform: Platform) -> dict[str, TargetGroupDimensions]:
    """CloudWatch's TargetGroup/LoadBalancer dimension values of every web service's target group."""
    found: dict[str, TargetGroupDimensions] = {}
    for service in platform.services:
        if service.target_group is None:
            continue
        target_group = aws.lb.get_target_group(name=service.target_group)
        balancers = list(target_group.load_balancer_arns or [])
        if not balancers:
            # Without a load balancer the group has no ALB metrics: its alarms could never fire.
            raise AwsLookupError(
                f"target group {service.target_group} (service {service.name}) "
                "is attached to no load balancer"
            )
        found[service.target_group] = TargetGroupDimensions.from_arns(target_group.arn, balancers[0])
    return found


def cluster_resource_id(platform: Platform) -> str:
    """The Aurora cluster's resource id (``cluster-...``), which AWS Config names it by."""
    return aws.rds.get_cluster(cluster_identifier=platform.aurora.cluster_id).cluster_resource_id
