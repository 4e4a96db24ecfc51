"""Every AWS name the program derives from the stack config, computed here and only here.

The components create resources under these names (components/backup.py, break_glass.py,
runbook_iam.py, gameday_schedule.py, notifications.py); ``Platform.validate`` checks each against
the limit of the API that creates it, so a config whose names AWS would refuse is refused before
anything is deployed, in one line naming the config key, the derived name and the limit. Before,
a valid 60-character ``aurora.clusterId`` passed validation and ``pulumi up`` failed midway, on
the first backup vault it tried to create.

Why refuse rather than shorten (with a hash suffix) a name that does not fit: the names are how
people and code find these resources during an incident (``<cluster>-runbook-stop-writes``,
``<cluster>-break-glass-admin``), and the alarm catalog, the break-glass page and the drills
build some of them again from the same config values. A name shortened in one place and not in
another would silently break that match (a page that watches a role which does not exist); a
refusal cannot. What it costs: an ECS cluster or Aurora cluster whose real name is longer than
the limits below allow cannot be used as is (a short name prefix in the config would lift that).

The alarm catalog (alarm_catalog/, a layer above) names alarms ``<cluster>-<service>-<what>``,
``<cluster>-queue-<queue>-<what>``, ``<aurora cluster>-<what>``, ``<cluster>-<load balancer>-<what>``
and ``<cluster>-<what>``; its ``<what>`` parts are at most ALARM_SUFFIX_BUDGET characters
(tests/stack_config/test_derived_names.py holds every catalog name to that), so the shapes are
checked here with that budget.

Limits, from the API reference of the call that creates each name (most also in botocore's
service models, which tests/pulumi/test_aws_name_limits.py reads):
  AWS Backup CreateBackupVault BackupVaultName ^[a-zA-Z0-9\\-\\_]{2,50}$; BackupPlanInput
  BackupPlanName "1 to 50 alphanumeric or '-_.' characters"; CreateBackupSelection SelectionName
  ^[a-zA-Z0-9\\-\\_\\.]{1,50}$; IAM CreateRole RoleName 1-64 of [\\w+=,.@-]; EventBridge PutRule
  Name 1-64 of [.\\-_A-Za-z0-9]; EventBridge Scheduler CreateSchedule Name 1-64 of [0-9a-zA-Z-_.];
  Lambda CreateFunction FunctionName "If you specify only the function name, it is limited to 64
  characters"; CloudWatch Logs CreateLogGroup 1-512; SQS CreateQueue "up to 80 characters";
  SNS CreateTopic "between 1 and 256 characters"; KMS CreateAlias AliasName 1-256; AWS Config
  PutConfigRule ConfigRuleName 1-128; CloudWatch PutMetricAlarm AlarmName 1-255; tag values
  0-256 (the Route 53 health check's Name tag); CloudWatch metric namespaces 1-255 of ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .exceptions import StackConfigError

if TYPE_CHECKING:
    from .model import Platform

SEVERITIES = ("P0", "P1", "P2", "P3")
# The catalog's alarm-name endings ("running-below-desired", "console-login-without-mfa"...).
ALARM_SUFFIX_BUDGET = 32
# Elastic Load Balancing CreateLoadBalancer Name: at most 32 characters (not in the stack config:
# the program reads it from AWS, and the catalog names the 5xx alarm of each load balancer by it).
LOAD_BALANCER_NAME_MAX = 32
# Where Route 53's health checks publish, and so where their alarms and topics live.
HEALTH_CHECK_REGION = "us-east-1"


@dataclass(frozen=True)
class DerivedName:
    """One name AWS will be asked to create: what it is, from which config key, and its limit."""

    what: str  # "backup vault name (CreateBackupVault BackupVaultName)"
    key: str  # the config key it is derived from, under platform: "aurora.clusterId"
    name: str
    limit: int
    allowed: str = r"[A-Za-z0-9_.\-]"  # one character AWS accepts in it
    reserved: int = 0  # characters a layer above adds at a placeholder in ``name``

    @property
    def length(self) -> int:
        return len(self.name) + self.reserved

    def problem(self) -> str | None:
        """Why AWS would refuse the name, if it would."""
        if self.length > self.limit:
            return f"is {self.length} characters; AWS allows at most {self.limit}"
        bad = re.sub(rf"{self.allowed}|<[^>]*>", "", self.name)
        if bad:
            return f"holds {bad[0]!r}, which AWS does not allow there"
        return None


# -- the names the components create ---------------------------------------------------------


@dataclass(frozen=True)
class BackupNames:
    vault: str
    copy_vault: str
    plan: str
    selection: str
    role: str
    job_failed_rule: str
    retention_rule: str
    deletion_protection_rule: str


def backup_names(platform: "Platform") -> BackupNames:
    cluster_id = platform.aurora.cluster_id
    return BackupNames(
        vault=f"{cluster_id}-backups",
        copy_vault=f"{cluster_id}-backups-copy",
        plan=f"{cluster_id}-backup-plan",
        selection=f"{cluster_id}-aurora",
        role=f"{cluster_id}-backup",
        job_failed_rule=f"{cluster_id}-backup-job-failed",
        retention_rule=f"{cluster_id}-backup-retention",
        deletion_protection_rule=f"{cluster_id}-deletion-protection",
    )


@dataclass(frozen=True)
class BreakGlassNames:
    admin_role: str
    investigator_role: str
    forwarder_role: str
    alert_rule: str
    forward_rule: str


def break_glass_names(platform: "Platform") -> BreakGlassNames:
    """The roles people assume are the platform's own (Platform.break_glass_admin_role, which the
    alarm catalog's break-glass page also matches AssumeRole by); the rest are derived here."""
    cluster = platform.cluster
    alert_rule = f"{cluster}-break-glass-assumed"
    return BreakGlassNames(
        admin_role=platform.break_glass_admin_role,
        investigator_role=platform.break_glass_investigator_role,
        forwarder_role=f"{cluster}-break-glass-forwarder",
        alert_rule=alert_rule,
        forward_rule=f"{alert_rule}-forward",
    )


