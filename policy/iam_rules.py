"""IAM: no wildcard actions in inline policies; human-assumable roles need MFA and short sessions."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from stack_config import MAX_ROLE_SESSION_SECONDS, MIN_ROLE_SESSION_SECONDS

from .props import as_list, get, is_mapping, number, statements
from .settings import schema, setting

ROLE = "aws:iam/role:Role"
# Resources whose "policy" input is an identity policy document.
INLINE_POLICIES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
AWS_DEFAULT_SESSION_SECONDS = 3600.0


def wildcard_violations(document: Any, where: str = "policy") -> list[str]:
    """Allow statements must list exact API calls: no "*", "svc:*", "svc:Get*", no NotAction."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue  # a broad Deny only narrows access
        sid = statement.get("Sid") or f"#{index}"
        if "NotAction" in statement:
            problems.append(f"{where} statement {sid} allows NotAction: everything but a list")
        problems += [
            f"{where} statement {sid} allows wildcard action {action!r}"
            for action in as_list(statement.get("Action"))
            if "*" in str(action) or "?" in str(action)
        ]
    return problems


def inline_documents(resource_type: str, props: Any) -> list[tuple[str, Any]]:
    if resource_type in INLINE_POLICIES:
        return [("policy", get(props, "policy"))]
    if resource_type == ROLE:
        return [
            (f"inline policy {get(item, 'name', default='?')}", get(item, "policy"))
            for item in as_list(get(props, "inlinePolicies"))
            if is_mapping(item)
        ]
    return []


def _validate_wildcards(args: ResourceValidationArgs, report_violation) -> None:
    for where, document in inline_documents(args.resource_type, args.props):
        for problem in wildcard_violations(document, where):
            report_violation(problem, None)


NO_WILDCARD_ACTIONS = ResourceValidationPolicy(
    name="no-wildcard-iam-actions",
    description="Inline IAM policies allow exact API actions only (no '*' or prefix wildcards).",
    validate=_validate_wildcards,
    enforcement_level=EnforcementLevel.MANDATORY,
)

# IAM accepts a role MaxSessionDuration of 3600..43200 only; shorter sessions are the caller's.
SESSION_SCHEMA = schema(
    maxSessionSeconds={
        "type": "integer",
        "minimum": MIN_ROLE_SESSION_SECONDS,
        "maximum": MAX_ROLE_SESSION_SECONDS,
        "default": 3600,
    }
)


def human_principals(statement: Any) -> list[Any]:
    """The AWS (account, user, role) principals of a trust statement; services don't count."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    return as_list(get(principal, "AWS")) if is_mapping(principal) else []


def _requires_mfa(statement: Any) -> bool:
    value = get(statement, "Condition", "Bool", "aws:MultiFactorAuthPresent")
    return any(str(v).lower() == "true" for v in as_list(value))


def trust_violations(props: Any, max_session_seconds: float) -> list[str]:
    """A role people can assume requires MFA in every allowing statement and short sessions."""
    problems = []
    human = [
        s
        for s in statements(get(props, "assumeRolePolicy"))
        if s.get("Effect") == "Allow" and human_principals(s)
    ]
    for statement in human:
        sid = statement.get("Sid") or "trust statement"
        if "*" in human_principals(statement):
            problems.append(f"{sid} lets any principal ('*') assume the role")
        if not _requires_mfa(statement):
            problems.append(f"{sid} does not require aws:MultiFactorAuthPresent = true")
    if human:
        seconds = number(get(props, "maxSessionDuration"))
        seconds = AWS_DEFAULT_SESSION_SECONDS if seconds is None else seconds
        if not MIN_ROLE_SESSION_SECONDS <= seconds <= MAX_ROLE_SESSION_SECONDS:
            problems.append(
                f"maxSessionDuration is {seconds:g} s, outside IAM's {MIN_ROLE_SESSION_SECONDS}.."
                f"{MAX_ROLE_SESSION_SECONDS}: the role cannot be created (shorter sessions are "
                "the caller's DurationSeconds)"
            )
        elif seconds > max_session_seconds:
            problems.append(f"maxSessionDuration is {seconds:g} s, above {max_session_seconds:g} s")
    return problems


def _validate_trust(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type != ROLE:
        return
    limit = float(setting(args.get_config(), SESSION_SCHEMA, "maxSessionSeconds"))
    for problem in trust_violations(args.props, limit):
        report_violation(problem, None)


BREAK_GLASS_MFA = ResourceValidationPolicy(
    name="break-glass-mfa-and-session",
    description="Roles that people assume (break-glass, investigator) require MFA and allow "
    "sessions of at most the configured length (one hour).",
    validate=_validate_trust,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=SESSION_SCHEMA,
)
