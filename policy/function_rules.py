"""Runbook functions: explicit timeout, current runtime, a failure destination, kept logs,
and a role of their own with exact API actions and no managed policies."""

from __future__ import annotations

from typing import Any, Iterable

from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .iam_rules import inline_documents, wildcard_violations
from .props import as_list, get, number
from .settings import schema, setting

FUNCTION = "aws:lambda/function:Function"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

SETTINGS_SCHEMA = schema(
    maxTimeoutSeconds={"type": "integer", "minimum": 1, "maximum": 900, "default": 900},
    allowedRuntimes={"type": "array", "items": {"type": "string"}, "default": ["python3.12", "python3.13"]},
)
LOGS_SCHEMA = schema(minimumLogRetentionDays={"type": "integer", "minimum": 1, "default": 30})


def settings_violations(props: Any, max_timeout: float, runtimes: Iterable[str]) -> list[str]:
    problems = []
    timeout = number(get(props, "timeout"))
    if timeout is None:
        problems.append("timeout is not set (Lambda's default of 3 s would cut actions short)")
    elif timeout > max_timeout:
        problems.append(f"timeout is {timeout:g} s, above {max_timeout:g} s")
    runtime = get(props, "runtime")
    if runtime not in set(runtimes):
        problems.append(f"runtime {runtime!r} is not one of {', '.join(runtimes)}")
    return problems


def _validate_settings(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type != FUNCTION:
        return
    config = args.get_config()
    for problem in settings_violations(
        args.props,
        float(setting(config, SETTINGS_SCHEMA, "maxTimeoutSeconds")),
        list(setting(config, SETTINGS_SCHEMA, "allowedRuntimes")),
    ):
        report_violation(problem, None)


FUNCTION_SETTINGS = ResourceValidationPolicy(
    name="runbook-function-settings",
    description="Functions set an explicit timeout and run a current Python runtime.",
    validate=_validate_settings,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=SETTINGS_SCHEMA,
)


def _of_type(resources: Iterable[Any], resource_type: str) -> list[Any]:
    return [r for r in resources if r.resource_type == resource_type]


def _names(function: Any) -> set[str]:
    """A function may be referred to by name or ARN."""
    return {n for n in (get(function.props, "name"), get(function.props, "arn")) if n}


def missing_failure_destinations(resources: list[Any]) -> list[Any]:
    destinations = {
        get(c.props, "functionName")
        for c in _of_type(resources, INVOKE_CONFIG)
        if get(c.props, "destinationConfig", "onFailure", "destination")
    }
    return [
        f
        for f in _of_type(resources, FUNCTION)
        if not (_names(f) & destinations or get(f.props, "deadLetterConfig", "targetArn"))
    ]


def _validate_failure_destination(args: StackValidationArgs, report_violation) -> None:
    for function in missing_failure_destinations(list(args.resources)):
        report_violation(
            f"function {get(function.props, 'name')} has no on-failure destination or dead-letter queue",
            function.urn,
        )


FAILURE_DESTINATION = StackValidationPolicy(
    name="runbook-function-failure-destination",
    description="Every function sends failed asynchronous invocations somewhere (on-failure "
    "destination or dead-letter queue).",
    validate=_validate_failure_destination,
    enforcement_level=EnforcementLevel.MANDATORY,
)


def log_retention_violations(resources: list[Any], minimum_days: float) -> list[tuple[str, Any]]:
    groups = {
        get(g.props, "name"): number(get(g.props, "retentionInDays")) for g in _of_type(resources, LOG_GROUP)
    }
    problems = []
    for function in _of_type(resources, FUNCTION):
        name = get(function.props, "name")
        group = get(function.props, "loggingConfig", "logGroup") or f"/aws/lambda/{name}"
        if group not in groups:
            problems.append(
                (
                    f"function {name} logs to {group}, which this stack does not manage: "
                    "Lambda would create it with no retention",
                    function.urn,
                )
            )
        elif not groups[group] or groups[group] < minimum_days:
            problems.append(
                (
                    f"log group {group} of function {name} keeps logs "
                    f"{groups[group] or 'forever (no retention)'} days; "
                    f"set retention of at least {minimum_days:g}",
                    function.urn,
                )
            )
    return problems


def _validate_log_retention(args: StackValidationArgs, report_violation) -> None:
    minimum = float(setting(args.get_config(), LOGS_SCHEMA, "minimumLogRetentionDays"))
    for problem, urn in log_retention_violations(list(args.resources), minimum):
        report_violation(problem, urn)


LOG_RETENTION = StackValidationPolicy(
    name="runbook-function-log-retention",
    description="Every function logs to a log group of this stack with a set retention.",
    validate=_validate_log_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=LOGS_SCHEMA,
)


def privilege_violations(resources: list[Any]) -> list[tuple[str, Any]]:
    roles = {get(r.props, "arn"): r for r in _of_type(resources, ROLE)}
    problems = []
    for function in _of_type(resources, FUNCTION):
        name = get(function.props, "name")
        role = roles.get(get(function.props, "role"))
        if role is None:
            problems.append(
                (
                    f"function {name} uses role {get(function.props, 'role')!r}, which "
                    "this stack does not define: its permissions cannot be checked",
                    function.urn,
                )
            )
            continue
        role_name = get(role.props, "name")
        documents = inline_documents(ROLE, role.props) + [
            (f"policy {get(p.props, 'name', default='?')}", get(p.props, "policy"))
            for p in _of_type(resources, ROLE_POLICY)
            if get(p.props, "role") == role_name
        ]
        problems += [
            (f"function {name}: {problem}", function.urn)
            for where, document in documents
            for problem in wildcard_violations(document, where)
        ]
        attached = [
            get(a.props, "policyArn")
            for a in _of_type(resources, ATTACHMENT)
            if get(a.props, "role") == role_name
        ] + as_list(get(role.props, "managedPolicyArns"))
        problems += [
            (
                f"function {name}: role {role_name} has managed policy {arn}; runbook "
                "roles carry only their action's exact grants",
                function.urn,
            )
            for arn in attached
        ]
    return problems


def _validate_privilege(args: StackValidationArgs, report_violation) -> None:
    for problem, urn in privilege_violations(list(args.resources)):
        report_violation(problem, urn)


LEAST_PRIVILEGE = StackValidationPolicy(
    name="runbook-function-least-privilege",
    description="Every function's role is defined here, grants exact API actions (no wildcard "
    "actions) and has no managed policies attached.",
    validate=_validate_privilege,
    enforcement_level=EnforcementLevel.MANDATORY,
)
