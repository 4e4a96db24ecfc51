"""One Lambda function per runbook action, each with its own least-privilege role.

Every function runs the same code, the ``runbook_actions/`` package and nothing else, through
``runbook_actions.lambda_handler.handler``; ``RUNBOOK_ACTION`` tells it which action it serves
and the platform's names come from the environment. Failed asynchronous invocations land in one
SQS queue; nothing is retried automatically, because a runbook action (a rollback, a restore)
must not run twice without someone deciding so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pulumi
import pulumi_aws as aws

from runbook_actions import Action, constants
from stack_config import Platform
from stack_config.runbook_env import runbook_environment

from . import tags
from .arns import AwsAccount
from .iam_documents import service_trust
from .runbook_iam import RunbookFunctionNames, action_policy, failure_queue_name

PACKAGE = "runbook_actions"
HANDLER = f"{PACKAGE}.lambda_handler.handler"
HANDLER_FILE = "lambda_handler.py"
RUNTIME = "python3.12"
# rds_helpers waits up to 840 s for a snapshot or restore before reporting "still waiting";
# 900 s is Lambda's ceiling and leaves the action time to report.
TIMEOUT_SECONDS = 900
MEMORY_MB = 256
LOG_RETENTION_DAYS = 90
FAILURE_RETENTION_SECONDS = 14 * 24 * 3600
RUNBOOK_SOURCE = Path(__file__).resolve().parent.parent / PACKAGE


class RunbookSourceError(Exception):
    """The folder to package is not the runbook_actions package."""


def runbook_archive(source: Path = RUNBOOK_SOURCE) -> pulumi.AssetArchive:
    """An archive holding only ``runbook_actions/``, so ``runbook_actions.lambda_handler`` imports.

    Pulumi's mocks accept a FileArchive of a folder that does not exist, so check it here.
    """
    source = Path(source).resolve()
    if not (source / HANDLER_FILE).is_file() or not (source / "__init__.py").is_file():
        raise RunbookSourceError(f"{source} is not the {PACKAGE} package (no {HANDLER_FILE} or __init__.py)")
    return pulumi.AssetArchive({PACKAGE: pulumi.FileArchive(str(source))})


def function_environment(platform: Platform, action: Action) -> dict[str, str]:
    """The action's name and the platform's names, under the variables the actions read."""
    return {constants.ENV_ACTION: action.name, **runbook_environment(platform)}


@dataclass(frozen=True)
class RunbookFunctionsArgs:
    platform: Platform
    account: AwsAccount
    actions: Sequence[Action]
    source: Path = RUNBOOK_SOURCE


class RunbookFunctions(pulumi.ComponentResource):
    function_names: dict[str, str]
    function_arns: dict[str, pulumi.Output[str]]
    role_arns: dict[str, pulumi.Output[str]]
    failure_queue_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RunbookFunctionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:RunbookFunctions", name, None, opts)
        if not args.actions:
            raise ValueError("no runbook actions to deploy")
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        # Build every policy first: an unknown resource kind fails before anything is created.
        policies = {
            a.name: action_policy(
                a, args.platform, args.account, RunbookFunctionNames.of(args.platform, a.name)
            )
            for a in args.actions
        }
        archive = runbook_archive(args.source)
        failures = self._create_failure_queue()
        functions = {
            a.name: self._create_function(a, policies[a.name], archive, failures) for a in args.actions
        }
        self.function_names = {
            a.name: RunbookFunctionNames.of(args.platform, a.name).function for a in args.actions
        }
        self.function_arns = {action: function.arn for action, (function, _) in functions.items()}
        self.role_arns = {action: role.arn for action, (_, role) in functions.items()}
        self.failure_queue_arn = failures.arn
        self.register_outputs(
            {
                "functionNames": self.function_names,
                "roleArns": self.role_arns,
                "failureQueueArn": self.failure_queue_arn,
            }
        )

    def _tags(self, **extra: str) -> dict[str, str]:
        return {**tags.base_tags(self._args.platform, "runbook-functions"), **extra}

    def _create_failure_queue(self) -> aws.sqs.Queue:
        return aws.sqs.Queue(
            f"{self._name}-failures",
            name=failure_queue_name(self._args.platform),
            message_retention_seconds=FAILURE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=self._tags(),
            opts=self._child,
        )

    def _create_function(
        self, action: Action, policy: str, archive: pulumi.AssetArchive, failures: aws.sqs.Queue
    ) -> tuple[aws.lambda_.Function, aws.iam.Role]:
        names = RunbookFunctionNames.of(self._args.platform, action.name)
        key = f"{self._name}-{action.name}"
        labels = self._tags(**{tags.RUNBOOK_ACTION: action.name})
        role = aws.iam.Role(
            f"{key}-role",
            name=names.role,
            description=f"Runs runbook action {action.name} and nothing else",
            # Only principals allowed iam:PassRole on it can hand this role to a function.
            assume_role_policy=service_trust("lambda.amazonaws.com"),
            tags=labels,
            opts=self._child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{key}-policy", role=role.name, name=action.name, policy=policy, opts=self._child
        )
        # Created before the function, so Lambda never makes an unmanaged, never-expiring one.
        log_group = aws.cloudwatch.LogGroup(
            f"{key}-logs",
            name=names.log_group,
            retention_in_days=LOG_RETENTION_DAYS,
            tags=labels,
            opts=self._child,
        )
        function = aws.lambda_.Function(
            key,
            name=names.function,
            description=action.summary[:256],
            role=role.arn,
            runtime=RUNTIME,
            handler=HANDLER,
            code=archive,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables=function_environment(self._args.platform, action)
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group.name),
            tags=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, log_group]),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{key}-on-failure",
            function_name=function.name,
            maximum_retry_attempts=0,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=failures.arn
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        return function, role
