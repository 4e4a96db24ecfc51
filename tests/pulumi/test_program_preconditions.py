"""The preconditions checked at preview: the real program under mocks, with the mocked account
answering each look-up as the precondition holds (the default) or as it fails."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

import pulumi
import pytest

from components.preconditions import PreconditionError
from stack_config.preconditions import PRECONDITIONS
from tests.support.program_harness import PLATFORM_KEY, LookupAnswer, ProgramRun, lookup_fails, run_program

LOG_GROUP = "aws:cloudwatch/getLogGroup:getLogGroup"
TRAIL = "aws:cloudcontrol/getResource:getResource"
ECS_CLUSTER = "aws:ecs/getCluster:getCluster"
DB_CLUSTER = "aws:rds/getCluster:getCluster"
TRAIL_NAME = "management-events"


def _platform(config: dict[str, Any]) -> dict[str, Any]:
    return config[PLATFORM_KEY]


def name_the_trail(config: dict[str, Any]) -> None:
    _platform(config)["cloudtrailTrail"] = TRAIL_NAME


def answer(**changes: Any) -> Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]]:
    return lambda _args, given: {**given, **changes}


def trail(**changes: Any) -> Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]]:
    def changed(_args: Mapping[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        properties = {**json.loads(given["properties"]), **changes}
        return {**given, "properties": json.dumps({k: v for k, v in properties.items() if v is not None})}

    return changed


def not_found(what: str) -> LookupAnswer:
    return lookup_fails(f"reading {what}: couldn't find resource")


def test_every_precondition_is_read_at_preview_and_holds(run: ProgramRun) -> None:
    # The unchanged stacks deploy: the default mocked account meets every precondition.
    assert {LOG_GROUP, ECS_CLUSTER, DB_CLUSTER} <= set(run.invokes)
    assert run.of_type("aws:sns/topic:Topic")


def test_a_named_trail_is_read_through_cloud_control() -> None:
    run = run_program("staging", name_the_trail)
    assert TRAIL in run.invokes
    assert run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")


def test_an_unnamed_trail_is_warned_about_not_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    run = run_program("production")
    assert TRAIL not in run.invokes
    assert warnings == [
        "precondition cloudtrail-log-group not checked at preview: which trail delivers to the log "
        "group and how it logs (name it in platform.cloudtrailTrail, or run python -m drills "
        "preflight, which finds it)"
    ]


FAILURES = {
    "log group missing": (
        None,
        {LOG_GROUP: not_found("log group")},
        "cloudtrail-log-group",
        "could not read log group",
    ),
    "no log group configured": (
        lambda c: _platform(c).pop("cloudtrailLogGroup"),
        {},
        "cloudtrail-log-group",
        "platform.cloudtrailLogGroup is not set",
    ),
    "trail not found": (
        name_the_trail,
        {TRAIL: not_found("trail")},
        "cloudtrail-log-group",
        "could not read trail",
    ),
    "trail stopped": (
        name_the_trail,
        {TRAIL: trail(IsLogging=False)},
        "cloudtrail-log-group",
        "is not logging",
    ),
    "trail to another log group": (
        name_the_trail,
        {TRAIL: trail(CloudWatchLogsLogGroupArn="arn:aws:logs:ap-south-1:123456789012:log-group:/other:*")},
        "cloudtrail-log-group",
        "delivers to arn:aws:logs:ap-south-1:123456789012:log-group:/other:*, not to /aws/cloudtrail/zelly",
    ),
    "trail to no log group": (
        name_the_trail,
        {TRAIL: trail(CloudWatchLogsLogGroupArn=None)},
        "cloudtrail-log-group",
        "delivers to no CloudWatch Logs group",
    ),
    "trail in one region": (
        name_the_trail,
        {TRAIL: trail(IsMultiRegionTrail=False)},
        "cloudtrail-log-group",
        "logs one Region only",
    ),
    "trail logs writes only": (
        name_the_trail,
        {TRAIL: trail(EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])},
        "cloudtrail-log-group",
        "does not log read management events",
    ),
    "container insights off": (
        None,
        {ECS_CLUSTER: answer(settings=[{"name": "containerInsights", "value": "disabled"}])},
        "container-insights",
        "containerInsights is disabled on ECS cluster zelly-",
    ),
    "container insights unset": (
        None,
        {ECS_CLUSTER: answer(settings=[])},
        "container-insights",
        "containerInsights is not set",
    ),
    "ecs cluster missing": (
        None,
        {ECS_CLUSTER: not_found("ECS cluster")},
        "container-insights",
        "could not read ECS",
    ),
    "retention too short": (
        None,
        {DB_CLUSTER: answer(backupRetentionPeriod=3)},
        "aurora-backup-retention",
        "keeps automated backups for 3 days, fewer than 7",
    ),
    "retention below the stack's promise": (
        lambda c: _platform(c)["aurora"].update(backupRetentionDays=14),
        {DB_CLUSTER: answer(backupRetentionPeriod=7)},
        "aurora-backup-retention",
        "7 days, fewer than 14",
    ),
    "audit not exported": (
        None,
        {DB_CLUSTER: answer(enabledCloudwatchLogsExports=["error", "slowquery"])},
        "aurora-audit-export",
        "exports error, slowquery to CloudWatch Logs, not audit",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failing_precondition_stops_the_preview_naming_it_and_its_fix(case: str) -> None:
    change, lookups, key, problem = FAILURES[case]
    with pytest.raises(PreconditionError) as raised:
        run_program("production", change, lookups)
    message = str(raised.value)
    assert message.startswith("1 precondition of the incident infrastructure does not hold")
    assert f"- {key}: " in message and problem in message
    fix = {p.key: p.fix for p in PRECONDITIONS}[key].split("{")[0]
    assert f"fix: {fix}" in message


def test_a_missing_aurora_cluster_fails_both_of_its_preconditions() -> None:
    with pytest.raises(PreconditionError) as raised:
        run_program("staging", None, {DB_CLUSTER: not_found("RDS Cluster (zelly-aurora-staging)")})
    message = str(raised.value)
    assert message.startswith("2 preconditions")
    assert "- aurora-backup-retention: could not read Aurora cluster zelly-aurora-staging" in message
    assert "- aurora-audit-export: could not read Aurora cluster zelly-aurora-staging" in message


def test_every_failing_precondition_is_in_the_one_message() -> None:
    lookups = {
        TRAIL: trail(IsLogging=False),
        ECS_CLUSTER: answer(settings=[{"name": "containerInsights", "value": "disabled"}]),
        DB_CLUSTER: answer(backupRetentionPeriod=1, enabledCloudwatchLogsExports=[]),
    }
    with pytest.raises(PreconditionError) as raised:
        run_program("production", name_the_trail, lookups)
    message = str(raised.value)
    assert message.startswith("4 preconditions")
    assert [line.split(":")[0] for line in message.splitlines() if line.startswith("- ")] == [
        f"- {p.key}" for p in PRECONDITIONS
    ]
    assert message.count("  fix: ") == 4 and message.count("  needed because ") == 4
