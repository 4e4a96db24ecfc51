"""The Pulumi program: everything the incident response guide's procedures depend on.

Built from the stack config (``incident-guardrails:platform``), the same platform the drills
read: severity topics, the alarm catalog's alarms, backup guardrails for Aurora, break-glass
access, one Lambda function per runbook action, and the game-day announcement schedule.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

import alarm_catalog
import runbook_actions
from components.alarms import IncidentAlarms, IncidentAlarmsArgs
from components.backup import BackupGuardrails, BackupGuardrailsArgs, failure_severity
from components.break_glass import BreakGlassAccess, BreakGlassAccessArgs
from components.gameday_schedule import GameDaySchedule, GameDayScheduleArgs
from components.lookups import cluster_resource_id, deploying_account, target_group_dimensions
from components.notifications import SeverityNotifications, SeverityNotificationsArgs
from components.preconditions import check_preconditions
from components.runbook_functions import RunbookFunctions, RunbookFunctionsArgs
from stack_config import Platform, StackConfigError, platform_from_config


def load_platform() -> Platform:
    platform = platform_from_config(pulumi.Config().require_object("platform"))
    provider_region = aws.config.region
    if provider_region != platform.region:
        # ARNs, alarms and the drills all assume the platform's region.
        raise StackConfigError(
            f"aws:region is {provider_region!r} but platform.region is "
            f"{platform.region!r}; set them to the same region"
        )
    return platform


def main() -> None:
    platform = load_platform()
    account = deploying_account(platform)
    # What the guide's alarms and actions build on, read from AWS: stops here, naming every one
    # that does not hold and its fix, before anything is planned (docs/deployment.md, Pre-flight).
    check_preconditions(platform, account)
    notifications = SeverityNotifications(
        "notifications",
        # Backup failures publish to this severity's topic (vault notifications, as AWS Backup).
        SeverityNotificationsArgs(
            platform=platform, account=account, backup_severity=failure_severity(platform)
        ),
    )
    catalog = alarm_catalog.expand(platform, target_groups=target_group_dimensions(platform))
    alarms = IncidentAlarms(
        "alarms",
        IncidentAlarmsArgs(
            platform=platform, catalog=catalog, topic_arns=notifications.topic_arns, account=account
        ),
    )
    backup = BackupGuardrails(
        "backup",
        BackupGuardrailsArgs(
            platform=platform,
            account=account,
            cluster_resource_id=cluster_resource_id(platform),
            topic_arns=notifications.topic_arns,
        ),
    )
    # Break-glass use pages P0 on every stack: the role can reach the whole account.
    break_glass = BreakGlassAccess(
        "break-glass",
        BreakGlassAccessArgs(
            platform=platform,
            account=account,
            page_topic_arn=notifications.topic_arns["P0"],
            page_key_arn=notifications.key_arn,
        ),
    )
    functions = RunbookFunctions(
        "runbook",
        RunbookFunctionsArgs(
            platform=platform, account=account, actions=list(runbook_actions.all_actions().values())
        ),
    )
    game_day = GameDaySchedule(
        "game-day",
        GameDayScheduleArgs(
            platform=platform, account=account, stack=pulumi.get_stack(), topic_arns=notifications.topic_arns
        ),
    )

    pulumi.export("topicArns", notifications.topic_arns)
    pulumi.export("issueQueueUrl", notifications.issue_queue_url)
    pulumi.export("alarmNames", alarms.alarm_names)
    pulumi.export("functionNames", functions.function_names)
    pulumi.export("runbookRoleArns", functions.role_arns)
    pulumi.export("runbookFailureQueueArn", functions.failure_queue_arn)
    pulumi.export(
        "roleArns",
        {
            "breakGlassAdmin": break_glass.admin_role_arn,
            "investigator": break_glass.investigator_role_arn,
            "backup": backup.role_arn,
        },
    )
    pulumi.export("breakGlassAlertRule", break_glass.alert_rule_name)
    pulumi.export("backupVaultName", backup.vault_name)
    pulumi.export("backupPlanId", backup.plan_id)
    pulumi.export("configRuleNames", backup.config_rule_names)
    pulumi.export("gameDaySchedule", game_day.schedule_name)


main()
