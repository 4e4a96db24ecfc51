"""The AWS helpers behind the actions, as one public surface for the packages built on them.

The drills, targets and benchmarks import these instead of the actions' own modules: ECS reads
and task-definition names, the paced parallel fan-out, ECS's documented quotas and the process's
buckets (RATE_LIMITS), the error translation every call goes through, and the name of an
incident's recorded-counts parameter.
"""

from .aws_errors import aws_call
from .clients import default_config
from .ecs_helpers import describe_service, describe_services, parse_task_definition, short_task_definition
from .fanout import (
    ECS_OPERATION_CATEGORIES,
    ECS_QUOTAS,
    PACED_QUOTAS,
    PACING_MARGIN,
    RATE_LIMITS,
    BucketQuota,
    PacedClient,
    PacedClients,
    RateLimitRegistry,
    RateLimits,
    fan_out,
    process_pacing,
)
from .incident_state import desired_counts_parameter

__all__ = [
    "ECS_OPERATION_CATEGORIES",
    "ECS_QUOTAS",
    "PACED_QUOTAS",
    "PACING_MARGIN",
    "RATE_LIMITS",
    "BucketQuota",
    "PacedClient",
    "PacedClients",
    "RateLimitRegistry",
    "RateLimits",
    "aws_call",
    "default_config",
    "describe_service",
    "describe_services",
    "desired_counts_parameter",
    "fan_out",
    "parse_task_definition",
    "process_pacing",
    "short_task_definition",
]
