"""The pre-flight: the platform's preconditions (``stack_config.preconditions``) read from a target.

The same preconditions and the same judgments as the Pulumi program's preview checks, read here
with boto3: CloudTrail ``DescribeTrails``, ``GetTrailStatus`` and ``GetEventSelectors``; ECS
``DescribeClusters`` (``include=["SETTINGS"]``); RDS ``DescribeDBClusters``; CloudWatch Logs
``DescribeLogGroups``. Against a real account it also reads the evidence that AWS acts on each
setting, which no emulator produces: CloudTrail's last delivery to CloudWatch Logs, the
``RunningTaskCount`` metrics Container Insights publishes (CloudWatch ``ListMetrics``) and the
exported audit log group. On an emulator those parts are reported "not covered on this target".

**Read-only, by construction.** Every check reads through ``ReadOnlyClients``, whose clients
refuse any operation whose name does not start with Describe, Get, List or Lookup before it is
built or sent (a botocore ``before-parameter-build`` hook raising ``ReadOnlyViolationError``);
the checks themselves call only such operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from runbook_actions import AwsClients
from stack_config import Platform
from stack_config.preconditions import (
    AUDIT_EXPORT,
    BACKUP_RETENTION,
    CLOUDTRAIL,
    CONTAINER_INSIGHTS,
    Finding,
    Precondition,
    Trail,
    audit_export_problems,
    backup_retention_problems,
    container_insights_problems,
    container_insights_value,
    delivers_to,
    exported_audit_log_group,
    finding,
    trail_problems,
)

from .exceptions import TargetError

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup")
# What each precondition reads, by IAM service prefix: a target that lacks one cannot cover it.
NEEDS = {
    CLOUDTRAIL.key: {"cloudtrail", "logs"},
    CONTAINER_INSIGHTS.key: {"ecs"},
    BACKUP_RETENTION.key: {"rds"},
    AUDIT_EXPORT.key: {"rds"},
}
# What an emulator never does, so the evidence of it is not covered there.
EMULATOR_GAPS = {
    "trail-delivery": "{emulator} delivers no trail events to CloudWatch Logs, so delivery is unproven",
    "insights-metrics": "{emulator} publishes no Container Insights metrics (RunningTaskCount)",
    "audit-delivery": "{emulator} exports no RDS logs, so the audit log group's contents are unproven",
}
INSIGHTS_NAMESPACE, RUNNING_TASKS = "ECS/ContainerInsights", "RunningTaskCount"


class ReadOnlyViolationError(TargetError):
    """The pre-flight was about to call an operation that is not a read."""


def refuse_writes(model: Any, **_: Any) -> None:
    """botocore hook: stop any operation that is not a Describe/Get/List/Lookup before it is sent."""
    if not model.name.startswith(READ_ONLY_PREFIXES):
        service = model.service_model.service_name
        raise ReadOnlyViolationError(f"the pre-flight only reads; it refused {service} {model.name}")


class ReadOnlyClients(AwsClients):
    """Clients that can only read (see ``refuse_writes``); ``operations`` lists what they called."""

    def __init__(
        self,
        region: str,
        endpoint_url: str | None,
        session: boto3.session.Session,
        config: Config | None = None,
    ) -> None:
        super().__init__(region=region, endpoint_url=endpoint_url, session=session, config=config)
        self.operations: list[tuple[str, str]] = []
        self._guarded: set[str] = set()

    def get(self, service: str) -> Any:
        client = super().get(service)
        if service not in self._guarded:
            client.meta.events.register("before-parameter-build", refuse_writes)
            client.meta.events.register("before-parameter-build", self._note)
            self._guarded.add(service)
        return client

    def _note(self, model: Any, **_: Any) -> None:
        self.operations.append((model.service_model.service_name, model.name))


@dataclass(frozen=True)
class PreflightTarget:
    """Where the pre-flight reads: its read-only clients, the account they reach, and what it lacks.

    ``emulator`` names the emulator (moto, LocalStack), whose missing behaviours are reported as
    not covered; None for a real account, where every part is checked.
    """

    name: str
    clients: ReadOnlyClients
    account_id: str | None
    emulator: str | None = None
    caller: str | None = None  # the identity's ARN, on a real account
    missing_services: frozenset[str] = field(default_factory=frozenset)

    def gap(self, key: str) -> str | None:
        return EMULATOR_GAPS[key].format(emulator=self.emulator) if self.emulator else None


def check_all(platform: Platform, target: PreflightTarget) -> list[Finding]:
    """Every precondition, in the data module's order; one finding each."""
    checks: list[tuple[Precondition, Callable[[Precondition], Finding]]] = [
        (CLOUDTRAIL, lambda pre: check_cloudtrail(platform, target, pre)),
        (CONTAINER_INSIGHTS, lambda pre: check_container_insights(platform, target, pre)),
        (BACKUP_RETENTION, lambda pre: check_backup_retention(platform, target, pre)),
        (AUDIT_EXPORT, lambda pre: check_audit_export(platform, target, pre)),
    ]
    return [_run(precondition.for_platform(platform), target, check) for precondition, check in checks]


