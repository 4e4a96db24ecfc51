"""Backup retention: the guide restores "any second in the last 7 days" (P0-B); rules apart in time."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from stack_config import backup_windows

from .props import as_list, document, get, number
from .settings import schema, setting

PLAN = "aws:backup/plan:Plan"
CONFIG_RULE = "aws:cfg/rule:Rule"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RETENTION_CHECK = "RDS_CLUSTER_BACKUP_RETENTION_CHECK"
RETENTION_CHECK_DEFAULT_DAYS = 7.0  # AWS's default for the rule's parameter

SCHEMA = schema(minimumRetentionDays={"type": "integer", "minimum": 1, "default": 7})


def plan_violations(props: Any, minimum_days: float) -> list[str]:
    """Every rule and copy keeps backups at least ``minimum_days``; one rule is continuous (PITR)."""
    problems = []
    rules = as_list(get(props, "rules"))
    if not any(get(rule, "enableContinuousBackup") is True for rule in rules):
        problems.append("no rule has enableContinuousBackup: point-in-time restore is not kept")
    for rule in rules:
        name = get(rule, "ruleName", default="?")
        kept = [("", get(rule, "lifecycle", "deleteAfter"))]
        kept += [
            (
                f" copy to {get(copy, 'destinationVaultArn', default='?')}",
                get(copy, "lifecycle", "deleteAfter"),
            )
            for copy in as_list(get(rule, "copyActions"))
        ]
        for where, days in kept:
            days = number(days)
            # No deleteAfter means kept forever, which satisfies a minimum.
            if days is not None and days < minimum_days:
                problems.append(
                    f"rule {name}{where} keeps backups {days:g} days, below the minimum of {minimum_days:g}"
                )
    return problems


def retention_check_violations(props: Any, minimum_days: float) -> list[str]:
    """The AWS Config retention rule must not accept clusters below the minimum."""
    if get(props, "source", "sourceIdentifier") != RETENTION_CHECK:
        return []
    parameters = document(get(props, "inputParameters")) or {}
    days = number(get(parameters, "minimumBackupRetentionPeriod"))
    days = RETENTION_CHECK_DEFAULT_DAYS if days is None else days
    if days < minimum_days:
        return [
            f"{RETENTION_CHECK} accepts clusters keeping backups {days:g} days, "
            f"below the minimum of {minimum_days:g}"
        ]
    return []


def cluster_violations(props: Any, minimum_days: float) -> list[str]:
    days = number(get(props, "backupRetentionPeriod"))
    if days is None or days < minimum_days:
        return [
            f"the cluster keeps automated backups {'1 (the default)' if days is None else f'{days:g}'} "
            f"days, below the minimum of {minimum_days:g}"
        ]
    return []


_CHECKS = {PLAN: plan_violations, CONFIG_RULE: retention_check_violations, RDS_CLUSTER: cluster_violations}


def _validate(args: ResourceValidationArgs, report_violation) -> None:
    check = _CHECKS.get(args.resource_type)
    if check is None:
        return
    minimum = float(setting(args.get_config(), SCHEMA, "minimumRetentionDays"))
    for problem in check(args.props, minimum):
        report_violation(problem, None)


BACKUP_RETENTION = ResourceValidationPolicy(
    name="backup-retention-minimum",
    description="Backups (AWS Backup plans, Config thresholds, Aurora clusters) are kept at "
    "least the minimum number of days, with point-in-time restore.",
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=SCHEMA,
)


def overlap_violations(props: Any) -> list[str]:
    """No two rules of a plan may run at once: they back up the same resources, one job at a time."""
    rules = [rule for rule in as_list(get(props, "rules")) if isinstance(get(rule, "schedule"), str)]
    problems = []
    for index, first in enumerate(rules):
        for second in rules[index + 1 :]:
            if get(first, "scheduleExpressionTimezone") != get(second, "scheduleExpressionTimezone"):
                continue  # times of day in different zones: not compared
            window = max(_window(first), _window(second))
            if backup_windows.schedules_overlap(get(first, "schedule"), get(second, "schedule"), window):
                problems.append(
                    f"rules {get(first, 'ruleName', default='?')} ({get(first, 'schedule')}) and "
                    f"{get(second, 'ruleName', default='?')} ({get(second, 'schedule')}) can run at once: "
                    f"AWS Backup runs one job per resource at a time, so they must start at least "
                    f"{window} minutes (start plus completion window) apart"
                )
    return problems


def _window(rule: Any) -> int:
    start, completion = number(get(rule, "startWindow")), number(get(rule, "completionWindow"))
    return backup_windows.window_minutes(
        None if start is None else int(start), None if completion is None else int(completion)
    )


def _validate_overlap(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type == PLAN:
        for problem in overlap_violations(args.props):
            report_violation(problem, None)


BACKUP_RULES_APART = ResourceValidationPolicy(
    name="backup-rules-do-not-overlap",
    description="The rules of a backup plan start at least one job window apart (AWS Backup runs "
    "one job per resource at a time), so no scheduled backup waits out its start window and fails.",
    validate=_validate_overlap,
    enforcement_level=EnforcementLevel.MANDATORY,
)
