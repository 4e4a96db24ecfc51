"""Triage an ECS cluster: counts, deployed revision, latest event, target health and error logs."""

from __future__ import annotations

import re
import time
from typing import Any, cast

from .action import Action, ActionResult, IamCondition, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, SERVICES
from .ecs_helpers import describe_services, list_service_names, short_task_definition
from .fanout import fan_out, paced
from .params import Param

NAME = "triage"
ERROR_LINE = re.compile(
    r"\b(error|fatal|critical|panic|exception|traceback|unhandled|out of memory|oomkilled|"
    r"segfault|sigkill|crash(ed)?)\b",
    re.IGNORECASE,
)
# Bounds the log scan so a log storm cannot make triage itself slow.
MAX_EVENTS_SCANNED = 5000


def triage(
    clients: AwsClients,
    *,
    cluster: str,
    services: list[str] | None = None,
    since_minutes: int = 10,
    max_error_lines: int = 20,
    dry_run: bool = False,
) -> ActionResult:
    names = services or list_service_names(clients.ecs, cluster)
    described = describe_services(clients.ecs, cluster, names)
    start_ms = int((time.time() - since_minutes * 60) * 1000)
    # One DescribeTaskDefinition per service: pace it, or a large cluster gets throttled.
    ecs = paced(clients.ecs)
    reports = fan_out(lambda s: _service_report(clients, ecs, s, start_ms, max_error_lines), described)
    details = {
        "cluster": cluster,
        "window_minutes": since_minutes,
        "services": reports,
        "summary": _summary(reports),
    }
    return ActionResult(NAME, ok=True, changed=False, dry_run=dry_run, details=details)


def _service_report(
    clients: AwsClients, ecs: Any, service: dict[str, Any], start_ms: int, max_error_lines: int
) -> dict[str, Any]:
    events = service.get("events") or []
    log_group = _log_group(ecs, service["taskDefinition"])
    errors = _error_lines(clients.logs, log_group, start_ms) if log_group else []
    return {
        "name": service["serviceName"],
        "desired": service["desiredCount"],
        "running": service["runningCount"],
        "pending": service.get("pendingCount", 0),
        "task_definition": short_task_definition(service["taskDefinition"]),
        "latest_event": events[0]["message"] if events else None,
        "target_groups": [
            _target_health(clients.elbv2, lb["targetGroupArn"])
            for lb in service.get("loadBalancers", [])
            if lb.get("targetGroupArn")
        ],
        "log_group": log_group,
        "error_line_count": len(errors),
        "error_lines": errors[-max_error_lines:],
    }


def _log_group(ecs: Any, task_definition: str) -> str | None:
    with aws_call(f"describing task definition {task_definition}"):
        found = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    for container in found.get("containerDefinitions", []):
        options = (container.get("logConfiguration") or {}).get("options") or {}
        if options.get("awslogs-group"):
            return cast(str, options["awslogs-group"])
    return None


def _error_lines(logs: Any, log_group: str, start_ms: int) -> list[str]:
    lines: list[str] = []
    scanned = 0
    with aws_call(f"reading log group {log_group}"):
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=log_group, startTime=start_ms)
        for page in pages:
            for event in page["events"]:
                scanned += 1
                if ERROR_LINE.search(event["message"]):
                    lines.append(event["message"].rstrip())
            if scanned >= MAX_EVENTS_SCANNED:
                break
    return lines


def _target_health(elbv2: Any, target_group_arn: str) -> dict[str, Any]:
    with aws_call(f"reading target health of {target_group_arn}"):
        described = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    states = [d["TargetHealth"]["State"] for d in described["TargetHealthDescriptions"]]
    return {
        "target_group": target_group_arn.split(":")[-1],
        "healthy": states.count("healthy"),
        "unhealthy": states.count("unhealthy"),
        "other": len(states) - states.count("healthy") - states.count("unhealthy"),
    }


def _summary(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "services": len(reports),
        "with_no_running_tasks": [r["name"] for r in reports if r["desired"] > 0 and r["running"] == 0],
        "below_desired": [r["name"] for r in reports if r["running"] < r["desired"]],
        "with_unhealthy_targets": [
            r["name"] for r in reports if any(t["unhealthy"] or not t["healthy"] for t in r["target_groups"])
        ],
        "with_error_lines": [r["name"] for r in reports if r["error_line_count"]],
    }


ACTION = Action(
    name=NAME,
    summary="Per service: desired/running/pending, revision, latest event, target health, error lines.",
    params=(
        CLUSTER,
        SERVICES,
        Param("since_minutes", int, "how far back to read logs", default=10, minimum=1, maximum=1440),
        Param("max_error_lines", int, "error lines to show per service", default=20, minimum=0, maximum=500),
    ),
    run=triage,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(("ecs:DescribeServices",), "ecs-cluster-services"),
        IamGrant(("ecs:DescribeTaskDefinition",), "*"),
        IamGrant(("elasticloadbalancing:DescribeTargetHealth",), "*"),
        IamGrant(("logs:FilterLogEvents",), "log-group"),
    ),
    mutating=False,
)
