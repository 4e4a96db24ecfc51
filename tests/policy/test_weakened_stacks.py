"""A weakened config or resource is caught by the matching rule, and only by it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components import tags
from tests.support.platform_names import CLUSTER, TOPIC_PREFIX
from tests.support.policy_harness import Violation, added, changed, evaluate, without
from tests.support.program_harness import ProgramRun, Recorded, program_run, run_program

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"
FUNCTION = "aws:lambda/function:Function"


@pytest.fixture(scope="module")
def production() -> ProgramRun:
    return program_run("production")


def _policies(violations: list[Violation]) -> set[str]:
    return {v.policy for v in violations}


def _messages(violations: list[Violation], policy: str) -> str:
    return "\n".join(v.message for v in violations if v.policy == policy)


def _named(typ: str, name: str):
    return lambda r: r.typ == typ and (r.inputs.get("name") == name or r.inputs.get("alarmName") == name)


def test_a_one_day_backup_retention_in_the_stack_config_is_caught() -> None:
    def one_day(config: dict[str, Any]) -> None:
        config["incident-guardrails:platform"]["aurora"]["backupRetentionDays"] = 1

    violations = evaluate(run_program("production", one_day))
    assert _policies(violations) == {"backup-retention-minimum"}
    text = _messages(violations, "backup-retention-minimum")
    assert "rule point-in-time-restore keeps backups 1 days, below the minimum of 7" in text
    assert "RDS_CLUSTER_BACKUP_RETENTION_CHECK accepts clusters keeping backups 1 days" in text


def test_the_retention_minimum_is_configurable(production: ProgramRun) -> None:
    violations = evaluate(production, {"backup-retention-minimum": {"minimumRetentionDays": 14}})
    assert _policies(violations) == {"backup-retention-minimum"}
    assert "keeps backups 7 days, below the minimum of 14" in _messages(
        violations, "backup-retention-minimum"
    )


def test_a_plan_without_point_in_time_restore_is_caught(production: ProgramRun) -> None:
    def no_pitr(props: dict[str, Any]) -> None:
        props["rules"] = [r for r in props["rules"] if not r.get("enableContinuousBackup")]

    violations = evaluate(changed(production, lambda r: r.typ == "aws:backup/plan:Plan", no_pitr))
    assert _policies(violations) == {"backup-retention-minimum"}
    assert "point-in-time restore is not kept" in violations[0].message


def test_an_alarm_without_actions_is_caught(production: ProgramRun) -> None:
    name = f"{CLUSTER}-storefront-no-healthy-hosts"
    silent = changed(
        production, _named(METRIC_ALARM, name), lambda props: props.update(alarmActions=[], okActions=[])
    )
    violations = evaluate(silent)
    assert _policies(violations) == {"alarm-has-severity-actions"}
    assert "alarmActions is empty" in violations[0].message and name in violations[0].urn


def test_an_alarm_on_another_severitys_topic_is_caught(production: ProgramRun) -> None:
    p3 = production.exports["topicArns"]["P3"]
    demoted = changed(
        production,
        _named(METRIC_ALARM, f"{CLUSTER}-root-account-usage"),
        lambda props: props.update(alarmActions=[p3]),
    )
    violations = evaluate(demoted)
    assert _policies(violations) == {"alarm-routed-to-its-severity-topic"}
    assert "alarmActions goes to the P3 topic, but the alarm is P0" in violations[0].message


def test_an_untagged_alarm_is_caught(production: ProgramRun) -> None:
    untagged = changed(
        production,
        _named(METRIC_ALARM, f"{CLUSTER}-cloudtrail-changes"),
        lambda props: props["tags"].pop(tags.SEVERITY),
    )
    assert "alarm-has-severity-actions" in _policies(evaluate(untagged))


def test_a_service_without_a_running_tasks_alarm_is_caught(production: ProgramRun) -> None:
    def fastify_running(r: Recorded) -> bool:
        return (
            r.typ == METRIC_ALARM
            and r.inputs["metricName"] == "RunningTaskCount"
            and r.inputs["dimensions"]["ServiceName"] == "fastify-nova"
        )

    # The composite names the no-running-tasks alarm; drop it too, as a stack without them would.
    stripped = without(production, lambda r: fastify_running(r) or r.typ.endswith("CompositeAlarm"))
    violations = evaluate(stripped)
    assert _policies(violations) == {"service-running-tasks-alarm"}
    assert violations[0].message == (
        "service fastify-nova has no RunningTaskCount alarm on a paging severity topic"
    )


def test_a_production_running_tasks_alarm_on_the_p3_queue_is_caught(production: ProgramRun) -> None:
    p3 = production.exports["topicArns"]["P3"]

    def to_p3(props: dict[str, Any]) -> None:
        props.update(alarmActions=[p3], okActions=[p3])
        props["tags"][tags.SEVERITY] = "P3"

    quiet = changed(
        production,
        lambda r: r.typ == METRIC_ALARM and r.inputs["dimensions"].get("ServiceName") == "events-consumer",
        to_p3,
    )
    violations = evaluate(quiet)
    assert _policies(violations) == {"service-running-tasks-alarm"}
    assert "events-consumer" in violations[0].message


def test_the_service_list_can_come_from_the_policy_config(production: ProgramRun) -> None:
    config = {
        "service-running-tasks-alarm": {
            "services": ["fastify-nova", "payments"],
            "cluster": CLUSTER,
            "production": True,
        }
    }
    violations = evaluate(production, config)
    assert [v.message for v in violations] == [
        "service payments has no RunningTaskCount alarm on a paging severity topic"
    ]


def test_without_any_platform_config_the_service_rule_fails_closed(production: ProgramRun) -> None:
    bare = ProgramRun(
        production.stack,
        production.resources,
        production.exports,
        production.invokes,
        config={"aws:region": "ap-south-1"},
    )
    violations = evaluate(bare)
    assert _policies(violations) == {"service-running-tasks-alarm"}
    assert "cannot tell the platform's services" in violations[0].message


def _trust(props: dict[str, Any]) -> dict[str, Any]:
    return json.loads(props["assumeRolePolicy"])


def test_a_break_glass_role_without_mfa_is_caught(production: ProgramRun) -> None:
    def no_mfa(props: dict[str, Any]) -> None:
        trust = _trust(props)
        del trust["Statement"][0]["Condition"]
        props["assumeRolePolicy"] = json.dumps(trust)

    violations = evaluate(changed(production, _named(ROLE, f"{CLUSTER}-break-glass-admin"), no_mfa))
    assert _policies(violations) == {"break-glass-mfa-and-session"}
    assert "does not require aws:MultiFactorAuthPresent = true" in violations[0].message


def test_a_twelve_hour_break_glass_session_is_caught(production: ProgramRun) -> None:
    long = changed(
        production,
        _named(ROLE, f"{CLUSTER}-investigator"),
        lambda props: props.update(maxSessionDuration=43200),
    )
    violations = evaluate(long)
    assert _policies(violations) == {"break-glass-mfa-and-session"}
    assert "maxSessionDuration is 43200 s, above 3600 s" in violations[0].message


def test_a_role_anyone_may_assume_is_caught(production: ProgramRun) -> None:
    def anyone(props: dict[str, Any]) -> None:
        trust = _trust(props)
        trust["Statement"][0]["Principal"] = "*"
        props["assumeRolePolicy"] = json.dumps(trust)

    violations = evaluate(changed(production, _named(ROLE, f"{CLUSTER}-investigator"), anyone))
    assert "lets any principal ('*') assume the role" in _messages(violations, "break-glass-mfa-and-session")


def _runbook_policy(production: ProgramRun, action: str = "scale-service") -> Recorded:
    role = f"{CLUSTER}-runbook-{action}-role"
    return next(
        r
        for r in production.resources
        if r.typ == "aws:iam/rolePolicy:RolePolicy" and r.inputs["role"] == role
    )


def test_a_runbook_function_with_a_wildcard_action_is_caught(production: ProgramRun) -> None:
    rogue = copy.deepcopy(_runbook_policy(production))
    rogue.name = rogue.name + "-rogue"
    rogue.urn = rogue.urn + "-rogue"
    for props in (rogue.inputs, rogue.outputs):
        props["name"] = "debugging"
        props["policy"] = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}
        )
    violations = evaluate(added(production, rogue))
    assert _policies(violations) == {"no-wildcard-iam-actions", "runbook-function-least-privilege"}
    assert "allows wildcard action 'ecs:*'" in _messages(violations, "no-wildcard-iam-actions")
    assert f"function {CLUSTER}-runbook-scale-service" in _messages(
        violations, "runbook-function-least-privilege"
    )


def test_a_managed_policy_on_a_runbook_role_is_caught(production: ProgramRun) -> None:
    attachment = Recorded(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "admin-for-triage",
        {
            "role": f"{CLUSTER}-runbook-triage-role",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
        {},
        "urn:pulumi:production::incident-guardrails::attachment::admin-for-triage",
        True,
    )
    attachment.outputs = dict(attachment.inputs)
    violations = evaluate(added(production, attachment))
    assert _policies(violations) == {"runbook-function-least-privilege"}
    assert "has managed policy arn:aws:iam::aws:policy/AdministratorAccess" in violations[0].message


def test_a_function_without_timeout_or_on_an_old_runtime_is_caught(production: ProgramRun) -> None:
    def weaken(props: dict[str, Any]) -> None:
        props.pop("timeout")
        props["runtime"] = "python3.9"

    violations = evaluate(changed(production, _named(FUNCTION, f"{CLUSTER}-runbook-triage"), weaken))
    assert _policies(violations) == {"runbook-function-settings"}
    text = _messages(violations, "runbook-function-settings")
    assert "timeout is not set" in text and "runtime 'python3.9'" in text


def test_a_function_without_failure_destination_is_caught(production: ProgramRun) -> None:
    stripped = without(
        production,
        lambda r: (
            r.typ.endswith("FunctionEventInvokeConfig")
            and r.inputs["functionName"] == f"{CLUSTER}-runbook-restore-cluster"
        ),
    )
    violations = evaluate(stripped)
    assert _policies(violations) == {"runbook-function-failure-destination"}
    assert f"{CLUSTER}-runbook-restore-cluster has no on-failure destination" in violations[0].message


def test_a_function_log_group_without_retention_is_caught(production: ProgramRun) -> None:
    forever = changed(
        production,
        _named("aws:cloudwatch/logGroup:LogGroup", f"/aws/lambda/{CLUSTER}-runbook-triage"),
        lambda props: props.pop("retentionInDays"),
    )
    violations = evaluate(forever)
    assert _policies(violations) == {"runbook-function-log-retention"}
    assert "forever (no retention)" in violations[0].message


def test_an_unencrypted_topic_or_the_aws_managed_key_is_caught(production: ProgramRun) -> None:
    topic = _named("aws:sns/topic:Topic", f"{TOPIC_PREFIX}-p1")
    plain = evaluate(changed(production, topic, lambda props: props.pop("kmsMasterKeyId")))
    assert _policies(plain) == {"topics-encrypted"}
    managed = evaluate(changed(production, topic, lambda props: props.update(kmsMasterKeyId="alias/aws/sns")))
    assert "CloudWatch alarms cannot publish" in managed[0].message