@dataclass(frozen=True)
class RunbookNames:
    """One runbook action's Lambda function, its role and its log group."""

    function: str
    role: str
    log_group: str


RUNBOOK_ROLE_SUFFIX = "-role"


def runbook_names(platform: "Platform", action_name: str) -> RunbookNames:
    function = f"{platform.cluster}-runbook-{action_name}"
    return RunbookNames(function, f"{function}{RUNBOOK_ROLE_SUFFIX}", f"/aws/lambda/{function}")


def runbook_failure_queue(platform: "Platform") -> str:
    return f"{platform.cluster}-runbook-failures"


def game_day_schedule(platform: "Platform") -> str:
    return f"{platform.cluster}-game-day"


def game_day_role(platform: "Platform") -> str:
    return f"{game_day_schedule(platform)}-announcer"


def notifications_key_alias(platform: "Platform") -> str:
    return f"alias/{platform.notifications.topic_prefix}"


def topic_display_name(platform: "Platform", severity: str, region: str | None = None) -> str:
    """The display name of a severity's topic; ``region`` for a topic outside the platform's."""
    base = f"Zelly {platform.environment} {severity}"
    return f"{base} ({region})" if region else base


def runbook_action_names() -> tuple[str, ...]:
    """Every runbook action, each of which gets a function and a role named after it."""
    from runbook_actions import all_actions  # a layer below; imported here to keep loading cheap

    return tuple(all_actions())


# -- every derived name, with its limit ------------------------------------------------------

_NAME = r"[A-Za-z0-9_\-]"  # SNS topics, SQS queues, Lambda functions, backup vaults
_ROLE = r"[\w+=,.@\-]"


def derived_names(platform: "Platform") -> Iterator[DerivedName]:
    """Every name the program derives from ``platform``, each with its config key and limit."""
    yield from _backup(platform)
    yield from _break_glass(platform)
    yield from _runbook(platform)
    yield from _notifications(platform)
    yield from _game_day(platform)
    yield from _catalog(platform)


def check_derived_names(platform: "Platform", path: str) -> None:
    """Raise StackConfigError for the first derived name AWS would refuse, naming its key."""
    for derived in derived_names(platform):
        problem = derived.problem()
        if problem is not None:
            raise StackConfigError(
                f"{path}.{derived.key}: the {derived.what} derived from it, {derived.name!r}, {problem}"
            )


def _backup(platform: "Platform") -> Iterator[DerivedName]:
    names, key = backup_names(platform), "aurora.clusterId"
    yield DerivedName("backup vault name (CreateBackupVault)", key, names.vault, 50, _NAME)
    if platform.backup.copy_region is not None:
        yield DerivedName("backup copy vault name (CreateBackupVault)", key, names.copy_vault, 50, _NAME)
    yield DerivedName("backup plan name (CreateBackupPlan)", key, names.plan, 50)
    yield DerivedName("backup selection name (CreateBackupSelection)", key, names.selection, 50)
    yield DerivedName("backup role name (IAM CreateRole)", key, names.role, 64, _ROLE)
    yield DerivedName("EventBridge rule name (PutRule)", key, names.job_failed_rule, 64)
    for rule in (names.retention_rule, names.deletion_protection_rule):
        yield DerivedName("AWS Config rule name (PutConfigRule)", key, rule, 128)


