"""Small ECS look-ups shared by the actions."""

from __future__ import annotations

import re
from typing import Any

from .aws_errors import aws_call
from .exceptions import NotFoundError
from .fanout import fan_out, paced

_DESCRIBE_BATCH = 10  # DescribeServices accepts at most 10 services per call.
_TASK_DEFINITION = re.compile(r"(?:.*task-definition/)?(?P<family>[A-Za-z0-9_\-]+):(?P<revision>\d+)$")


def parse_task_definition(arn: str) -> tuple[str, int]:
    """``(family, revision)`` of a task definition ARN or ``family:revision``."""
    match = _TASK_DEFINITION.match(arn)
    if match is None:
        raise NotFoundError(f"cannot read family and revision from task definition {arn!r}")
    return match["family"], int(match["revision"])


def short_task_definition(arn: str) -> str:
    family, revision = parse_task_definition(arn)
    return f"{family}:{revision}"


def list_service_names(ecs: Any, cluster: str) -> list[str]:
    names: list[str] = []
    with aws_call(f"listing the services of cluster {cluster}"):
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
            names.extend(arn.rsplit("/", 1)[-1] for arn in page["serviceArns"])
    return sorted(names)


def describe_services(ecs: Any, cluster: str, names: list[str]) -> list[dict[str, Any]]:
    """Describe services in batches of 10, the batches in parallel on the process's ECS buckets
    (500 services: 50 calls, about 7 round trips on 8 workers rather than 50 one after another);
    an unknown or deleted service is a NotFoundError. Services come back in batch order."""
    ecs = paced(ecs)  # a caller's own pacing wins; an unpaced client draws from the process's buckets
    batches = [names[start : start + _DESCRIBE_BATCH] for start in range(0, len(names), _DESCRIBE_BATCH)]

    def describe(batch: list[str]) -> Any:
        with aws_call(f"describing services in cluster {cluster}"):
            return ecs.describe_services(cluster=cluster, services=batch)

    found: list[dict[str, Any]] = []
    missing: list[str] = []
    for response in fan_out(describe, batches):
        found.extend(s for s in response["services"] if s.get("status") != "INACTIVE")
        missing.extend(f["arn"].rsplit("/", 1)[-1] for f in response.get("failures", []))
        missing.extend(s["serviceName"] for s in response["services"] if s.get("status") == "INACTIVE")
    if missing:
        raise NotFoundError(f"unknown service(s) in cluster {cluster}: {', '.join(sorted(missing))}")
    return found


def describe_service(ecs: Any, cluster: str, name: str) -> dict[str, Any]:
    return describe_services(ecs, cluster, [name])[0]
