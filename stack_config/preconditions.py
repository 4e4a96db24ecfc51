"""What must already hold in the account for the guide's alarms and runbook actions to work.

The program builds on things it does not manage. Each precondition is data here, one line each:
what must hold, why the guide needs it, and how to fix it. The judgments of what AWS reports
about each (a trail, a cluster's settings, an Aurora cluster) are pure functions beside them.

Two checkers read this module, and nothing else decides:

- the Pulumi program at preview (``components/preconditions.py``), through provider look-ups;
- ``python -m drills preflight`` (``targets/preflight.py``), read-only boto3 calls against a
  target, which also reads evidence that AWS acts on the setting (delivery, metrics).

``docs/deployment.md`` lists them in its pre-flight section; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from .model import Platform

# The guide's minimum for point-in-time restore; aurora.backupRetentionDays may ask for more.
MIN_BACKUP_RETENTION_DAYS = 7
# ECS ClusterSetting containerInsights: "enhanced", "enabled" or "disabled"; both on-values
# publish RunningTaskCount under ECS/ContainerInsights.
CONTAINER_INSIGHTS_SETTING = "containerInsights"
CONTAINER_INSIGHTS_ON = ("enabled", "enhanced")
AUDIT_LOG_TYPE = "audit"


@dataclass(frozen=True)
class Precondition:
    """One precondition: ``what`` must hold, ``why`` the guide needs it, ``fix`` when it does not.

    The texts may name the platform (``{cluster}``, ``{region}``, ``{cloudtrail_log_group}``,
    ``{aurora_cluster}``, ``{aurora_audit_log_group}``, ``{retention_days}``); ``for_platform``
    fills them in.
    """

    key: str
    what: str
    why: str
    fix: str

    def for_platform(self, platform: Platform) -> Precondition:
        names = platform_names(platform)
        return replace(
            self, what=self.what.format(**names), why=self.why.format(**names), fix=self.fix.format(**names)
        )


CLOUDTRAIL = Precondition(
    key="cloudtrail-log-group",
    what=(
        "a multi-Region CloudTrail trail logs all management events (read and write) "
        "and delivers them to the CloudWatch Logs group {cloudtrail_log_group}"
    ),
    why=(
        "the security metric filters (P0-C: denied calls, root use, console logins without MFA, "
        "IAM and trail changes) read that log group; without the trail they never fire"
    ),
    fix=(
        "aws cloudtrail update-trail --name <trail> --is-multi-region-trail "
        "--cloud-watch-logs-log-group-arn <ARN of {cloudtrail_log_group}> --cloud-watch-logs-role-arn "
        "<delivery role>, read/write management events in its event selectors, then "
        "aws cloudtrail start-logging --name <trail>"
    ),
)
CONTAINER_INSIGHTS = Precondition(
    key="container-insights",
    what="Container Insights is on for the ECS cluster {cluster}",
    why=(
        "RunningTaskCount comes from Container Insights: without it every running-task alarm "
        "breaches at deploy and the all-services-down composite pages P0"
    ),
    fix=(
        "aws ecs update-cluster-settings --cluster {cluster} "
        "--settings name=containerInsights,value=enabled --region {region}"
    ),
)
BACKUP_RETENTION = Precondition(
    key="aurora-backup-retention",
    what="the Aurora cluster {aurora_cluster} keeps automated backups for at least {retention_days} days",
    why=(
        "point-in-time restore (P0-B) reaches back only as far as the retention: 7 days by the "
        "guide, and as far as aurora.backupRetentionDays, which restores are checked against"
    ),
    fix=(
        "aws rds modify-db-cluster --db-cluster-identifier {aurora_cluster} "
        "--backup-retention-period {retention_days} --apply-immediately --region {region}"
    ),
)
AUDIT_EXPORT = Precondition(
    key="aurora-audit-export",
    what="the Aurora cluster {aurora_cluster} exports its audit log to CloudWatch Logs",
    why="audit-log-search (P0-C) reads the exported audit log, {aurora_audit_log_group}",
    fix=(
        "aws rds modify-db-cluster --db-cluster-identifier {aurora_cluster} "
        "--cloudwatch-logs-export-configuration EnableLogTypes=audit --apply-immediately "
        "--region {region}, with server_audit_logging=1 in its cluster parameter group"
    ),
)

PRECONDITIONS: tuple[Precondition, ...] = (CLOUDTRAIL, CONTAINER_INSIGHTS, BACKUP_RETENTION, AUDIT_EXPORT)


def platform_names(platform: Platform) -> dict[str, str]:
    """The values the precondition texts name."""
    return {
        "cluster": platform.cluster,
        "region": platform.region,
        "cloudtrail_log_group": platform.cloudtrail_log_group or "<platform.cloudtrailLogGroup, unset>",
        "aurora_cluster": platform.aurora.cluster_id,
        "aurora_audit_log_group": platform.aurora.audit_log_group,
        "retention_days": str(required_retention_days(platform)),
    }


# How docs/deployment.md names the platform's values in the pre-flight list: the stack config's
# keys, as code in the prose columns and as <placeholders> in the fix (itself code).
DOC_KEYS = {
    "cluster": "cluster",
    "region": "region",
    "cloudtrail_log_group": "cloudtrailLogGroup",
    "aurora_cluster": "aurora.clusterId",
    "aurora_audit_log_group": "aurora.auditLogGroup",
    "retention_days": "max(7, aurora.backupRetentionDays)",
}
DOC_BEGIN = "<!-- preconditions: generated from stack_config/preconditions.py; do not edit -->"
DOC_END = "<!-- preconditions: end -->"


def markdown_table() -> str:
    """The pre-flight list of docs/deployment.md, between DOC_BEGIN and DOC_END (a test compares)."""
    rows = [
        DOC_BEGIN,
        "| Precondition | What must hold | Why | Fix |",
        "|---|---|---|---|",
    ]
    for pre in PRECONDITIONS:
        prose = {name: f"`{key}`" for name, key in DOC_KEYS.items()}
        code = {**{name: f"<{key}>" for name, key in DOC_KEYS.items()}, "retention_days": "<days>"}
        what, why, fix = pre.what.format(**prose), pre.why.format(**prose), pre.fix.format(**code)
        rows.append(f"| `{pre.key}` | {what} | {why} | `{fix}` |")
    rows.append(DOC_END)
    return "\n".join(rows)


# --- Findings: what a checker saw, and how both checkers say it -----------------------------

OK, MISSING, NOT_COVERED = "ok", "MISSING", "not covered"


@dataclass(frozen=True)
class Finding:
    """One precondition as a checker found it.

    ``problems``: why it does not hold (empty: nothing seen contradicts it). ``not_covered``: the
    parts this checker or target cannot see; a finding with any is never reported as ok.
    ``seen``: what was read, for the report (a trail's name, a setting's value).
    """

    precondition: Precondition
    problems: tuple[str, ...] = ()
    not_covered: tuple[str, ...] = ()
    seen: str = ""

    @property
    def status(self) -> str:
        return MISSING if self.problems else NOT_COVERED if self.not_covered else OK

    @property
    def holds(self) -> bool:
        return not self.problems


def finding(
    precondition: Precondition,
    problems: Iterable[str] = (),
    not_covered: Iterable[str] = (),
    seen: str = "",
) -> Finding:
    return Finding(precondition, tuple(problems), tuple(not_covered), seen)


def report_line(found: Finding) -> str:
    """One line per precondition: status, key, then what was seen or what is wrong and the fix."""
    pre = found.precondition
    if found.problems:
        detail = f"{'; '.join(found.problems)}. Fix: {pre.fix}"
    else:
        detail = found.seen or pre.what
        if found.not_covered:
            detail += f"; not covered on this target: {'; '.join(found.not_covered)}"
    return f"{found.status:<11} {pre.key:<23} {detail}"


def failure_message(findings: Iterable[Finding]) -> str:
    """The one message a failed check gives: every precondition that does not hold, with its fix."""
    failing = [f for f in findings if f.problems]
    many = len(failing) != 1
    lines = [
        f"{len(failing)} precondition{'s' if many else ''} of the incident infrastructure "
        f"{'do' if many else 'does'} not hold (docs/deployment.md, Pre-flight):"
    ]
    for found in failing:
        pre = found.precondition
        lines.append(f"- {pre.key}: {'; '.join(found.problems)}")
        lines.append(f"  needed because {pre.why}")
        lines.append(f"  fix: {pre.fix}")
    return "\n".join(lines)


# --- Judgments: the same rules for what the provider and boto3 report ----------------------


def required_retention_days(platform: Platform) -> int:
    return max(MIN_BACKUP_RETENTION_DAYS, platform.aurora.backup_retention_days)


def backup_retention_problems(days: int | None, platform: Platform) -> list[str]:
    required = required_retention_days(platform)
    if days is None:
        return [f"AWS reported no backup retention for {platform.aurora.cluster_id}"]
    if days < required:
        return [
            f"{platform.aurora.cluster_id} keeps automated backups for {days} "
            f"day{'s' if days != 1 else ''}, fewer than {required}"
        ]
    return []


def container_insights_value(settings: Iterable[Mapping[str, Any]]) -> str | None:
    """The cluster's containerInsights setting (ECS DescribeClusters with include=SETTINGS)."""
    for setting in settings:
        if setting.get("name") == CONTAINER_INSIGHTS_SETTING:
            value = setting.get("value")
            return str(value) if value is not None else None
    return None


