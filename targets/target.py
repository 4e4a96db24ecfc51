"""Where a drill runs: the embedded emulator, a running LocalStack, or a real AWS account.

Each target says which AWS services it answers and which behaviours it really emulates
(capabilities). A step that needs a missing service makes the drill not runnable, said up front;
a check that needs a missing capability is reported as not covered on that target.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from .exceptions import TargetError

# Behaviours beyond "the API answers" that some checks depend on.
SCHEDULES_TASKS = "ecs.schedules-tasks"  # runningCount follows desiredCount
HEALTH_CHECKS_TARGETS = "elb.health-checks"  # target health reflects the fault
CLOUDTRAIL_LOOKUP = "cloudtrail.lookup-events"
EVALUATES_ALARMS = "cloudwatch.evaluates-alarms"
EXECUTES_LAMBDA = "lambda.executes-code"

ALL_CAPABILITIES = frozenset(
    {SCHEDULES_TASKS, HEALTH_CHECKS_TARGETS, CLOUDTRAIL_LOOKUP, EVALUATES_ALARMS, EXECUTES_LAMBDA}
)

# Why moto lacks each capability (from shared/FINDINGS.md), quoted in reports.
MOTO_GAPS = {
    SCHEDULES_TASKS: "moto schedules no ECS tasks: runningCount stays 0",
    HEALTH_CHECKS_TARGETS: "moto reports every registered target healthy, whatever the fault",
    CLOUDTRAIL_LOOKUP: "moto does not implement CloudTrail LookupEvents",
    EVALUATES_ALARMS: "moto never evaluates CloudWatch alarms",
    EXECUTES_LAMBDA: "moto cannot execute Lambda code without Docker",
}
MOTO_SERVICES = frozenset(
    {
        "ecs",
        "logs",
        "elasticloadbalancing",
        "rds",
        "secretsmanager",
        "iam",
        "ssm",
        "sns",
        "sqs",
        "events",
        "cloudwatch",
        "ec2",
        "sts",
        "kms",
        "backup",
        "lambda",
        "cloudtrail",
    }
)
LOCALSTACK_GAPS = {
    SCHEDULES_TASKS: "LocalStack community has no ECS",
    HEALTH_CHECKS_TARGETS: "LocalStack community has no ELBv2",
    CLOUDTRAIL_LOOKUP: "LocalStack community has no CloudTrail",
    EXECUTES_LAMBDA: "LocalStack cannot execute Lambda code without Docker",
}
# LocalStack's health endpoint names services by their boto3 name; steps name IAM prefixes.
LOCALSTACK_NAME_TO_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "monitoring": "cloudwatch",
}


@dataclass(frozen=True)
class Target:
    name: str
    endpoint_url: str | None
    services: frozenset[str] | None  # IAM service prefixes it answers; None: all of them
    gaps: dict[str, str] = field(default_factory=dict)

    def lacks(self, capability: str) -> str | None:
        """Why this target cannot check ``capability``, or None if it can."""
        return self.gaps.get(capability)

    def missing_services(self, needed: set[str]) -> list[str]:
        return [] if self.services is None else sorted(needed - self.services)


def local_target(endpoint_url: str) -> Target:
    return Target("local", endpoint_url, MOTO_SERVICES, dict(MOTO_GAPS))


def aws_target() -> Target:
    return Target("aws", None, None, {})


def localstack_endpoint() -> str:
    """AWS_ENDPOINT_URL, else http://$LOCALSTACK_HOST (localstack-client's rule)."""
    explicit = os.environ.get("AWS_ENDPOINT_URL")
    if explicit:
        return explicit
    host = os.environ.get("LOCALSTACK_HOST", "localhost:4566")
    return host if host.startswith(("http://", "https://")) else f"http://{host}"


def localstack_target(endpoint_url: str | None = None) -> Target:
    endpoint = endpoint_url or localstack_endpoint()
    services = _localstack_services(endpoint)
    return Target("localstack", endpoint, services, dict(LOCALSTACK_GAPS))


def _localstack_services(endpoint: str) -> frozenset[str]:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=5) as response:
            health = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TargetError(
            f"LocalStack is not answering at {endpoint} ({error}); start it, "
            "or set AWS_ENDPOINT_URL / LOCALSTACK_HOST"
        ) from None
    states = health.get("services") if isinstance(health, dict) else None
    if not isinstance(states, dict):
        raise TargetError(f"{endpoint}/_localstack/health did not list services")
    usable = {name for name, state in states.items() if state in ("available", "running")}
    return frozenset(LOCALSTACK_NAME_TO_PREFIX.get(name, name) for name in usable)
