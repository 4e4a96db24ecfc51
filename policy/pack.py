"""The pack's policies, importable without starting the analyzer (tests evaluate them directly)."""

from __future__ import annotations

from pulumi_policy import Policy

from .alarm_rules import ALARM_ACTIONS, ALARM_ROUTING, SERVICE_RUNNING_ALARM
from .backup_rules import BACKUP_RETENTION, BACKUP_RULES_APART
from .function_rules import FAILURE_DESTINATION, FUNCTION_SETTINGS, LEAST_PRIVILEGE, LOG_RETENTION
from .iam_rules import BREAK_GLASS_MFA, NO_WILDCARD_ACTIONS
from .page_rules import BREAK_GLASS_KEEPS_PAGE, CLOUDTRAIL_RULE_STATE
from .paging_rules import PAGING_WAKES_SOMEONE
from .topic_rules import TOPICS_ENCRYPTED

PACK_NAME = "incident-guardrails"
POLICIES: list[Policy] = [
    BACKUP_RETENTION,
    BACKUP_RULES_APART,
    ALARM_ACTIONS,
    ALARM_ROUTING,
    SERVICE_RUNNING_ALARM,
    BREAK_GLASS_MFA,
    BREAK_GLASS_KEEPS_PAGE,
    CLOUDTRAIL_RULE_STATE,
    PAGING_WAKES_SOMEONE,
    NO_WILDCARD_ACTIONS,
    FUNCTION_SETTINGS,
    FAILURE_DESTINATION,
    LOG_RETENTION,
    LEAST_PRIVILEGE,
    TOPICS_ENCRYPTED,
]