def container_insights_problems(settings: Iterable[Mapping[str, Any]], cluster: str) -> list[str]:
    value = container_insights_value(settings)
    if value in CONTAINER_INSIGHTS_ON:
        return []
    return [f"containerInsights is {value or 'not set'} on ECS cluster {cluster}"]


def exported_audit_log_group(cluster_id: str) -> str:
    """Where RDS exports an Aurora cluster's audit log: /aws/rds/cluster/<cluster>/audit."""
    return f"/aws/rds/cluster/{cluster_id}/{AUDIT_LOG_TYPE}"


def audit_export_problems(exports: Iterable[str] | None, platform: Platform) -> list[str]:
    cluster_id = platform.aurora.cluster_id
    exported = sorted(exports or ())
    problems = []
    if AUDIT_LOG_TYPE not in exported:
        problems.append(
            f"{cluster_id} exports {', '.join(exported) or 'no logs'} to CloudWatch Logs, not audit"
        )
    expected = exported_audit_log_group(cluster_id)
    if platform.aurora.audit_log_group != expected:
        problems.append(
            f"aurora.auditLogGroup is {platform.aurora.audit_log_group}, but RDS exports the audit "
            f"log to {expected}, which audit-log-search would then not read"
        )
    return problems


@dataclass(frozen=True)
class LogGroupArn:
    region: str
    account: str
    name: str


