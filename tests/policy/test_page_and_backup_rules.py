"""Issue 12's rules: break-glass rules that can fire, an admin that cannot silence them, backup
rules apart in time, sessions IAM accepts. Each weakened stack is caught by its rule alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.platform_names import CLUSTER
from tests.support.policy_harness import Violation, changed, evaluate
from tests.support.program_harness import ProgramRun, program_run

RULE = "aws:cloudwatch/eventRule:EventRule"
PLAN = "aws:backup/plan:Plan"
GUARD = "aws:iam/rolePolicy:RolePolicy"


@pytest.fixture(scope="module")
def production() -> ProgramRun:
    return program_run("production")


def _only(violations: list[Violation], policy: str) -> str:
    assert {v.policy for v in violations} == {policy}, violations
    return "\n".join(v.message for v in violations)


@pytest.mark.parametrize("rule", [f"{CLUSTER}-break-glass-assumed", f"{CLUSTER}-break-glass-assumed-forward"])
@pytest.mark.parametrize("state", [None, "ENABLED"])
def test_a_break_glass_rule_that_cannot_receive_assume_role_is_caught(
    production: ProgramRun, rule: str, state: str | None
) -> None:
    def weaken(props: dict[str, Any]) -> None:
        props.pop("state", None)
        if state:
            props["state"] = state

    weakened = changed(production, lambda r: r.typ == RULE and r.inputs.get("name") == rule, weaken)
    text = _only(evaluate(weakened), "cloudtrail-rule-receives-read-only-events")
    assert "read-only CloudTrail management events (AssumeRole) but its state is ENABLED" in text


def _set_rule_schedules(first: str, second: str):
    def change(props: dict[str, Any]) -> None:
        props["rules"][0]["schedule"], props["rules"][1]["schedule"] = first, second

    return change


def test_a_plan_whose_rules_share_a_schedule_is_caught(production: ProgramRun) -> None:
    same = _set_rule_schedules("cron(0 20 * * ? *)", "cron(0 20 * * ? *)")
    text = _only(evaluate(changed(production, lambda r: r.typ == PLAN, same)), "backup-rules-do-not-overlap")
    assert "rules point-in-time-restore (cron(0 20 * * ? *)) and daily-snapshot (cron(0 20 * * ? *))" in text
    assert "at least 420 minutes" in text


def test_a_plan_whose_rules_start_an_hour_apart_is_caught(production: ProgramRun) -> None:
    hour = _set_rule_schedules("cron(0 19 * * ? *)", "cron(0 20 * * ? *)")
    _only(evaluate(changed(production, lambda r: r.typ == PLAN, hour)), "backup-rules-do-not-overlap")


def _without_statement(sid: str):
    def change(props: dict[str, Any]) -> None:
        policy = json.loads(props["policy"])
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid]
        props["policy"] = json.dumps(policy)

    return change


@pytest.mark.parametrize(
    "sid, expected",
    [
        (
            "KeepPageTopicKeyUsable",
            "may kms:DisableKey, kms:PutKeyPolicy, kms:ScheduleKeyDeletion on the P0 topic's key",
        ),
        (
            "KeepPageTopicAndPolicy",
            "may sns:DeleteTopic, sns:RemovePermission, sns:SetTopicAttributes on the P0 topic",
        ),
        (
            "KeepPageSubscriptions",
            "may sns:Unsubscribe, sns:SetSubscriptionAttributes on the P0 topic's subscriptions",
        ),
        (
            "KeepCloudTrailRecording",
            "may cloudtrail:DeleteTrail, cloudtrail:StopLogging on CloudTrail trails",
        ),
        (
            "KeepBreakGlassPageOn",
            "may events:DeleteRule, events:DisableRule, events:PutRule, events:RemoveTargets "
            f"on rule {CLUSTER}-break-glass-assumed (",
        ),
        # The page itself (issue 12 red team): the P0 alarm on AssumeRole, and its metric filter.
        (
            "KeepBreakGlassAlarm",
            "may cloudwatch:DeleteAlarms, cloudwatch:DisableAlarmActions, cloudwatch:PutMetricAlarm "
            f"on alarm {CLUSTER}-break-glass-admin-assumed (arn:aws:cloudwatch:ap-south-1:",
        ),
        (
            "KeepBreakGlassMetricFilter",
            "may logs:DeleteLogGroup, logs:DeleteMetricFilter, logs:PutMetricFilter on metric filter "
            f"{CLUSTER}-break-glass-admin-assumed (arn:aws:logs:ap-south-1:123456789012:log-group:"
            "/aws/cloudtrail/zelly:*)",
        ),
    ],
)
def test_an_admin_that_could_silence_its_page_is_caught(
    production: ProgramRun, sid: str, expected: str
) -> None:
    guard = lambda r: r.typ == GUARD and r.inputs.get("name") == "keep-break-glass-visible"  # noqa: E731
    text = _only(
        evaluate(changed(production, guard, _without_statement(sid))), "break-glass-cannot-silence-page"
    )
    assert f"role {CLUSTER}-break-glass-admin {expected}" in text
    assert "could silence its own page" in text


def test_a_guard_on_another_topic_is_caught(production: ProgramRun) -> None:
    def elsewhere(props: dict[str, Any]) -> None:
        policy = json.loads(props["policy"])
        for statement in policy["Statement"]:
            if statement.get("Sid") == "KeepPageTopicAndPolicy":
                statement["Resource"] = [r.replace("-p0", "-p1") for r in statement["Resource"]]
        props["policy"] = json.dumps(policy)

    guard = lambda r: r.typ == GUARD and r.inputs.get("name") == "keep-break-glass-visible"  # noqa: E731
    text = _only(evaluate(changed(production, guard, elsewhere)), "break-glass-cannot-silence-page")
    assert "on the P0 topic (arn:aws:sns:ap-south-1:123456789012:zelly-production-incident-p0)" in text


def _guard_statement(sid: str, change):
    def edit(props: dict[str, Any]) -> None:
        policy = json.loads(props["policy"])
        for statement in policy["Statement"]:
            if statement.get("Sid") == sid:
                change(statement)
        props["policy"] = json.dumps(policy)

    return edit


def _is_guard(r) -> bool:
    return r.typ == GUARD and r.inputs.get("name") == "keep-break-glass-visible"


@pytest.mark.parametrize(
    "sid, condition, expected",
    [
        # Inert for every MFA session, which is every break-glass session (the trust demands MFA).
        (
            "KeepPageTopicAndPolicy",
            {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            "may sns:DeleteTopic, sns:RemovePermission, sns:SetTopicAttributes on the P0 topic",
        ),
        (
            "KeepBreakGlassAlarm",
            {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
            "may cloudwatch:DeleteAlarms, cloudwatch:DisableAlarmActions, cloudwatch:PutMetricAlarm",
        ),
        # The program's own region scoping, naming another Region: the deny never applies here.
        (
            "KeepPageSubscriptions",
            {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            "may sns:Unsubscribe, sns:SetSubscriptionAttributes on the P0 topic's subscriptions",
        ),
        # Region scoping where nothing scopes by Region: trails are changed in their home Region.
        (
            "KeepCloudTrailRecording",
            {"StringEquals": {"aws:RequestedRegion": "ap-south-1"}},
            "may cloudtrail:DeleteTrail, cloudtrail:StopLogging on CloudTrail trails",
        ),
        # The right key and Region, under another operator: IfExists skips requests without it.
        (
            "KeepBreakGlassMetricFilter",
            {"StringEqualsIfExists": {"aws:RequestedRegion": "ap-south-1"}},
            "may logs:DeleteLogGroup, logs:DeleteMetricFilter, logs:PutMetricFilter",
        ),
    ],
)
def test_a_guard_whose_deny_a_session_could_step_around_is_caught(
    production: ProgramRun, sid: str, condition: dict, expected: str
) -> None:
    def conditioned(statement: dict) -> None:
        statement["Condition"] = condition

    weakened = changed(production, _is_guard, _guard_statement(sid, conditioned))
    text = _only(evaluate(weakened), "break-glass-cannot-silence-page")
    assert f"role {CLUSTER}-break-glass-admin {expected}" in text
    assert f"denied only under Condition {json.dumps(condition)}" in text


def test_the_programs_own_region_scoping_still_counts(production: ProgramRun) -> None:
    def listed(statement: dict) -> None:
        # A list naming the topic's Region among others is still a deny in that Region.
        statement["Condition"] = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "ap-south-1"]}}

    kept = changed(production, _is_guard, _guard_statement("KeepPageTopicAndPolicy", listed))
    assert not [v for v in evaluate(kept) if v.policy == "break-glass-cannot-silence-page"]


def test_a_session_iam_would_refuse_is_caught(production: ProgramRun) -> None:
    admin = lambda r: r.typ == "aws:iam/role:Role" and r.inputs.get("name") == f"{CLUSTER}-break-glass-admin"  # noqa: E731
    short = changed(production, admin, lambda props: props.update(maxSessionDuration=900))
    text = _only(evaluate(short), "break-glass-mfa-and-session")
    assert "maxSessionDuration is 900 s, outside IAM's 3600..43200" in text
