"""One Lambda per runbook action: the package as code, failure destination, logs, least privilege."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pulumi
import pytest

import runbook_actions
from components.arns import AwsAccount
from components.resource_scope import UnknownResourceKindError, grant_scope
from components.runbook_functions import HANDLER, RUNBOOK_SOURCE, RunbookSourceError, runbook_archive
from components.runbook_iam import RunbookFunctionNames, RunbookNameError
from runbook_actions.action import IamGrant
from stack_config import Platform, load_platform
from tests.support.program_harness import ACCOUNT, ProgramRun, as_list, run_program, statements

FUNCTION = "aws:lambda/function:Function"
ACTIONS = runbook_actions.all_actions()


def _function(run: ProgramRun, platform: Platform, action: str):
    return run.one(FUNCTION, name=RunbookFunctionNames.of(platform, action).function)


def test_every_runbook_action_has_a_function_role_log_group_and_failure_destination(
    run: ProgramRun, stack_platform: Platform
) -> None:
    assert len(run.of_type(FUNCTION)) == len(ACTIONS) > 0
    queue = run.one("aws:sqs/queue:Queue", name=f"{stack_platform.cluster}-runbook-failures")
    for action in ACTIONS:
        names = RunbookFunctionNames.of(stack_platform, action)
        function = run.one(FUNCTION, name=names.function)
        role = run.one("aws:iam/role:Role", name=names.role)
        assert function.inputs["role"] == role.outputs["arn"]
        logs = run.one("aws:cloudwatch/logGroup:LogGroup", name=f"/aws/lambda/{names.function}")
        assert 1 <= logs.inputs["retentionInDays"] <= 3653
        assert function.inputs["loggingConfig"]["logGroup"] == logs.inputs["name"]
        invoke = run.one(
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", functionName=names.function
        )
        assert invoke.inputs["destinationConfig"]["onFailure"]["destination"] == queue.outputs["arn"]
        assert invoke.inputs["maximumRetryAttempts"] == 0


def test_functions_run_the_shared_handler_on_a_current_runtime(
    run: ProgramRun, stack_platform: Platform
) -> None:
    for action in ACTIONS:
        function = _function(run, stack_platform, action)
        inputs = function.inputs
        assert inputs["handler"] == HANDLER == "runbook_actions.lambda_handler.handler"
        assert inputs["runtime"] in ("python3.12", "python3.13")
        assert 1 <= inputs["timeout"] <= 900
        assert len(inputs["name"]) <= 64
        assert inputs["environment"]["variables"]["RUNBOOK_ACTION"] == action
        assert inputs["environment"]["variables"]["ZELLY_CLUSTER"] == stack_platform.cluster
        assert inputs["environment"]["variables"]["ZELLY_DB_CLUSTER"] == stack_platform.aurora.cluster_id


def test_the_code_is_the_runbook_actions_folder_and_nothing_else(run: ProgramRun) -> None:
    for function in run.of_type(FUNCTION):
        code = function.inputs["code"]
        assert isinstance(code, pulumi.AssetArchive)
        assert list(code.assets) == ["runbook_actions"]
        folder = code.assets["runbook_actions"]
        assert isinstance(folder, pulumi.FileArchive)
        path = Path(folder.path)
        assert path == RUNBOOK_SOURCE and path.name == "runbook_actions"
        assert (path / "lambda_handler.py").is_file() and (path / "__init__.py").is_file()


def test_the_archive_refuses_a_folder_that_is_not_the_package(tmp_path: Path) -> None:
    with pytest.raises(RunbookSourceError, match="no lambda_handler.py"):
        runbook_archive(tmp_path / "missing")
    (tmp_path / "lambda_handler.py").write_text("", encoding="utf-8")
    with pytest.raises(RunbookSourceError):
        runbook_archive(tmp_path)  # no __init__.py: not importable as runbook_actions


def test_each_role_grants_exactly_its_actions_declared_calls(
    run: ProgramRun, stack_platform: Platform
) -> None:
    account = AwsAccount(ACCOUNT, stack_platform.region)
    for name, action in ACTIONS.items():
        names = RunbookFunctionNames.of(stack_platform, name)
        policy = run.one("aws:iam/rolePolicy:RolePolicy", role=names.role)
        granted = statements(policy.inputs["policy"])
        for grant in action.iam:
            scope = grant_scope(grant, stack_platform, account)
            if scope is None:  # an optional kind (a customer-managed key) this stack does not name
                assert not any(set(grant.actions) <= set(s["Action"]) for s in granted), (name, grant)
                continue
            assert any(
                sorted(s["Action"]) == sorted(set(grant.actions))
                and sorted(s["Resource"]) == sorted(scope.resources)
                and s.get("Condition") == scope.condition
                for s in granted
            ), (name, grant)
        own_logs = next(s for s in granted if s["Sid"] == "WriteOwnLogs")
        assert own_logs["Resource"] == [
            f"arn:aws:logs:{stack_platform.region}:{ACCOUNT}:log-group:{names.log_group}:*"
        ]


def test_no_role_policy_has_a_wildcard_action(run: ProgramRun) -> None:
    policies = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) >= len(ACTIONS)
    for policy in policies:
        for statement in statements(policy.inputs["policy"]):
            assert "NotAction" not in statement
            assert all("*" not in action for action in as_list(statement["Action"])), policy.name


def test_resource_star_only_where_the_action_declared_it(run: ProgramRun, stack_platform: Platform) -> None:
    for name, action in ACTIONS.items():
        unscoped = {a for g in action.iam if g.resource == "*" for a in g.actions}
        policy = run.one(
            "aws:iam/rolePolicy:RolePolicy", role=RunbookFunctionNames.of(stack_platform, name).role
        )
        for statement in statements(policy.inputs["policy"]):
            if "*" in statement["Resource"]:
                assert set(statement["Action"]) <= unscoped, (name, statement)


def test_names_are_deterministic_and_fit_aws_limits() -> None:
    platform = load_platform("production")
    names = RunbookFunctionNames.of(platform, "scale-service")
    function = f"{platform.cluster}-runbook-scale-service"
    assert names == RunbookFunctionNames(
        function=function, role=f"{function}-role", log_group=f"/aws/lambda/{function}"
    )
    with pytest.raises(RunbookNameError, match="IAM allows 64"):
        RunbookFunctionNames.of(platform, "an-action-name-far-too-long-for-lambda-and-iam")


def test_an_action_with_an_unknown_resource_kind_stops_the_program() -> None:
    real = runbook_actions.all_actions
    scale = real()["scale-service"]
    rogue = dataclasses.replace(
        scale, name="invoke-lambda", iam=(IamGrant(("lambda:InvokeFunction",), "lambda-function"),)
    )

    def with_rogue():
        return {**real(), rogue.name: rogue}

    runbook_actions.all_actions = with_rogue
    try:
        with pytest.raises(UnknownResourceKindError, match="unknown runbook resource kind 'lambda-function'"):
            run_program("staging")
    finally:
        runbook_actions.all_actions = real
