"""Which services the platform has, read from the stack config the program itself reads.

CrossGuard hands the stack's config to the pack (pulumi.Config works inside policies), so the
"every service has a running-tasks alarm" rule checks against the config, not against the
alarms the program happened to create. A policy config ``services`` list overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pulumi

from stack_config import PLATFORM_KEY, StackConfigError, platform_from_config, project_name


class PlatformUnknownError(Exception):
    """Neither the policy config nor the stack config says which services exist."""


@dataclass(frozen=True)
class PlatformFacts:
    services: tuple[str, ...]
    cluster: str | None
    production: bool


def platform_facts(policy_config: Mapping[str, Any]) -> PlatformFacts:
    if policy_config.get("services"):
        return PlatformFacts(
            tuple(policy_config["services"]),
            policy_config.get("cluster"),
            bool(policy_config.get("production", True)),
        )
    raw = _stack_platform_config()
    if raw is None:
        raise PlatformUnknownError(
            f"cannot tell the platform's services: no stack config {project_name()}:{PLATFORM_KEY} "
            "and no 'services' in this policy's config"
        )
    try:
        platform = platform_from_config(raw)
    except StackConfigError as error:
        raise PlatformUnknownError(f"the stack's platform config is invalid: {error}") from None
    return PlatformFacts(platform.service_names, platform.cluster, platform.production)


def _stack_platform_config() -> Any:
    # The engine names the project; outside it the SDK says "project", so fall back to ours.
    for project in dict.fromkeys([pulumi.get_project(), project_name()]):
        value = pulumi.Config(project).get_object(PLATFORM_KEY)
        if value is not None:
            return value
    return None
