"""The template variables each scope offers, and their values on one platform.

A template names the platform only through these variables (``{cluster}``, ``{service}``...),
so the same catalog serves every stack. Which variables exist is fixed per scope and checked
when the catalog is loaded; whether a variable has a value is checked on expansion (e.g.
``{cloudtrail_log_group}`` needs ``platform.cloudtrailLogGroup``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from stack_config import JobQueue, Platform, Service

from .exceptions import CatalogError
from .vocabulary import LOAD_BALANCER_NAMESPACES, LOAD_BALANCER_PREFIXES

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
_LOAD_BALANCER = frozenset(
    {"load_balancer_dimension", "load_balancer_type", "load_balancer_namespace", "load_balancer_name"}
)
_TARGET_GROUP = frozenset({"target_group", "target_group_dimension"}) | _LOAD_BALANCER
_HEALTH_CHECK = frozenset({"health_check", "health_check_url"})
_QUEUE = frozenset({"queue", "queue_max_waiting_jobs"})
# The break-glass admin role's IAM name, and a CloudWatch Logs regex matching it in any letter
# case (IAM names are case-insensitive), for the page's metric filter.
_BREAK_GLASS = frozenset({"break_glass_admin_role", "break_glass_admin_role_any_case"})

# forEach scopes: which items a template is repeated over, and the variables each item adds.
#   web_service     services with a target group (and so a load balancer)
#   load_balancer   each load balancer in front of a web service, once (services may share one)
#   public_service  services with a healthCheckUrl (checked from outside by Route 53)
#   break_glass     once when the stack config sets breakGlass (the program requires it), else never
SCOPE_VARIABLES: Mapping[str | None, frozenset[str]] = {
    None: GLOBAL_VARIABLES,
    "service": GLOBAL_VARIABLES | _SERVICE,
    "web_service": GLOBAL_VARIABLES | _SERVICE | _TARGET_GROUP,
    "worker_service": GLOBAL_VARIABLES | _SERVICE,
    "load_balancer": GLOBAL_VARIABLES | _LOAD_BALANCER | {"load_balancer_services"},
    "public_service": GLOBAL_VARIABLES | _SERVICE | _HEALTH_CHECK,
    "queue": GLOBAL_VARIABLES | _QUEUE,
    "break_glass": GLOBAL_VARIABLES | _BREAK_GLASS,
}
# Scopes whose items sit behind a load balancer: only their templates may vary by its type.
LOAD_BALANCER_SCOPES = frozenset({"web_service", "load_balancer"})
# A template pinned to one named service (forService) may use its target group and health check,
# if it has them.
NAMED_SERVICE_VARIABLES = GLOBAL_VARIABLES | _SERVICE | _TARGET_GROUP | _HEALTH_CHECK
FOR_EACH_SCOPES = tuple(scope for scope in SCOPE_VARIABLES if scope is not None)


@dataclass(frozen=True)
class TargetGroupDimensions:
    """Where CloudWatch publishes a target group's metrics: its dimensions and load-balancer type.

    ``target_group`` and ``load_balancer`` are the ``TargetGroup`` and ``LoadBalancer`` dimension
    values (``targetgroup/<name>/<id>``, ``app/<name>/<id>`` or ``net/<name>/<id>``);
    ``load_balancer_type`` (application or network) decides the namespace and which metrics
    exist. Only AWS knows the ID suffixes, so the Pulumi program looks them up; without a
    look-up, ``placeholder`` gives stable stand-ins (``targetgroup/<name>/unresolved``) that
    drills can still publish test datapoints under.
    """

    target_group: str
    load_balancer: str
    load_balancer_type: str = "application"

    def __post_init__(self) -> None:
        if self.load_balancer_type not in LOAD_BALANCER_PREFIXES:
            raise CatalogError(
                f"load balancer {self.load_balancer}: type {self.load_balancer_type!r} is not one of "
                f"{', '.join(LOAD_BALANCER_PREFIXES)}"
            )
        prefix = LOAD_BALANCER_PREFIXES[self.load_balancer_type]
        if not self.load_balancer.startswith(f"{prefix}/"):
            raise CatalogError(
                f"load balancer dimension {self.load_balancer!r} does not start with {prefix}/, "
                f"as a {self.load_balancer_type} load balancer's does"
            )

    @classmethod
    def from_arns(cls, target_group_arn: str, load_balancer_arn: str) -> "TargetGroupDimensions":
        """The dimensions in two ARNs; the load balancer's type is in its ARN (``app/``, ``net/``)."""
        # arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>
        # arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>
        load_balancer = load_balancer_arn.split(":", 5)[5].removeprefix("loadbalancer/")
        kinds = {prefix: kind for kind, prefix in LOAD_BALANCER_PREFIXES.items()}
        kind = kinds.get(load_balancer.split("/", 1)[0])
        if kind is None:
            raise CatalogError(
                f"{load_balancer_arn} is neither an application (app/) nor a network (net/) load balancer"
            )
        return cls(target_group_arn.split(":", 5)[5], load_balancer, kind)

    @classmethod
    def placeholder(
        cls, target_group_name: str, load_balancer_type: str = "application"
    ) -> "TargetGroupDimensions":
        prefix = LOAD_BALANCER_PREFIXES.get(load_balancer_type, "app")
        return cls(
            target_group=f"targetgroup/{target_group_name}/unresolved",
            load_balancer=f"{prefix}/{target_group_name}/unresolved",
            load_balancer_type=load_balancer_type,
        )

    @property
    def namespace(self) -> str:
        return LOAD_BALANCER_NAMESPACES[self.load_balancer_type]

    @property
    def load_balancer_name(self) -> str:
        """``<name>`` of ``app/<name>/<id>``."""
        return self.load_balancer.split("/")[1]


