"""Alarms notify the topic of their severity, and every service has a running-tasks alarm.

Severity travels as the ``incident-guardrails:severity`` tag on alarms and topics. P3 is a
severity like the others: its topic pages nobody and feeds the issue queue, so "an action on
the topic of its severity" holds for every alarm.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.tags import SEVERITY
from stack_config import PAGING_SEVERITIES, SEVERITIES

from .platform_context import PlatformUnknownError, platform_facts
from .props import as_list, get, tags_of
from .settings import schema

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ALARMS = (METRIC_ALARM, COMPOSITE_ALARM)
TOPIC = "aws:sns/topic:Topic"
RUNNING_TASKS = ("ECS/ContainerInsights", "RunningTaskCount")


def alarm_violations(props: Any) -> list[str]:
    """An alarm is classified and notifies on both ALARM and OK, through SNS."""
    problems = []
    severity = tags_of(props).get(SEVERITY)
    if severity not in SEVERITIES:
        problems.append(f"tag {SEVERITY} is {severity!r}, not one of {', '.join(SEVERITIES)}")
    if get(props, "actionsEnabled") is False:
        problems.append("actionsEnabled is false: the alarm notifies nobody")
    for key in ("alarmActions", "okActions"):
        actions = as_list(get(props, key))
        if not actions:
            problems.append(f"{key} is empty: the alarm must notify its severity's topic")
        problems += [
            f"{key} has {action!r}, which is not an SNS topic"
            for action in actions
            if not str(action).startswith("arn:") or str(action).split(":")[2:3] != ["sns"]
        ]
    return problems


def _validate_alarm(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type in ALARMS:
        for problem in alarm_violations(args.props):
            report_violation(problem, None)


ALARM_ACTIONS = ResourceValidationPolicy(
    name="alarm-has-severity-actions",
    description="Every alarm carries a severity tag and has alarm and OK actions on SNS.",
    validate=_validate_alarm,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def topic_severities(resources: Iterable[Any]) -> dict[str, str]:
    """Topic ARN -> its severity tag, for the stack's topics."""
    return {
        get(r.props, "arn"): tags_of(r.props).get(SEVERITY)
        for r in resources
        if r.resource_type == TOPIC and get(r.props, "arn")
    }


def routing_violations(alarm_props: Any, topics: Mapping[str, str]) -> list[str]:
    """Every action of the alarm is a topic of this stack with the alarm's severity."""
    severity = tags_of(alarm_props).get(SEVERITY)
    problems = []
    for key in ("alarmActions", "okActions"):
        for action in as_list(get(alarm_props, key)):
            if action not in topics:
                problems.append(f"{key} {action!r} is not a severity topic of this stack")
            elif topics[action] != severity:
                problems.append(f"{key} goes to the {topics[action]} topic, but the alarm is {severity}")
    return problems


def _validate_routing(args: StackValidationArgs, report_violation) -> None:
    topics = topic_severities(args.resources)
    for resource in args.resources:
        if resource.resource_type in ALARMS:
            for problem in routing_violations(resource.props, topics):
                report_violation(problem, resource.urn)


ALARM_ROUTING = StackValidationPolicy(
    name="alarm-routed-to-its-severity-topic",
    description="Every alarm's alarm and OK actions are the topic of the alarm's severity.",
    validate=_validate_routing,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def missing_running_alarms(
    resources: Iterable[Any], services: Iterable[str], cluster: str | None, allowed: Iterable[str]
) -> list[str]:
    """Services without a RunningTaskCount alarm whose actions reach an ``allowed`` topic."""
    resources = list(resources)
    topics = topic_severities(resources)
    allowed = set(allowed)
    covered = set()
    for resource in resources:
        props = resource.props
        if resource.resource_type != METRIC_ALARM:
            continue
        if (get(props, "namespace"), get(props, "metricName")) != RUNNING_TASKS:
            continue
        dimensions = get(props, "dimensions", default={})
        if cluster is not None and get(dimensions, "ClusterName") != cluster:
            continue
        if any(topics.get(action) in allowed for action in as_list(get(props, "alarmActions"))):
            covered.add(get(dimensions, "ServiceName"))
    return [service for service in services if service not in covered]


def _validate_running_alarms(args: StackValidationArgs, report_violation) -> None:
    try:
        facts = platform_facts(args.get_config())
    except PlatformUnknownError as error:
        report_violation(str(error), None)
        return
    # The guide classes every non-production incident as P3: staging alarms page nobody.
    allowed = PAGING_SEVERITIES if facts.production else SEVERITIES
    for service in missing_running_alarms(args.resources, facts.services, facts.cluster, allowed):
        report_violation(
            f"service {service} has no RunningTaskCount alarm on a "
            f"{'paging ' if facts.production else ''}severity topic",
            None,
        )


SERVICE_RUNNING_ALARM = StackValidationPolicy(
    name="service-running-tasks-alarm",
    description="Every service of the platform has a running-tasks alarm routed to a paging "
    "topic (any severity topic on non-production platforms).",
    validate=_validate_running_alarms,
    enforcement_level=EnforcementLevel.MANDATORY,
    # Normally read from the stack config; set these to check a stack without it.
    config_schema=schema(
        services={"type": "array", "items": {"type": "string"}},
        cluster={"type": "string"},
        production={"type": "boolean"},
    ),
)
