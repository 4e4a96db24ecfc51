"""The template variables each scope offers, and their values on one platform.

A template names the platform only through these variables (``{cluster}``, ``{service}``...),
so the same catalog serves every stack. Which variables exist is fixed per scope and checked
when the catalog is loaded; whether a variable has a value is checked on expansion (e.g.
``{cloudtrail_log_group}`` needs ``platform.cloudtrailLogGroup``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from stack_config import JobQueue, Platform, Service

GLOBAL_VARIABLES = frozenset(
    {
        "environment",
        "region",
        "cluster",
        "topic_prefix",
        "aurora_cluster",
        "aurora_audit_log_group",
        "cloudtrail_log_group",
    }
)
_SERVICE = frozenset({"service", "service_log_group", "desired_count"})
_TARGET_GROUP = frozenset({"target_group", "target_group_dimension", "load_balancer_dimension"})
_QUEUE = frozenset({"queue", "queue_max_waiting_jobs"})

# forEach scopes: which items a template is repeated over, and the variables each item adds.
SCOPE_VARIABLES: Mapping[str | None, frozenset[str]] = {
    None: GLOBAL_VARIABLES,
    "service": GLOBAL_VARIABLES | _SERVICE,
    "web_service": GLOBAL_VARIABLES | _SERVICE | _TARGET_GROUP,
    "worker_service": GLOBAL_VARIABLES | _SERVICE,
    "queue": GLOBAL_VARIABLES | _QUEUE,
}
# A template pinned to one named service (forService) may use its target group, if it has one.
NAMED_SERVICE_VARIABLES = GLOBAL_VARIABLES | _SERVICE | _TARGET_GROUP
FOR_EACH_SCOPES = tuple(scope for scope in SCOPE_VARIABLES if scope is not None)


@dataclass(frozen=True)
class TargetGroupDimensions:
    """The ``TargetGroup`` and ``LoadBalancer`` dimension values CloudWatch publishes ALB metrics under.

    Only AWS knows their ID suffixes, so the Pulumi program looks them up; without a look-up,
    ``placeholder`` gives stable stand-ins (``targetgroup/<name>/unresolved``) that drills can
    still publish test datapoints under.
    """

    target_group: str
    load_balancer: str

    @classmethod
    def from_arns(cls, target_group_arn: str, load_balancer_arn: str) -> "TargetGroupDimensions":
        # arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
        # arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
        return cls(
            target_group=target_group_arn.split(":", 5)[5],
            load_balancer=load_balancer_arn.split(":", 5)[5].removeprefix("loadbalancer/"),
        )

    @classmethod
    def placeholder(cls, target_group_name: str) -> "TargetGroupDimensions":
        return cls(
            target_group=f"targetgroup/{target_group_name}/unresolved",
            load_balancer=f"app/{target_group_name}/unresolved",
        )


@dataclass(frozen=True)
class Item:
    """One repetition of a template: its variables, and the service it concerns (if any)."""

    variables: Mapping[str, Any]
    service: str | None = None


def global_variables(platform: Platform) -> dict[str, Any]:
    return {
        "environment": platform.environment,
        "region": platform.region,
        "cluster": platform.cluster,
        "topic_prefix": platform.notifications.topic_prefix,
        "aurora_cluster": platform.aurora.cluster_id,
        "aurora_audit_log_group": platform.aurora.audit_log_group,
        "cloudtrail_log_group": platform.cloudtrail_log_group,
    }


def service_variables(
    platform: Platform, service: Service, target_groups: Mapping[str, TargetGroupDimensions] | None
) -> dict[str, Any]:
    variables = {
        **global_variables(platform),
        "service": service.name,
        "service_log_group": service.log_group,
        "desired_count": service.desired_count,
        "target_group": service.target_group,
        "target_group_dimension": None,
        "load_balancer_dimension": None,
    }
    if service.target_group is not None:
        found = (target_groups or {}).get(service.target_group)
        dimensions = found or TargetGroupDimensions.placeholder(service.target_group)
        variables["target_group_dimension"] = dimensions.target_group
        variables["load_balancer_dimension"] = dimensions.load_balancer
    return variables


def queue_variables(platform: Platform, queue: JobQueue) -> dict[str, Any]:
    return {
        **global_variables(platform),
        "queue": queue.name,
        "queue_max_waiting_jobs": queue.max_waiting_jobs,
    }


def scope_items(
    platform: Platform,
    scope: str | None,
    named_service: str | None,
    target_groups: Mapping[str, TargetGroupDimensions] | None,
) -> Iterator[Item]:
    """The repetitions of a template with ``forEach: scope`` or ``forService: named_service``."""
    if named_service is not None:
        service = platform.service(named_service)
        yield Item(service_variables(platform, service, target_groups), service.name)
    elif scope is None:
        yield Item(global_variables(platform))
    elif scope == "queue":
        for queue in platform.queues:
            yield Item(queue_variables(platform, queue))
    else:
        for service in platform.services:
            if scope == "web_service" and service.target_group is None:
                continue
            if scope == "worker_service" and service.target_group is not None:
                continue
            yield Item(service_variables(platform, service, target_groups), service.name)