def parse_log_group_arn(arn: str | None) -> LogGroupArn | None:
    """``arn:aws:logs:<region>:<account>:log-group:<name>[:*]`` (CloudTrail's form ends in ``:*``)."""
    parts = (arn or "").split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return LogGroupArn(region=parts[3], account=parts[4], name=parts[6])


@dataclass(frozen=True)
class Trail:
    """A CloudTrail trail as GetTrail/DescribeTrails, GetTrailStatus and GetEventSelectors report
    it (the provider's Cloud Control read returns the same fields). ``is_logging`` is None when
    the reader did not say."""

    name: str
    log_group_arn: str | None
    multi_region: bool
    global_service_events: bool
    is_logging: bool | None
    event_selectors: tuple[Mapping[str, Any], ...] = ()
    advanced_event_selectors: tuple[Mapping[str, Any], ...] = ()
    home_region: str | None = None
    organization: bool = False
    arn: str | None = None


def delivers_to(trail: Trail, log_group: str, region: str, account: str | None = None) -> bool:
    """Whether the trail is configured to deliver to ``log_group`` in ``region`` (and ``account``)."""
    target = parse_log_group_arn(trail.log_group_arn)
    return (
        target is not None
        and target.name == log_group
        and target.region == region
        and (account is None or target.account == account)
    )


def trail_problems(trail: Trail) -> list[str]:
    """Why a trail that delivers to the log group would still leave the security filters blind."""
    problems = []
    if trail.is_logging is False:
        problems.append(f"trail {trail.name} is not logging (stopped)")
    if not trail.multi_region:
        problems.append(
            f"trail {trail.name} logs one Region only (IAM, STS and console sign-in events are "
            "recorded in us-east-1)"
        )
    elif not trail.global_service_events:
        problems.append(f"trail {trail.name} excludes global service events (IAM, STS)")
    missing = {"read", "write"} - management_events_logged(trail)
    if missing:
        kinds = " and ".join(sorted(missing))
        problems.append(f"trail {trail.name} does not log {kinds} management events")
    return problems


def management_events_logged(trail: Trail) -> set[str]:
    """Which management events (``read``, ``write``) the trail's selectors log.

    With neither basic nor advanced selectors a trail logs all read and write management events
    (CloudTrail's default, "trails created without specific event selectors").
    """
    if not trail.event_selectors and not trail.advanced_event_selectors:
        return {"read", "write"}
    logged: set[str] = set()
    for selector in trail.event_selectors:
        if selector.get("IncludeManagementEvents", True):
            logged |= _READ_WRITE.get(str(selector.get("ReadWriteType", "All")), set())
    for advanced in trail.advanced_event_selectors:
        logged |= _advanced_management(advanced.get("FieldSelectors") or ())
    return logged


_READ_WRITE = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}
# Fields an advanced management selector may narrow by without dropping whole event kinds:
# excluding event sources (KMS, RDS Data API) leaves every other service's events.
_EXCLUSIONS = ("NotEquals", "NotStartsWith", "NotEndsWith")


def _advanced_management(fields: Iterable[Mapping[str, Any]]) -> set[str]:
    by_name = {str(f.get("Field")): f for f in fields}
    category = by_name.pop("eventCategory", None)
    if category is None or "Management" not in (category.get("Equals") or ()):
        return set()
    logged = {"read", "write"}
    read_only = by_name.pop("readOnly", None)
    if read_only is not None:
        values = {str(v).lower() for v in read_only.get("Equals") or ()}
        logged = {"read"} if values == {"true"} else {"write"} if values == {"false"} else logged
    for narrowing in by_name.values():
        if any(key not in ("Field", *_EXCLUSIONS) for key in narrowing):
            return set()  # only some event sources or names: not all management events
    return logged