def _run(pre: Precondition, target: PreflightTarget, check: Callable[[Precondition], Finding]) -> Finding:
    lacking = sorted(NEEDS[pre.key] & target.missing_services)
    if lacking:
        return finding(pre, not_covered=[f"{target.name} does not answer {', '.join(lacking)}"])
    try:
        return check(pre)
    except (ClientError, BotoCoreError) as error:
        return finding(pre, [f"could not read it: {' '.join(str(error).split())[:300]}"])


# --- CloudTrail -----------------------------------------------------------------------------


def check_cloudtrail(platform: Platform, target: PreflightTarget, pre: Precondition) -> Finding:
    group = platform.cloudtrail_log_group
    if group is None:
        return finding(
            pre, ["platform.cloudtrailLogGroup is not set: the security filters have no log group"]
        )
    clients = target.clients
    problems = [] if log_group_exists(clients, group) else [f"log group {group} does not exist"]
    listed = clients.cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
    if platform.cloudtrail_trail is not None:
        listed = [t for t in listed if t.get("Name") == platform.cloudtrail_trail]
        if not listed:
            return finding(pre, [*problems, f"trail {platform.cloudtrail_trail} does not exist"])
    candidates = [t for t in listed if delivers_to(_described(t), group, platform.region, target.account_id)]
    if not candidates:
        others = ", ".join(
            f"{t['Name']} -> {t.get('CloudWatchLogsLogGroupArn') or 'no log group'}" for t in listed
        )
        return finding(
            pre, [*problems, f"no trail delivers to {group} in {platform.region} ({others or 'no trails'})"]
        )
    judged = [_judge_trail(clients, platform, target, described) for described in candidates]
    best = min(judged, key=lambda j: len(j[1]))
    trail_name, trail_issues, not_covered = best
    return finding(
        pre, [*problems, *trail_issues], not_covered, seen=f"trail {trail_name} delivers to {group}"
    )


def log_group_exists(clients: AwsClients, name: str) -> bool:
    pages = clients.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
    return any(g["logGroupName"] == name for page in pages for g in page["logGroups"])


def _described(described: dict[str, Any]) -> Trail:
    return Trail(
        name=described["Name"],
        log_group_arn=described.get("CloudWatchLogsLogGroupArn"),
        multi_region=bool(described.get("IsMultiRegionTrail")),
        global_service_events=bool(described.get("IncludeGlobalServiceEvents")),
        is_logging=None,
        home_region=described.get("HomeRegion"),
        organization=bool(described.get("IsOrganizationTrail")),
        arn=described.get("TrailARN"),
    )


def _judge_trail(
    clients: AwsClients, platform: Platform, target: PreflightTarget, described: dict[str, Any]
) -> tuple[str, list[str], list[str]]:
    """(name, problems, not covered) of one trail that delivers to the log group."""
    base = _described(described)
    # A trail of this Region and account is found by name (moto accepts nothing else); another
    # Region's or the organization's by ARN, as GetTrailStatus asks for shadow trails.
    ref = base.name if base.home_region in (None, platform.region) and not base.organization else base.arn
    status = clients.cloudtrail.get_trail_status(Name=ref)
    selectors = clients.cloudtrail.get_event_selectors(TrailName=ref)
    trail = replace(
        base,
        is_logging=bool(status.get("IsLogging")),
        event_selectors=tuple(selectors.get("EventSelectors") or ()),
        advanced_event_selectors=tuple(selectors.get("AdvancedEventSelectors") or ()),
    )
    problems = trail_problems(trail)
    gap = target.gap("trail-delivery")
    if gap:
        return trail.name, problems, [gap]
    return trail.name, problems + _delivery_problems(trail.name, status), []


