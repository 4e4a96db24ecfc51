"""Steady-state probes of the ECS services."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from runbook_actions.aws import describe_services, fan_out, short_task_definition
from targets.target import HEALTH_CHECKS_TARGETS, SCHEDULES_TASKS

from ..activities import Check, probe
from ..context import DrillContext
from ..faults.ecs import BAD_IMAGE_TAG_PREFIX

BASELINE = "ecs_baseline"
# The parts of a task definition that decide what runs (not its ARN, revision or timestamps).
_CONTENT_FIELDS = (
    "family",
    "containerDefinitions",
    "cpu",
    "memory",
    "networkMode",
    "taskRoleArn",
    "executionRoleArn",
    "requiresCompatibilities",
    "volumes",
    "runtimePlatform",
)


def _services(ctx: DrillContext) -> list[dict[str, Any]]:
    return describe_services(ctx.clients.ecs, ctx.platform.cluster, list(ctx.platform.service_names))


def _verdict(problems: list[str], ok_detail: str, data: dict[str, Any] | None = None) -> Check:
    if problems:
        return Check(False, "; ".join(problems), data or {})
    return Check(True, ok_detail, data or {})


@probe("ecs-steady-state", services={"ecs"})
def ecs_steady_state(ctx: DrillContext) -> Check:
    """Each service at its stack desired count, on an ACTIVE revision that runs no drill's bad
    build; later calls also require the content (images, settings) of the revision the first
    call recorded before the fault, not just any ACTIVE revision."""
    described = _services(ctx)
    definitions = dict(
        fan_out(lambda s: (s["serviceName"], _definition(ctx, s["taskDefinition"])), described)
    )
    current = {name: _fingerprint(d) for name, d in definitions.items()}
    baseline = ctx.memory.setdefault(BASELINE, current)
    problems = []
    for service in described:
        name, deployed = service["serviceName"], short_task_definition(service["taskDefinition"])
        wanted = ctx.platform.service(name).desired_count
        if service["desiredCount"] != wanted:
            problems.append(f"{name} desired {service['desiredCount']}, expected {wanted}")
        if definitions[name].get("status") != "ACTIVE":
            problems.append(f"{name} runs {deployed}, which is {definitions[name].get('status', 'UNKNOWN')}")
        problems += [
            f"{name} runs {image}, a drill's crashing build: an earlier run left it "
            "(python -m drills recover)"
            for image in current[name]["images"]
            if _is_drill_build(image)
        ]
        if current[name]["digest"] != baseline[name]["digest"]:
            problems.append(
                f"{name} runs {deployed} ({', '.join(current[name]['images'])}), the known-good "
                f"revision is {baseline[name]['revision']} ({', '.join(baseline[name]['images'])})"
            )
    return _verdict(
        problems,
        f"{len(described)} services at desired count on their good revision",
        {"revisions": {name: f["revision"] for name, f in current.items()}},
    )


def _definition(ctx: DrillContext, task_definition: str) -> dict[str, Any]:
    return ctx.clients.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]


def _fingerprint(definition: dict[str, Any]) -> dict[str, Any]:
    """What a service runs: the revision, its images, and a digest of everything that defines
    the running code (so a revision re-registered with other content is not the good one)."""
    content = {k: definition.get(k) for k in _CONTENT_FIELDS}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return {
        "revision": short_task_definition(definition["taskDefinitionArn"]),
        "images": [c["image"] for c in definition["containerDefinitions"]],
        "digest": digest,
    }


def _is_drill_build(image: str) -> bool:
    return image.rpartition(":")[2].startswith(BAD_IMAGE_TAG_PREFIX)


@probe("services-running", services={"ecs"}, requires=(SCHEDULES_TASKS,))
def services_running(ctx: DrillContext) -> Check:
    """Each service runs as many tasks as it desires."""
    problems = [
        f"{s['serviceName']} running {s['runningCount']} of {s['desiredCount']}"
        for s in _services(ctx)
        if s["runningCount"] < s["desiredCount"]
    ]
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
