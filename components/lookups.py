"""Facts only AWS knows, read at preview time: the account, load-balancer dimensions and types,
the cluster's id."""

from __future__ import annotations

import pulumi_aws as aws

from alarm_catalog import TargetGroupDimensions
from stack_config import LOAD_BALANCER_TYPES, Platform

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
    """Where CloudWatch publishes each web service's target-group metrics, and the load-balancer type.

    The type comes from AWS (the load balancer's ``load_balancer_type``): ``application`` publishes
    under AWS/ApplicationELB, ``network`` under AWS/NetworkELB with other metrics. A service that
    declares ``loadBalancerType`` in the stack config must match what AWS says, so the drills and
    the detection replay (which read the config, not AWS) model the load balancer that exists.
    """
    found: dict[str, TargetGroupDimensions] = {}
    for service in platform.services:
        if service.target_group is None:
            continue
        target_group = aws.lb.get_target_group(name=service.target_group)
        balancers = list(target_group.load_balancer_arns or [])
        if not balancers:
            # Without a load balancer the group publishes no metrics: its alarms could never fire.
            raise AwsLookupError(
                f"target group {service.target_group} (service {service.name}) "
                "is attached to no load balancer"
            )
        balancer = aws.lb.get_load_balancer(arn=balancers[0])
        kind = balancer.load_balancer_type
        if kind not in LOAD_BALANCER_TYPES:
            raise AwsLookupError(
                f"target group {service.target_group} (service {service.name}) is behind {kind!r} "
                f"load balancer {balancer.name}; the alarm catalog models {' and '.join(LOAD_BALANCER_TYPES)}"
            )
        if service.load_balancer_type is not None and service.load_balancer_type != kind:
            raise AwsLookupError(
                f"service {service.name} declares loadBalancerType {service.load_balancer_type}, but its "
                f"target group {service.target_group} is behind {kind} load balancer {balancer.name}; "
                "correct the stack config"
            )
        found[service.target_group] = TargetGroupDimensions(
            target_group=target_group.arn_suffix, load_balancer=balancer.arn_suffix, load_balancer_type=kind
        )
    return found


def cluster_resource_id(platform: Platform) -> str:
    """The Aurora cluster's resource id (``cluster-...``), which AWS Config names it by."""
    return aws.rds.get_cluster(cluster_identifier=platform.aurora.cluster_id).cluster_resource_id
