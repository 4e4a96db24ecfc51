"""The platform description shared by the Pulumi program, the drills and the emulator seed.

Other packages import the names ``__all__`` lists, and the shared helper modules it names:
``runbook_env`` (the environment the actions read), ``shapes``, ``strict_yaml`` and
``typed_mapping`` (validating data read from YAML), ``backup_windows`` (when backup jobs may
run, shared by the config check and the policy pack), ``preconditions`` (what must hold in the
account before deploying, read by the program at preview and by ``drills preflight``),
``derived_names`` (every AWS name the program derives from the config, and its limit).
"""

from .exceptions import StackConfigError, StackNotFoundError
from .loader import (
    PLATFORM_KEY,
    PROJECT_ROOT,
    STACK_NAME,
    load_platform,
    load_stack_config,
    platform_from_config,
    project_name,
)
from .model import (
    LOAD_BALANCER_TYPES,
    MAX_ROLE_SESSION_SECONDS,
    MIN_ROLE_SESSION_SECONDS,
    PAGER_KINDS,
    PAGING_SEVERITIES,
    SEVERITIES,
    SUBSCRIPTION_PROTOCOLS,
    AuroraCluster,
    BackupSettings,
    BreakGlass,
    JobQueue,
    Notifications,
    Platform,
    Service,
    Subscription,
)

__all__ = [
    "PLATFORM_KEY",
    "STACK_NAME",
    "BackupSettings",
    "BreakGlass",
    "JobQueue",
    "LOAD_BALANCER_TYPES",
    "MAX_ROLE_SESSION_SECONDS",
    "MIN_ROLE_SESSION_SECONDS",
    "backup_windows",
    "derived_names",
    "preconditions",
    "runbook_env",
    "shapes",
    "strict_yaml",
    "typed_mapping",
    "PAGER_KINDS",
    "PAGING_SEVERITIES",
    "PROJECT_ROOT",
    "SEVERITIES",
    "SUBSCRIPTION_PROTOCOLS",
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
