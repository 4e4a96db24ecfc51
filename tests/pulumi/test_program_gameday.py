"""The game-day schedule: from the stack config, off in production, announced on the P3 topic."""

from __future__ import annotations

import pytest

from drills.scenario import load_scenarios
from stack_config import StackConfigError, load_platform
from stack_config.schedule_expression import check_schedule_expression
from tests.support.platform_names import STAGING, TOPIC_PREFIX
from tests.support.program_harness import ACCOUNT, ProgramRun, program_run, run_program, statements

SCHEDULE = "aws:scheduler/schedule:Schedule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def _game_day(config: dict) -> dict:
    return config["incident-guardrails:platform"]["gameDay"]


def test_staging_announces_its_game_day_on_the_p3_topic() -> None:
    run, platform = program_run("staging"), load_platform("staging")
    schedule = run.one(SCHEDULE)
    inputs = schedule.inputs
    assert inputs["scheduleExpression"] == platform.game_day.schedule == "cron(30 5 ? * WED *)"
    assert (inputs["name"], inputs["scheduleExpressionTimezone"], inputs["state"]) == (
        f"{STAGING.cluster}-game-day",
        "UTC",
        "ENABLED",
    )
    assert inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    target = inputs["target"]
    assert target["arn"] == f"arn:aws:sns:ap-south-1:{ACCOUNT}:{STAGING.notifications.topic_prefix}-p3"
    assert target["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{STAGING.cluster}-game-day-announcer"
    assert "python -m drills run all --stack staging" in target["input"]
    assert "<aws.scheduler.scheduled-time>" in target["input"]
    assert target["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3}
    assert run.exports["gameDaySchedule"] == f"{STAGING.cluster}-game-day"


def test_the_announcer_may_only_publish_to_p3_with_the_topic_key() -> None:
    run = program_run("staging")
    role = run.one(ROLE, name=f"{STAGING.cluster}-game-day-announcer")
    [trust] = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": ["scheduler.amazonaws.com"]}
    granted = {
        s["Sid"]: s for s in statements(run.one(ROLE_POLICY, role=role.inputs["name"]).inputs["policy"])
    }
    assert (granted["AnnounceOnP3"]["Action"], granted["AnnounceOnP3"]["Resource"]) == (
        ["sns:Publish"],
        [f"arn:aws:sns:ap-south-1:{ACCOUNT}:{STAGING.notifications.topic_prefix}-p3"],
    )
    key = granted["EncryptForTheTopic"]
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert (
        key["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
        == f"alias/{STAGING.notifications.topic_prefix}"
    )
    assert set(granted) == {"AnnounceOnP3", "EncryptForTheTopic"}


def test_production_has_no_game_day_until_enabled() -> None:
    run = program_run("production")
    assert load_platform("production").game_day.enabled is False
    assert run.of_type(SCHEDULE) == []
    assert [r for r in run.of_type(ROLE) if "game-day" in r.inputs["name"]] == []
    assert run.exports["gameDaySchedule"] is None

    def enable(config: dict) -> None:
        _game_day(config).update(enabled=True, scenario="p0-b")

    enabled = run_program("production", enable)
    schedule = enabled.one(SCHEDULE)
    assert schedule.inputs["target"]["arn"].endswith(f":{TOPIC_PREFIX}-p3")
    assert "python -m drills run p0-b --stack production" in schedule.inputs["target"]["input"]


@pytest.mark.parametrize(
    "game_day, message",
    [
        (
            {"enabled": True, "schedule": "cron(30 5 * * WED *)"},
            r"platform\.gameDay\.schedule: 'cron\(30 5 \* \* WED \*\)' must have '\?' in exactly one",
        ),
        (
            {"enabled": True, "schedule": "30 5 * * 3"},
            r"platform\.gameDay\.schedule: '30 5 \* \* 3' is not cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)",
        ),
        ({"enabled": True}, r"platform\.gameDay\.schedule: required when platform\.gameDay\.enabled is true"),
        (
            {"enabled": "yes", "schedule": "rate(7 days)"},
            r"platform\.gameDay\.enabled: expected true or false",
        ),
        (
            {"enabled": True, "schedule": "rate(7 days)", "scenario": "P0 A"},
            r"platform\.gameDay\.scenario: 'P0 A' is not 'all' or a scenario id",
        ),
        (
            {"enabled": True, "schedule": "rate(7 days)", "when": "weekly"},
            r"platform\.gameDay\.when: unknown key",
        ),
    ],
)
def test_a_bad_game_day_config_fails_naming_the_key(game_day: dict, message: str) -> None:
    def change(config: dict) -> None:
        config["incident-guardrails:platform"]["gameDay"] = game_day

    with pytest.raises(StackConfigError, match=message):
        run_program("staging", change)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(30 5 ? * WED *)",
        "cron(0 4 ? * MON-FRI *)",
        "cron(0 10 1 * ? *)",
        "cron(0 5 ? * 4#1 *)",
        "rate(1 day)",
        "rate(7 days)",
        "rate(12 hours)",
        "at(2026-12-02T05:30:00)",
    ],
)
def test_scheduler_expressions_aws_accepts(expression: str) -> None:
    check_schedule_expression(expression, "gameDay.schedule")


@pytest.mark.parametrize(
    "expression, message",
    [
        ("cron(30 5 ? * WED)", "needs six cron fields"),
        ("cron(30 5 1 * WED *)", "exactly one of day-of-month and day-of-week"),
        ("rate(1 days)", r"must say rate\(1 day\)"),
        ("rate(2 hour)", r"must say rate\(2 hours\)"),
        ("rate(0 days)", "is not cron"),
        ("at(2026-13-02T05:30:00)", "is not cron"),
        ("cron(30 5 ? * WED; *)", "needs six cron fields"),
    ],
)
def test_scheduler_expressions_aws_refuses(expression: str, message: str) -> None:
    with pytest.raises(StackConfigError, match=rf"gameDay\.schedule: .*{message}"):
        check_schedule_expression(expression, "gameDay.schedule")


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_the_announced_scenario_exists(stack: str) -> None:
    scenario = load_platform(stack).game_day.scenario
    assert scenario == "all" or scenario in load_scenarios()


def test_the_schedule_and_its_role_belong_to_the_game_day_component(run: ProgramRun) -> None:
    mine = [r for r in run.resources if r.name.startswith("game-day-")]
    assert len(mine) == (3 if load_platform(run.stack).game_day.enabled else 0)
    for resource in mine:
        assert resource.urn.split("::")[2].split("$")[-2] == "incident-guardrails:components:GameDaySchedule"
