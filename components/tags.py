"""Tag keys the program writes and the policy pack reads, in one place."""

from __future__ import annotations

from stack_config import Platform

PREFIX = "incident-guardrails"
SEVERITY = f"{PREFIX}:severity"
GUIDE_SECTION = f"{PREFIX}:guide-section"
SERVICE = f"{PREFIX}:service"
RUNBOOK_ACTION = f"{PREFIX}:runbook-action"
COMPONENT = f"{PREFIX}:component"
ENVIRONMENT = f"{PREFIX}:environment"


def base_tags(platform: Platform, component: str) -> dict[str, str]:
    """The platform's extra tags plus who made the resource and for which environment."""
    return {**platform.extra_tags, ENVIRONMENT: platform.environment, COMPONENT: component}
