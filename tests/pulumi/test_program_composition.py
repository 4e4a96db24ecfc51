"""The program composes its components from the stack config, exports, and refuses bad config."""

from __future__ import annotations

import pytest

import runbook_actions
from components.lookups import AwsLookupError
from stack_config import Platform, StackConfigError
from tests.support.program_harness import ACCOUNT, ProgramRun, run_program

COMPONENTS = {
    "incident-guardrails:components:SeverityNotifications",
    "incident-guardrails:components:IncidentAlarms",
    "incident-guardrails:components:BackupGuardrails",
    "incident-guardrails:components:BreakGlassAccess",
    "incident-guardrails:components:RunbookFunctions",
    "incident-guardrails:components:GameDaySchedule",
}


def test_the_components_and_every_resource_is_a_child_of_one(run: ProgramRun) -> None:
    assert {r.typ for r in run.resources if not r.custom} == COMPONENTS
    for resource in run.resources:
        qualified_type = resource.urn.split("::")[2]
        if resource.custom:
            parent_type = qualified_type.split("$")[-2]
            assert parent_type in COMPONENTS, resource.urn
        else:
            assert qualified_type == f"pulumi:pulumi:Stack${resource.typ}"


def test_exports_name_topics_alarms_functions_and_roles(run: ProgramRun, stack_platform: Platform) -> None:
    exports = run.exports
    assert set(exports["topicArns"]) == {"P0", "P1", "P2", "P3"}
    assert exports["topicArns"]["P0"].endswith(stack_platform.notifications.topic_name("P0"))
    alarm_names = {
        r.inputs.get("name") or r.inputs.get("alarmName")
        for r in run.resources
        if r.typ.startswith("aws:cloudwatch/") and r.typ.endswith("Alarm")
    }
    assert set(exports["alarmNames"]) == alarm_names
    assert set(exports["functionNames"]) == set(runbook_actions.all_actions())
    assert set(exports["runbookRoleArns"]) == set(runbook_actions.all_actions())
    assert exports["roleArns"]["breakGlassAdmin"] == (
        f"arn:aws:iam::{ACCOUNT}:role/{stack_platform.cluster}-break-glass-admin"
    )
    assert set(exports["roleArns"]) == {"breakGlassAdmin", "investigator", "backup"}
    assert exports["backupVaultName"] == f"{stack_platform.aurora.cluster_id}-backups"
    assert exports["issueQueueUrl"].endswith(stack_platform.notifications.p3_queue_name)


def _platform(config: dict) -> dict:
    return config["incident-guardrails:platform"]


def test_a_provider_region_other_than_the_platforms_is_refused() -> None:
    def change(config: dict) -> None:
        config["aws:region"] = "eu-west-1"

    with pytest.raises(StackConfigError, match="aws:region is 'eu-west-1' but platform.region"):
        run_program("staging", change)


def test_credentials_for_another_account_than_the_pinned_one_are_refused() -> None:
    def change(config: dict) -> None:
        _platform(config)["accountId"] = "999999999999"

    with pytest.raises(AwsLookupError, match="pins account 999999999999"):
        run_program("staging", change)


def test_break_glass_principals_are_required() -> None:
    def change(config: dict) -> None:
        del _platform(config)["breakGlass"]

    with pytest.raises(ValueError, match="platform.breakGlass is not set"):
        run_program("staging", change)


def test_invalid_platform_config_fails_naming_the_key() -> None:
    def change(config: dict) -> None:
        _platform(config)["backup"]["vaultLock"] = "forever"

    with pytest.raises(StackConfigError, match=r"platform\.backup\.vaultLock: 'forever'"):
        run_program("staging", change)