def _break_glass(platform: "Platform") -> Iterator[DerivedName]:
    if platform.break_glass is None:
        return
    names = break_glass_names(platform)
    for role in (names.admin_role, names.investigator_role, names.forwarder_role):
        yield DerivedName("IAM role name (CreateRole)", "cluster", role, 64, _ROLE)
    for rule in (names.alert_rule, names.forward_rule):
        yield DerivedName("EventBridge rule name (PutRule)", "cluster", rule, 64)


def _runbook(platform: "Platform") -> Iterator[DerivedName]:
    for action in runbook_action_names():
        names = runbook_names(platform, action)
        yield DerivedName("Lambda function name (CreateFunction)", "cluster", names.function, 64, _NAME)
        yield DerivedName("IAM role name (CreateRole)", "cluster", names.role, 64, _ROLE)
        yield DerivedName(
            "log group name (CreateLogGroup)", "cluster", names.log_group, 512, r"[.\-_/#A-Za-z0-9]"
        )
    queue = runbook_failure_queue(platform)
    yield DerivedName("SQS queue name (CreateQueue)", "cluster", queue, 80, _NAME)


def _notifications(platform: "Platform") -> Iterator[DerivedName]:
    key, notifications = "notifications.topicPrefix", platform.notifications
    for severity in SEVERITIES:
        yield DerivedName("SNS topic name (CreateTopic)", key, notifications.topic_name(severity), 256, _NAME)
    yield DerivedName("SQS queue name (CreateQueue)", key, notifications.p3_queue_name, 80, _NAME)
    alias = notifications_key_alias(platform)
    yield DerivedName("KMS alias name (CreateAlias)", key, alias, 256, r"[a-zA-Z0-9:/_\-]")
    # SNS topic DisplayName: at most 100 characters (CloudFormation AWS::SNS::Topic DisplayName).
    for region in (None, HEALTH_CHECK_REGION):
        yield DerivedName(
            "SNS topic display name", "environment", topic_display_name(platform, "P0", region), 100, r"[ -~]"
        )


def _game_day(platform: "Platform") -> Iterator[DerivedName]:
    if not platform.game_day.enabled:
        return
    yield DerivedName("Scheduler schedule name (CreateSchedule)", "cluster", game_day_schedule(platform), 64)
    yield DerivedName("IAM role name (CreateRole)", "cluster", game_day_role(platform), 64, _ROLE)


def _catalog(platform: "Platform") -> Iterator[DerivedName]:
    """The alarm catalog's names, with their last part at its budget (see the module docstring)."""
    alarm, budget, cluster = "CloudWatch alarm name (PutMetricAlarm)", ALARM_SUFFIX_BUDGET, platform.cluster
    end = "<alarm>"
    yield DerivedName(alarm, "cluster", f"{cluster}-{end}", 255, reserved=budget - len(end))
    lb = f"<load balancer, {LOAD_BALANCER_NAME_MAX}>"
    yield DerivedName(
        alarm,
        "cluster",
        f"{cluster}-{lb}-{end}",
        255,
        reserved=LOAD_BALANCER_NAME_MAX - len(lb) + budget - len(end),
    )
    yield DerivedName(
        alarm, "aurora.clusterId", f"{platform.aurora.cluster_id}-{end}", 255, reserved=budget - len(end)
    )
    for index, service in enumerate(platform.services):
        name = f"{cluster}-{service.name}-{end}"
        yield DerivedName(alarm, f"services[{index}].name", name, 255, reserved=budget - len(end))
        if service.health_check_url is not None:
            check = f"{cluster}-{service.name}-public-health"
            yield DerivedName("Route 53 health check Name tag", f"services[{index}].name", check, 256)
    for index, queue in enumerate(platform.queues):
        name = f"{cluster}-queue-{queue.name}-{end}"
        yield DerivedName(alarm, f"queues[{index}].name", name, 255, reserved=budget - len(end))
    namespace = f"Zelly/{platform.environment}/{end}"
    yield DerivedName(
        "CloudWatch metric namespace", "environment", namespace, 255, r"[ -~]", reserved=budget - len(end)
    )