def _delivery_problems(name: str, status: dict[str, Any]) -> list[str]:
    """What GetTrailStatus says about delivery to CloudWatch Logs (a real account only)."""
    error = status.get("LatestCloudWatchLogsDeliveryError")
    if error:
        return [
            f"CloudTrail reports a delivery error to CloudWatch Logs for {name}: {error} (check its role)"
        ]
    if not status.get("LatestCloudWatchLogsDeliveryTime"):
        return [f"trail {name} has not delivered anything to CloudWatch Logs yet"]
    return []


# --- ECS -------------------------------------------------------------------------------------


def check_container_insights(platform: Platform, target: PreflightTarget, pre: Precondition) -> Finding:
    found = target.clients.ecs.describe_clusters(clusters=[platform.cluster], include=["SETTINGS"])
    clusters = [c for c in found.get("clusters", []) if c.get("status") == "ACTIVE"]
    if not clusters:
        return finding(pre, [f"ECS cluster {platform.cluster} does not exist (or is not ACTIVE)"])
    settings = clusters[0].get("settings") or []
    problems = container_insights_problems(settings, platform.cluster)
    seen = f"containerInsights is {container_insights_value(settings)} on {platform.cluster}"
    if problems:
        return finding(pre, problems, seen=seen)
    gap = target.gap("insights-metrics")
    if gap:
        return finding(pre, not_covered=[gap], seen=seen)
    return finding(pre, _metric_problems(target.clients, platform), seen=seen)


def _metric_problems(clients: AwsClients, platform: Platform) -> list[str]:
    """Services with no RunningTaskCount from Container Insights in the last two weeks (ListMetrics)."""
    pages = clients.cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=INSIGHTS_NAMESPACE,
        MetricName=RUNNING_TASKS,
        Dimensions=[{"Name": "ClusterName", "Value": platform.cluster}],
    )
    seen = {
        d["Value"]
        for page in pages
        for metric in page["Metrics"]
        for d in metric["Dimensions"]
        if d["Name"] == "ServiceName"
    }
    silent = [name for name in platform.service_names if name not in seen]
    if not silent:
        return []
    return [f"Container Insights publishes no {RUNNING_TASKS} for {', '.join(silent)} (ListMetrics)"]


# --- Aurora ----------------------------------------------------------------------------------


def _db_cluster(clients: AwsClients, platform: Platform) -> dict[str, Any] | None:
    try:
        found = clients.rds.describe_db_clusters(DBClusterIdentifier=platform.aurora.cluster_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBClusterNotFoundFault":
            return None
        raise
    clusters: list[dict[str, Any]] = found["DBClusters"]
    return clusters[0] if clusters else None


def check_backup_retention(platform: Platform, target: PreflightTarget, pre: Precondition) -> Finding:
    cluster = _db_cluster(target.clients, platform)
    if cluster is None:
        return finding(pre, [f"Aurora cluster {platform.aurora.cluster_id} does not exist"])
    days = cluster.get("BackupRetentionPeriod")
    return finding(
        pre,
        backup_retention_problems(days, platform),
        seen=f"{platform.aurora.cluster_id} keeps automated backups {days} days",
    )


def check_audit_export(platform: Platform, target: PreflightTarget, pre: Precondition) -> Finding:
    cluster = _db_cluster(target.clients, platform)
    if cluster is None:
        return finding(pre, [f"Aurora cluster {platform.aurora.cluster_id} does not exist"])
    exports: Iterable[str] = cluster.get("EnabledCloudwatchLogsExports") or ()
    problems = audit_export_problems(exports, platform)
    seen = f"{platform.aurora.cluster_id} exports {', '.join(sorted(exports))} to CloudWatch Logs"
    if problems:
        return finding(pre, problems, seen=seen)
    gap = target.gap("audit-delivery")
    if gap:
        return finding(pre, not_covered=[gap], seen=seen)
    group = exported_audit_log_group(platform.aurora.cluster_id)
    if not log_group_exists(target.clients, group):
        return finding(pre, [f"RDS has not created {group} yet: nothing was exported"], seen=seen)
    return finding(pre, seen=seen)
