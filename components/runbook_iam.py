"""Names and the least-privilege policy of one runbook action's Lambda function (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from runbook_actions import Action
from stack_config import Platform, derived_names

from .arns import AwsAccount
from .iam_documents import allow, document
from .resource_scope import grant_scope

MAX_FUNCTION_NAME = 64  # Lambda's limit; IAM role names share it
ROLE_SUFFIX = derived_names.RUNBOOK_ROLE_SUFFIX


class RunbookNameError(ValueError):
    """A function or role name would exceed AWS's limits."""


@dataclass(frozen=True)
class RunbookFunctionNames:
    """Deterministic names, so drills and operators can find the function of an action."""

    function: str
    role: str
    log_group: str

    @classmethod
    def of(cls, platform: Platform, action_name: str) -> "RunbookFunctionNames":
        """The names stack_config.derived_names gives the action (and checks for the stack's own
        actions); an action the config could not know of is checked here."""
        names = derived_names.runbook_names(platform, action_name)
        if len(names.role) > MAX_FUNCTION_NAME:
            raise RunbookNameError(
                f"runbook function {names.function!r} is too long: its role name {names.role!r} has "
                f"{len(names.role)} characters, IAM allows {MAX_FUNCTION_NAME}; shorten the action name"
            )
        return cls(function=names.function, role=names.role, log_group=names.log_group)


def failure_queue_name(platform: Platform) -> str:
    return derived_names.runbook_failure_queue(platform)


def notifications_key_alias(platform: Platform) -> str:
    return derived_names.notifications_key_alias(platform)


def action_policy(
    action: Action, platform: Platform, account: AwsAccount, names: RunbookFunctionNames
) -> str:
    """Only the API calls the action declares, on its kinds' ARNs, plus logging and failures.

    A grant's condition comes along (``ecs:cluster`` on ListServices, ``kms:ViaService`` on a
    key); a grant on an optional kind the platform lacks (no customer-managed key) is left out.
    """
    statements: list[dict[str, Any]] = []
    for index, grant in enumerate(action.iam, start=1):
        scope = grant_scope(grant, platform, account)
        if scope is not None:
            statements.append(
                allow(
                    grant.actions,
                    scope.resources,
                    sid=f"Grant{index}{_camel(grant.resource)}",
                    condition=scope.condition,
                )
            )
    statements.append(
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [account.log_group(names.log_group)[1]],
            sid="WriteOwnLogs",
        )
    )
    statements.append(
        allow(
            ["sqs:SendMessage"],
            [account.sqs_queue(failure_queue_name(platform))],
            sid="ReportFailedInvocations",
        )
    )
    if any("sns:Publish" in grant.actions for grant in action.iam):
        # Publishing to a KMS-encrypted topic needs the topic key: this key, by its alias.
        statements.append(
            allow(
                ["kms:GenerateDataKey", "kms:Decrypt"],
                [account.kms_keys()],
                sid="EncryptForTopics",
                condition={
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": notifications_key_alias(platform)}
                },
            )
        )
    return document(statements)


def _camel(kind: str) -> str:
    return "Unscoped" if kind == "*" else "".join(p.title() for p in re.split(r"[^A-Za-z0-9]", kind))
