"""Steady-state probes of the ECS services."""
from __future__ import annotations

from typing import Any

from runbook_actions.ecs_helpers import describe_services, short_task_definition
from runbook_actions.fanout import fan_out

from ..activities import Check, probe
from ..context import DrillContext
from ..targets import HEALTH_CHECKS_TARGETS, SCHEDULES_TASKS

BASELINE = "ecs_baseline"


def _services(ctx: DrillContext) -> list[dict[str, Any]]:
    return describe_services(ctx.clients.ecs, ctx.platform.cluster, list(ctx.platform.service_names))


def _verdict(problems: list[str], ok_detail: str, data: dict[str, Any] | None = None) -> Check:
    if problems:
        return Check(False, "; ".join(problems), data or {})
    return Check(True, ok_detail, data or {})


@probe("ecs-steady-state", services={"ecs"})
def ecs_steady_state(ctx: DrillContext) -> Check:
    """Each service at its stack desired count, on an ACTIVE revision; later calls also
    require the revision captured by the first call (the last good one before the fault)."""
    described = _services(ctx)
    statuses = dict(fan_out(lambda s: (s["serviceName"], _revision_status(ctx, s["taskDefinition"])),
                            described))
    baseline = ctx.memory.setdefault(BASELINE, {
        s["serviceName"]: short_task_definition(s["taskDefinition"]) for s in described})
    problems = []
    for service in described:
        name, deployed = service["serviceName"], short_task_definition(service["taskDefinition"])
        wanted = ctx.platform.service(name).desired_count
        if service["desiredCount"] != wanted:
            problems.append(f"{name} desired {service['desiredCount']}, expected {wanted}")
        if statuses[name] != "ACTIVE":
            problems.append(f"{name} runs {deployed}, which is {statuses[name]}")
        if deployed != baseline[name]:
            problems.append(f"{name} runs {deployed}, last good revision is {baseline[name]}")
    return _verdict(problems, f"{len(described)} services at desired count on their good revision",
                    {"revisions": {s["serviceName"]: short_task_definition(s["taskDefinition"])
                                   for s in described}})


def _revision_status(ctx: DrillContext, task_definition: str) -> str:
    found = ctx.clients.ecs.describe_task_definition(taskDefinition=task_definition)
    return found["taskDefinition"].get("status", "UNKNOWN")


@probe("services-running", services={"ecs"}, requires=(SCHEDULES_TASKS,))
def services_running(ctx: DrillContext) -> Check:
    """Each service runs as many tasks as it desires."""
    problems = [f"{s['serviceName']} running {s['runningCount']} of {s['desiredCount']}"
                for s in _services(ctx) if s["runningCount"] < s["desiredCount"]]
    return _verdict(problems, "every service runs its desired count")


@probe("targets-healthy", services={"ecs", "elasticloadbalancing"}, requires=(HEALTH_CHECKS_TARGETS,))
def targets_healthy(ctx: DrillContext) -> Check:
    """Every registered load-balancer target is healthy."""
    arns = [lb["targetGroupArn"] for s in _services(ctx) for lb in s.get("loadBalancers", [])]
    unhealthy = []
    for arn in arns:
        health = ctx.clients.elbv2.describe_target_health(TargetGroupArn=arn)
        states = [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
        if not states or any(state != "healthy" for state in states):
            unhealthy.append(f"{arn.split('/')[-2]}: {states or 'no targets'}")
    return _verdict(unhealthy, f"{len(arns)} target groups healthy")
