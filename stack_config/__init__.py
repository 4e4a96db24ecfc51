"""The platform description shared by the Pulumi program, the drills and the emulator seed."""

from .exceptions import StackConfigError, StackNotFoundError
from .loader import PROJECT_ROOT, load_platform, load_stack_config, platform_from_config, project_name
from .model import (
    PAGING_SEVERITIES,
    SEVERITIES,
    AuroraCluster,
    Notifications,
    Platform,
    Service,
    Subscription,
)

__all__ = [
    "PAGING_SEVERITIES",
    "PROJECT_ROOT",
    "SEVERITIES",
    "AuroraCluster",
    "Notifications",
    "Platform",
    "Service",
    "StackConfigError",
    "StackNotFoundError",
    "Subscription",
    "load_platform",
    "load_stack_config",
    "platform_from_config",
    "project_name",
]