def target_group_dimensions(
    service: Service, target_groups: Mapping[str, TargetGroupDimensions] | None
) -> TargetGroupDimensions | None:
    """The service's looked-up dimensions, else stand-ins of its declared type (application if none)."""
    if service.target_group is None:
        return None
    found = (target_groups or {}).get(service.target_group)
    declared = service.load_balancer_type
    if found is None:
        return TargetGroupDimensions.placeholder(service.target_group, declared or "application")
    if declared is not None and declared != found.load_balancer_type:
        raise CatalogError(
            f"service {service.name} declares loadBalancerType {declared}, but its target group "
            f"{service.target_group} is behind {found.load_balancer_type} load balancer {found.load_balancer}"
        )
    return found


def health_check_name(platform: Platform, service: Service) -> str:
    """The Route 53 health check's Name tag; also the HealthCheckId stand-in of the offline catalog."""
    return f"{platform.cluster}-{service.name}-public-health"


@dataclass(frozen=True)
class Item:
    """One repetition of a template: its variables, and the service(s) it concerns (if any)."""

    variables: Mapping[str, Any]
    service: str | None = None
    # The services behind a load_balancer item (several may share one load balancer).
    services: tuple[str, ...] = ()


def any_letter_case(name: str) -> str:
    """A CloudWatch Logs regex matching ``name`` in any letter case: ``Ab-1`` -> ``[Aa][Bb]-1``.

    Only letters, digits, ``-`` and ``_`` (an ECS cluster name's characters, so a derived role
    name's): each is itself in CloudWatch's regex subset, and none is a regex operator.
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise CatalogError(f"{name!r}: only letters, digits, - and _ can be matched in any case")
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in name)


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


def break_glass_variables(platform: Platform) -> dict[str, Any]:
    admin = platform.break_glass_admin_role
    return {
        **global_variables(platform),
        "break_glass_admin_role": admin,
        "break_glass_admin_role_any_case": any_letter_case(admin),
    }


def _load_balancer_variables(dimensions: TargetGroupDimensions | None) -> dict[str, Any]:
    if dimensions is None:
        return {name: None for name in _LOAD_BALANCER}
    return {
        "load_balancer_dimension": dimensions.load_balancer,
        "load_balancer_type": dimensions.load_balancer_type,
        "load_balancer_namespace": dimensions.namespace,
        "load_balancer_name": dimensions.load_balancer_name,
    }


def service_variables(
    platform: Platform, service: Service, target_groups: Mapping[str, TargetGroupDimensions] | None
) -> dict[str, Any]:
    dimensions = target_group_dimensions(service, target_groups)
    return {
        **global_variables(platform),
        "service": service.name,
        "service_log_group": service.log_group,
        "desired_count": service.desired_count,
        "target_group": service.target_group,
        "target_group_dimension": None if dimensions is None else dimensions.target_group,
        **_load_balancer_variables(dimensions),
        "health_check_url": service.health_check_url,
        "health_check": None if service.health_check_url is None else health_check_name(platform, service),
    }


def queue_variables(platform: Platform, queue: JobQueue) -> dict[str, Any]:
    return {
        **global_variables(platform),
        "queue": queue.name,
        "queue_max_waiting_jobs": queue.max_waiting_jobs,
    }


def _load_balancer_items(
    platform: Platform, target_groups: Mapping[str, TargetGroupDimensions] | None
) -> Iterator[Item]:
    """One item per distinct load balancer in front of a web service, in service order."""
    behind: dict[str, list[str]] = {}
    found: dict[str, TargetGroupDimensions] = {}
    for service in platform.services:
        dimensions = target_group_dimensions(service, target_groups)
        if dimensions is not None:
            behind.setdefault(dimensions.load_balancer, []).append(service.name)
            found.setdefault(dimensions.load_balancer, dimensions)
    for load_balancer, services in behind.items():
        variables = {
            **global_variables(platform),
            **_load_balancer_variables(found[load_balancer]),
            "load_balancer_services": ", ".join(services),
        }
        yield Item(variables, None, tuple(services))


def scope_items(
    platform: Platform,
    scope: str | None,
    named_service: str | None,
    target_groups: Mapping[str, TargetGroupDimensions] | None,
) -> Iterator[Item]:
    """The repetitions of a template with ``forEach: scope`` or ``forService: named_service``."""
    if named_service is not None:
        service = platform.service(named_service)
        yield Item(service_variables(platform, service, target_groups), service.name, (service.name,))
    elif scope is None:
        yield Item(global_variables(platform))
    elif scope == "queue":
        for queue in platform.queues:
            yield Item(queue_variables(platform, queue))
    elif scope == "break_glass":
        if platform.break_glass is not None:
            yield Item(break_glass_variables(platform))
    elif scope == "load_balancer":
        yield from _load_balancer_items(platform, target_groups)
    else:
        for service in platform.services:
            if scope == "web_service" and service.target_group is None:
                continue
            if scope == "worker_service" and service.target_group is not None:
                continue
            if scope == "public_service" and service.health_check_url is None:
                continue
            yield Item(service_variables(platform, service, target_groups), service.name, (service.name,))
