"""The preconditions (``stack_config.preconditions``) checked at preview, by provider look-ups.

``check_preconditions`` reads each precondition from AWS through the provider and, if any does
not hold, stops the program before a resource is planned, with one message that lists every
failing precondition, why the guide needs it and its fix. What a look-up cannot show is said as
a warning, never passed as holding.

- CloudTrail: ``aws.cloudwatch.get_log_group`` (the log group the security filters read) and,
  when ``platform.cloudtrailTrail`` names the trail, its configuration through Cloud Control
  (``aws.cloudcontrol.get_resource``, type ``AWS::CloudTrail::Trail``): the provider has no
  CloudTrail trail look-up of its own, and Cloud Control needs the trail's name.
- Container Insights: ``aws.ecs.get_cluster`` settings.
- Aurora: ``aws.rds.get_cluster`` backup retention and CloudWatch Logs exports.
"""

from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

import pulumi
import pulumi_aws as aws

from stack_config import Platform
from stack_config.preconditions import (
    AUDIT_EXPORT,
    BACKUP_RETENTION,
    CLOUDTRAIL,
    CONTAINER_INSIGHTS,
    Finding,
    Trail,
    audit_export_problems,
    backup_retention_problems,
    container_insights_problems,
    container_insights_value,
    delivers_to,
    failure_message,
    finding,
    trail_problems,
)

from .arns import AwsAccount

T = TypeVar("T")
TRAIL_TYPE = "AWS::CloudTrail::Trail"


class PreconditionError(Exception):
    """A precondition of the incident infrastructure does not hold in the account."""


def check_preconditions(platform: Platform, account: AwsAccount) -> list[Finding]:
    """Every precondition as the provider reads it; raises PreconditionError if any fails."""
    findings = [
        _cloudtrail(platform, account),
        _container_insights(platform),
        *_aurora(platform),
    ]
    if any(f.problems for f in findings):
        raise PreconditionError(failure_message(findings))
    for found in findings:
        for part in found.not_covered:
            pulumi.log.warn(f"precondition {found.precondition.key} not checked at preview: {part}")
    return findings


def _read(what: str, look_up: Callable[[], T]) -> tuple[T | None, str | None]:
    """The look-up's result, or why it failed (the provider raises on "not found" and on denial)."""
    try:
        return look_up(), None
    except Exception as error:  # any provider error: not shown to hold
        return None, f"could not read {what}: {' '.join(str(error).split())[:300]}"


def _cloudtrail(platform: Platform, account: AwsAccount) -> Finding:
    pre = CLOUDTRAIL.for_platform(platform)
    group = platform.cloudtrail_log_group
    if group is None:
        return finding(
            pre, ["platform.cloudtrailLogGroup is not set: the security filters have no log group"]
        )
    _, error = _read(f"log group {group}", lambda: aws.cloudwatch.get_log_group(name=group))
    problems = [error] if error else []
    if platform.cloudtrail_trail is None:
        unseen = (
            "which trail delivers to the log group and how it logs (name it in "
            "platform.cloudtrailTrail, or run python -m drills preflight, which finds it)"
        )
        return finding(pre, problems, [unseen], seen=f"log group {group} exists")
    name = platform.cloudtrail_trail
    resource, error = _read(
        f"trail {name} (Cloud Control {TRAIL_TYPE})",
        lambda: aws.cloudcontrol.get_resource(type_name=TRAIL_TYPE, identifier=name),
    )
    if resource is None:
        return finding(pre, [*problems, str(error)])
    trail = trail_from_cloud_control(name, json.loads(resource.properties))
    if not delivers_to(trail, group, platform.region, account.account_id):
        problems.append(
            f"trail {name} delivers to {trail.log_group_arn or 'no CloudWatch Logs group'}, "
            f"not to {group} in {platform.region}"
        )
    problems += trail_problems(trail)
    unseen = (
        []
        if trail.is_logging is not None
        else [f"whether trail {name} is logging (Cloud Control did not say)"]
    )
    return finding(pre, problems, unseen, seen=f"trail {name} delivers to {group}")


def trail_from_cloud_control(name: str, properties: dict[str, Any]) -> Trail:
    """A trail from its CloudFormation-shaped properties (AWS::CloudTrail::Trail), with
    CloudFormation's defaults for what is left out."""
    logging = properties.get("IsLogging")
    return Trail(
        name=str(properties.get("TrailName") or name),
        log_group_arn=properties.get("CloudWatchLogsLogGroupArn"),
        multi_region=bool(properties.get("IsMultiRegionTrail", False)),
        global_service_events=bool(properties.get("IncludeGlobalServiceEvents", True)),
        is_logging=None if logging is None else bool(logging),
        event_selectors=tuple(properties.get("EventSelectors") or ()),
        advanced_event_selectors=tuple(properties.get("AdvancedEventSelectors") or ()),
        organization=bool(properties.get("IsOrganizationTrail", False)),
        arn=properties.get("Arn"),
    )


def _container_insights(platform: Platform) -> Finding:
    pre = CONTAINER_INSIGHTS.for_platform(platform)
    cluster, error = _read(
        f"ECS cluster {platform.cluster}", lambda: aws.ecs.get_cluster(cluster_name=platform.cluster)
    )
    if cluster is None:
        return finding(pre, [str(error)])
    settings = [{"name": s.name, "value": s.value} for s in cluster.settings or ()]
    return finding(
        pre,
        container_insights_problems(settings, platform.cluster),
        seen=f"containerInsights is {container_insights_value(settings)} on {platform.cluster}",
    )


def _aurora(platform: Platform) -> list[Finding]:
    retention, audit = BACKUP_RETENTION.for_platform(platform), AUDIT_EXPORT.for_platform(platform)
    cluster_id = platform.aurora.cluster_id
    cluster, error = _read(
        f"Aurora cluster {cluster_id}", lambda: aws.rds.get_cluster(cluster_identifier=cluster_id)
    )
    if cluster is None:
        return [finding(retention, [str(error)]), finding(audit, [str(error)])]
    days = cluster.backup_retention_period
    exports = list(cluster.enabled_cloudwatch_logs_exports or ())
    return [
        finding(
            retention,
            backup_retention_problems(days, platform),
            seen=f"{cluster_id} keeps automated backups {days} days",
        ),
        finding(
            audit,
            audit_export_problems(exports, platform),
            seen=f"{cluster_id} exports {', '.join(sorted(exports))} to CloudWatch Logs",
        ),
    ]
