"""AWS's Service Authorization Reference, and policy documents checked against it.

The reference is policy_sentry's bundled IAM definition (``policy_sentry/shared/data/
iam-definition.json``), which policy_sentry builds from AWS's Service Authorization Reference
pages (docs.aws.amazon.com/service-authorization): every action of every service with its
access level, the resource types it can be scoped to (each with its ARN format, and whether AWS
marks it required), and its condition keys with their types. Nothing here lists actions by hand;
the one hand-kept table is the global ``aws:`` condition keys, which that reference does not
carry per action (IAM User Guide, "AWS global condition context keys").

``check_document`` applies the rules of issue 12 to one policy document:

- every action exists (a wildcard such as ``ecs:Describe*`` expands to at least one action);
- every Resource matches an ARN format of a resource type the action supports, or is ``*`` when
  the action supports none (AWS authorises such actions against ``*``; an ARN there denies them);
  a Deny may name ``*`` for any action (it then denies the action on every resource, which IAM
  evaluates as written: the ``*`` rule exists so that an Allow grants no more than it must),
  but its actions and conditions are checked like an Allow's, and an ARN in a Deny of an action
  AWS authorises only against ``*`` is still reported (that Deny would never apply);
- CloudWatch Logs: a Resource naming a log group must be the form of its ARN that IAM evaluates
  the action against: ``log-group:NAME:*`` for every action but TagResource, UntagResource and
  ListTagsForResource, which take ``log-group:NAME`` (LOG_GROUP_ARN_WITHOUT_STAR). The reference
  lists one format for both, so ``log-group:NAME`` fits FilterLogEvents there, yet never allows it;
- every condition key is valid for the action, or global; its operator suits the key's type
  (set operators exactly for multivalued keys) and its values look like that type.

``program_policies`` finds every policy document a Pulumi program run (under mocks) created, and
``allowing_statements`` evaluates Allow statements for one request, for the least-privilege test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Iterable, Iterator, Mapping, Sequence

from policy_sentry.querying.all import get_all_service_prefixes
from policy_sentry.shared import constants as policy_sentry_constants
from policy_sentry.shared.iam_data import get_iam_definition_schema_version, get_service_prefix_data
from policy_sentry.util.conditions import is_condition_key_match

from tests.support.program_harness import ProgramRun, Recorded

if policy_sentry_constants.DATASTORE_FILE_PATH != policy_sentry_constants.BUNDLED_DATASTORE_FILE_PATH:
    raise RuntimeError(
        f"policy_sentry reads {policy_sentry_constants.DATASTORE_FILE_PATH} instead of the table it ships; "
        "the IAM reference tests use the pinned package's table only: move ~/.policy_sentry away"
    )

REFERENCE_FILE = policy_sentry_constants.BUNDLED_DATASTORE_FILE_PATH
SCHEMA_VERSION = "v2"
STAR = "*"

# The keys every request may carry whatever the service (IAM User Guide, "AWS global condition
# context keys", reference_policies_condition-keys.html), with their types. policy_sentry's
# table lists only the tag keys among them, and only where a service documents them.
GLOBAL_CONDITION_KEYS: Mapping[str, str] = {
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:CurrentTime": "Date",
    "aws:EpochTime": "Numeric",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceOwner": "String",
    "aws:SourceVpc": "String",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
}

# IAM condition operators by family, and which families suit each key type of the reference.
OPERATOR_FAMILIES: Mapping[str, frozenset[str]] = {
    "String": frozenset(
        {
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        }
    ),
    "Numeric": frozenset(
        {
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        }
    ),
    "Date": frozenset(
        {
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        }
    ),
    "Bool": frozenset({"Bool"}),
    "Binary": frozenset({"BinaryEquals"}),
    "Ip": frozenset({"IpAddress", "NotIpAddress"}),
    "Arn": frozenset({"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}),
    "Null": frozenset({"Null"}),
}
FAMILIES_FOR_TYPE: Mapping[str, frozenset[str]] = {
    "String": frozenset({"String"}),
    "ARN": frozenset({"Arn", "String"}),  # IAM accepts String operators on ARN keys
    "Bool": frozenset({"Bool"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "IPAddress": frozenset({"Ip"}),
    "Binary": frozenset({"Binary"}),
}
SET_OPERATORS = ("ForAnyValue:", "ForAllValues:")
# CloudWatch Logs User Guide, "CloudWatch Logs resources and operations"
# (iam-access-control-overview-cwl.html): a log group has two ARNs. IAM evaluates these three
# actions against the one without a trailing ":*", "all other API actions" against
# log-group:NAME:* (so does the LogGroup.arn field DescribeLogGroups returns, "Use this version
# to refer to the ARN in IAM policies when specifying permissions for most API actions").
LOG_GROUP_ARN_WITHOUT_STAR = frozenset({"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"})
LOG_GROUP_TYPE = "log-group"
IF_EXISTS = "IfExists"


# -- the reference --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """A resource type an action can be scoped to, as the reference lists it for that action."""

    name: str
    arn_format: str  # "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}"
    required: bool  # marked with * in the reference: every request is authorised against one
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class ActionReference:
    """One IAM action: its resource types, and the condition keys of the request itself."""

    name: str  # as AWS spells it: "ecs:ListServices"
    access_level: str
    resource_types: tuple[ResourceType, ...]
    request_condition_keys: tuple[str, ...]  # the row without a resource type

    @property
    def unscoped(self) -> bool:
        """No resource type: AWS authorises the action against ``*`` only."""
        return not self.resource_types

    @property
    def condition_keys(self) -> tuple[str, ...]:
        keys = [*self.request_condition_keys]
        for resource_type in self.resource_types:
            keys.extend(resource_type.condition_keys)
        return tuple(dict.fromkeys(keys))

    def describe_scope(self) -> str:
        if self.unscoped:
            keys = ", ".join(self.request_condition_keys) or "no condition key"
            return f"{self.name} supports no resource type (authorised against *; scoped only by: {keys})"
        types = ", ".join(f"{t.name} ({t.arn_format})" for t in self.resource_types)
        return f"{self.name} supports {types}"


def reference_version() -> str:
    """The installed policy_sentry and its table's schema, for messages and the report."""
    return f"policy_sentry {version('policy_sentry')} (IAM definition schema {get_iam_definition_schema_version()})"


@lru_cache(maxsize=None)
def _service(prefix: str) -> Mapping[str, Any]:
    """policy_sentry's table for one service, through its own accessor.

    Its query functions are used where they suffice (tests/pulumi/test_iam_reference.py), but
    ``get_action_data`` drops what these checks need: whether a resource type is required, and
    the action table's own condition keys per resource type (it lists the resource table's
    instead, so ``ecs:UpdateService`` would lose ``ecs:cluster``).
    """
    return get_service_prefix_data(prefix.lower()) or {}


@lru_cache(maxsize=None)
def service_prefixes() -> frozenset[str]:
    return frozenset(get_all_service_prefixes())


@lru_cache(maxsize=None)
def action(name: str) -> ActionReference | None:
    """The reference's entry for ``service:Action`` (IAM action names are case-insensitive)."""
    prefix, _, action_name = name.partition(":")
    data = _service(prefix)
    if not data or not action_name:
        return None
    spelled = data["privileges_lower_name"].get(action_name.lower())
    if spelled is None:
        return None
    privilege = data["privileges"][spelled]
    types: list[ResourceType] = []
    request_keys: tuple[str, ...] = ()
    for type_name, row in privilege["resource_types"].items():
        if not type_name:
            request_keys = tuple(row["condition_keys"])
            continue
        resource = data["resources"][type_name]
        keys = tuple(dict.fromkeys([*row["condition_keys"], *resource["condition_keys"]]))
        types.append(ResourceType(type_name, resource["arn"], bool(row["required"]), keys))
    return ActionReference(
        name=f"{data['prefix']}:{spelled}",
        access_level=privilege["access_level"],
        resource_types=tuple(types),
        request_condition_keys=request_keys,
    )


@lru_cache(maxsize=None)
def expand(pattern: str) -> tuple[ActionReference, ...]:
    """The actions an Action element names: one, or every match of a ``*``/``?`` wildcard."""
    if pattern == STAR:
        return tuple(a for prefix in sorted(service_prefixes()) for a in expand(f"{prefix}:*"))
    prefix, _, name = pattern.partition(":")
    if not any(c in name for c in "*?"):
        found = action(pattern)
        return (found,) if found else ()
    data = _service(prefix)
    if not data:
        return ()
    matcher = re.compile(_glob_regex(name.lower()))
    return tuple(
        a
        for lower, spelled in sorted(data["privileges_lower_name"].items())
        if matcher.fullmatch(lower) and (a := action(f"{prefix}:{spelled}")) is not None
    )


def condition_key_type(key: str) -> str | None:
    """The reference's type of a service condition key ("ARN", "ArrayOfString"...), or a global one's."""
    for documented, key_type in GLOBAL_CONDITION_KEYS.items():
        if is_condition_key_match(documented, key):
            return key_type
    prefix = key.split(":", 1)[0]
    for documented, data in _service(prefix).get("conditions", {}).items():
        if is_condition_key_match(documented, key):
            return str(data["type"])
    return None


def is_global_key(key: str) -> bool:
    return any(is_condition_key_match(documented, key) for documented in GLOBAL_CONDITION_KEYS)


def key_valid_for(key: str, reference: ActionReference) -> bool:
    return is_global_key(key) or any(is_condition_key_match(k, key) for k in reference.condition_keys)


# -- wildcard patterns ----------------------------------------------------------------------
# A pattern is a list of tokens: a literal character, ONE (any one character) or ANY (any run).
# A reference ARN variable ("${ServiceName}") is ONE followed by ANY: at least one character.

ONE, ANY = object(), object()
_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _glob_regex(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


def _tokens(text: str, *, wildcards: bool, variables: bool) -> tuple[object, ...]:
    out: list[object] = []
    position = 0
    while position < len(text):
        match = _VARIABLE.match(text, position) if variables else None
        if match:
            out.extend((ONE, ANY))
            position = match.end()
            continue
        char = text[position]
        out.append(ANY if wildcards and char == "*" else ONE if wildcards and char == "?" else char)
        position += 1
    return tuple(out)


def _overlap(left: tuple[object, ...], right: tuple[object, ...]) -> bool:
    """Whether some string matches both patterns."""
    pending, seen = [(0, 0)], set()
    while pending:
        i, j = state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i] is ANY:
            pending.append((i + 1, j))
        if j < len(right) and right[j] is ANY:
            pending.append((i, j + 1))
        if i < len(left) and j < len(right):
            a, b = left[i], right[j]
            if isinstance(a, str) and isinstance(b, str) and a != b:
                continue
            following = (i if a is ANY else i + 1, j if b is ANY else j + 1)
            if following != state:
                pending.append(following)
    return False


def _policy_tokens(text: str) -> tuple[object, ...]:
    # IAM policy variables (${aws:username}) stand for a value known only per request.
    return _tokens(text, wildcards=True, variables=True)


def glob_matches(pattern: str, value: str) -> bool:
    """IAM's wildcard match of a Resource or condition value (``*``, ``?``) against one string."""
    return _overlap(_policy_tokens(pattern), _tokens(value, wildcards=False, variables=False))


def arn_fits_format(arn: str, arn_format: str) -> bool:
    """Whether a policy's ARN (wildcards allowed) can name a resource of this reference format."""
    given, wanted = arn.split(":", 5), arn_format.split(":", 5)
    if len(given) != 6 or given[0] != "arn":
        return False
    return all(
        _overlap(_policy_tokens(part), _tokens(form, wildcards=False, variables=True))
        for part, form in zip(given, wanted)
    )


def fill_format(arn_format: str, values: Mapping[str, str]) -> str | None:
    """The reference format with its ``${Variable}``s replaced, or None if one has no value."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = values.get(match.group(0)[2:-1])
        missing = missing or found is None
        return found or ""

    filled = _VARIABLE.sub(value, arn_format)
    return None if missing else filled


def matching_types(arn: str, reference: ActionReference) -> tuple[ResourceType, ...]:
    return tuple(t for t in reference.resource_types if arn_fits_format(arn, t.arn_format))


# -- checking a document --------------------------------------------------------------------

IDENTITY, TRUST, RESOURCE = "identity", "trust", "resource"


@dataclass(frozen=True)
class PolicyDocument:
    """One policy as the program wrote it; ``attached_to`` is a resource policy's resource ARN."""

    name: str  # "runbook-stop-writes-policy.policy": the Pulumi resource and its input
    kind: str  # IDENTITY, TRUST or RESOURCE
    document: Mapping[str, Any]
    attached_to: str | None = None


@dataclass(frozen=True)
class Violation:
    policy: str
    statement: str  # its Sid, or its position
    action: str
    resource: str | None
    rule: str  # "unknown-action", "resource-type", "star-resource", "condition-key", ...
    detail: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Stable across stacks: the policy's Pulumi name, the action and the rule."""
        return (self.policy, self.action, self.rule)

    def __str__(self) -> str:
        where = f" on {self.resource}" if self.resource is not None else ""
        return f"{self.policy} [{self.statement}] {self.action}{where}: {self.rule}: {self.detail}"


@dataclass
class Tally:
    policies: int = 0
    statements: int = 0
    actions: int = 0  # Action entries, a wildcard counted once
    expanded_actions: set[str] = field(default_factory=set)  # distinct reference actions covered
    resources: int = 0  # (action entry, Resource entry) pairs checked
    condition_keys: int = 0  # (action entry, condition key) pairs checked

    def add(self, other: "Tally") -> None:
        self.policies += other.policies
        self.statements += other.statements
        self.actions += other.actions
        self.expanded_actions |= other.expanded_actions
        self.resources += other.resources
        self.condition_keys += other.condition_keys

    def summary(self) -> str:
        return (
            f"{self.policies} policies, {self.statements} statements, {self.actions} action entries "
            f"({len(self.expanded_actions)} distinct actions), {self.resources} action/resource pairs, "
            f"{self.condition_keys} action/condition-key pairs"
        )


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_document(policy: PolicyDocument) -> tuple[list[Violation], Tally]:
    """Every rule of the module docstring over every statement of ``policy``."""
    violations: list[Violation] = []
    tally = Tally(policies=1)
    statements = as_list(policy.document.get("Statement", []))
    if policy.document.get("Version") != "2012-10-17":
        violations.append(
            Violation(policy.name, "-", "-", None, "version", "Version must be 2012-10-17 (policy variables)")
        )
    for index, statement in enumerate(statements, start=1):
        tally.statements += 1
        label = str(statement.get("Sid") or f"#{index}")
        violations.extend(_check_statement(policy, label, statement, tally))
    return violations, tally


def _check_statement(
    policy: PolicyDocument, label: str, statement: Mapping[str, Any], tally: Tally
) -> Iterator[Violation]:
    def violation(action: str, resource: str | None, rule: str, detail: str) -> Violation:
        return Violation(policy.name, label, action, resource, rule, detail)

    yield from _check_shape(policy, statement, violation)
    conditions = list(_conditions(statement.get("Condition") or {}))
    for pattern in as_list(statement.get("Action", [])) + as_list(statement.get("NotAction", [])):
        tally.actions += 1
        references = expand(str(pattern))
        if not references:
            yield violation(str(pattern), None, "unknown-action", "not an action in AWS's reference")
            continue
        tally.expanded_actions.update(r.name for r in references)
        if "NotAction" in statement:
            continue  # a NotAction statement's resources apply to every other action
        for resource in as_list(statement.get("Resource", [])):
            tally.resources += 1
            problem = _resource_problem(policy, str(resource), references, statement.get("Effect"))
            if problem:
                yield violation(str(pattern), str(resource), *problem)
        for operator, key, values in conditions:
            tally.condition_keys += 1
            problem = _condition_problem(operator, key, values, references)
            if problem:
                yield violation(str(pattern), None, *problem)


def _check_shape(policy: PolicyDocument, statement: Mapping[str, Any], violation: Any) -> Iterator[Violation]:
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield violation("-", None, "shape", f"Effect {statement.get('Effect')!r} is not Allow or Deny")
    if ("Action" in statement) == ("NotAction" in statement):
        yield violation("-", None, "shape", "a statement needs exactly one of Action and NotAction")
    has_resource = "Resource" in statement or "NotResource" in statement
    if policy.kind == TRUST and has_resource:
        yield violation("-", None, "shape", "a trust policy names no Resource")
    if policy.kind == IDENTITY and not has_resource:
        yield violation("-", None, "shape", "an identity policy statement needs a Resource")
    if policy.kind == IDENTITY and ("Principal" in statement or "NotPrincipal" in statement):
        yield violation("-", None, "shape", "an identity policy names no Principal")
    if policy.kind in (TRUST, RESOURCE) and "Principal" not in statement and "NotPrincipal" not in statement:
        yield violation("-", None, "shape", "a trust or resource policy statement needs a Principal")


def _resource_problem(
    policy: PolicyDocument, resource: str, references: Sequence[ActionReference], effect: Any = "Allow"
) -> tuple[str, str] | None:
    """Why no action of ``references`` can be authorised against ``resource``, if none can."""
    if resource == STAR and policy.kind == RESOURCE:
        if policy.attached_to is None:
            return None  # "*" is the policy's own resource, which the collector could not name
        resource = policy.attached_to
    if resource == STAR:
        # A Deny on "*" matches every resource the action is authorised against, ARN or "*":
        # broader is safer there. Only an Allow must stay on the ARNs it means.
        if effect == "Deny" or any(r.unscoped for r in references):
            return None
        return (
            "star-resource",
            f"{_describe(references)}: grant it on those ARNs, not on *",
        )
    fitting = [r for r in references if matching_types(resource, r)]
    if fitting:
        if all(_misses_authorised_log_group_form(resource, r) for r in fitting):
            return (
                "logs-arn-form",
                f"{fitting[0].name} is authorised against {authorised_log_group_format(fitting[0])}, "
                f"which {resource} never matches (CloudWatch Logs User Guide, CloudWatch Logs "
                "resources and operations)",
            )
        return None
    if all(r.unscoped for r in references):
        fix = (
            "a Deny on an ARN never applies to it: deny it on * (with a Condition on those keys)"
            if effect == "Deny"
            else "AWS denies it on an ARN; grant it on * with a Condition on those keys"
        )
        return ("resource-type", f"{_describe(references)}: AWS evaluates it against *; {fix}")
    return ("resource-type", f"matches no resource type: {_describe(references)}")


def authorised_log_group_format(reference: ActionReference) -> str | None:
    """The ARN format IAM evaluates a logs action on a log group against (LOG_GROUP_ARN_WITHOUT_STAR)."""
    for resource_type in reference.resource_types:
        if reference.name.startswith("logs:") and resource_type.name == LOG_GROUP_TYPE:
            star = "" if reference.name in LOG_GROUP_ARN_WITHOUT_STAR else ":*"
            return f"{resource_type.arn_format}{star}"
    return None


def _misses_authorised_log_group_form(resource: str, reference: ActionReference) -> bool:
    """A Resource that fits only the log-group type of ``reference`` but not the form IAM evaluates."""
    authorised = authorised_log_group_format(reference)
    if authorised is None or any(t.name != LOG_GROUP_TYPE for t in matching_types(resource, reference)):
        return False
    # The format's own "*" (log-group:NAME:*) is a literal character of the evaluated ARN.
    return not _overlap(_policy_tokens(resource), _tokens(authorised, wildcards=False, variables=True))


def _describe(references: Sequence[ActionReference]) -> str:
    if len(references) == 1:
        return references[0].describe_scope()
    return (
        f"none of the {len(references)} actions it expands to fits (first: {references[0].describe_scope()})"
    )


def _conditions(block: Mapping[str, Any]) -> Iterator[tuple[str, str, list[Any]]]:
    for operator, keys in block.items():
        for key, values in (keys or {}).items():
            yield str(operator), str(key), as_list(values)


def _condition_problem(
    operator: str, key: str, values: list[Any], references: Sequence[ActionReference]
) -> tuple[str, str] | None:
    if not any(key_valid_for(key, r) for r in references):
        keys = ", ".join(references[0].condition_keys) or "none"
        return ("condition-key", f"{key} is not a condition key of {references[0].name} (its keys: {keys})")
    key_type = condition_key_type(key)
    if key_type is None:
        return ("condition-key", f"{key} has no type in the reference")
    return _operator_problem(operator, key, key_type, values)


def _operator_problem(operator: str, key: str, key_type: str, values: list[Any]) -> tuple[str, str] | None:
    set_operator = next((p for p in SET_OPERATORS if operator.startswith(p)), "")
    base = operator[len(set_operator) :]
    if base.endswith(IF_EXISTS) and base != IF_EXISTS:
        base = base[: -len(IF_EXISTS)]
    family = next((name for name, members in OPERATOR_FAMILIES.items() if base in members), None)
    if family is None:
        return ("condition-operator", f"{operator} is not an IAM condition operator")
    if family == "Null":
        return _values_problem("Bool", key, values)
    multivalued = key_type.startswith("ArrayOf")
    scalar_type = key_type[len("ArrayOf") :] if multivalued else key_type
    if family not in FAMILIES_FOR_TYPE.get(scalar_type, frozenset()):
        return ("condition-operator", f"{operator} does not compare {key} ({key_type})")
    if multivalued and not set_operator:
        return ("condition-operator", f"{key} is multivalued ({key_type}): use ForAnyValue: or ForAllValues:")
    if set_operator and not multivalued:
        return ("condition-operator", f"{key} is single-valued ({key_type}): {set_operator} does not apply")
    return _values_problem("Arn" if family == "Arn" else scalar_type, key, values)


def _values_problem(value_type: str, key: str, values: list[Any]) -> tuple[str, str] | None:
    for value in values:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if value_type == "Bool" and text not in ("true", "false"):
            return ("condition-value", f"{key}: {value!r} is not true or false")
        if value_type == "Numeric" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
            return ("condition-value", f"{key}: {value!r} is not a number")
        if value_type in ("Arn", "ARN") and not (text.startswith("arn:") or text == STAR):
            return ("condition-value", f"{key}: {value!r} is not an ARN")
    return None


# -- evaluating Allow statements for one request (the least-privilege test) -----------------


def allow_statements_for(document: Mapping[str, Any], action_name: str) -> list[Mapping[str, Any]]:
    """The Allow statements whose Action names ``action_name`` (wildcards as IAM matches them)."""
    return [
        statement
        for statement in as_list(document.get("Statement", []))
        if statement.get("Effect") == "Allow"
        and any(_action_matches(p, action_name) for p in as_list(statement.get("Action", [])))
    ]


def allowing_statements(
    document: Mapping[str, Any], action_name: str, resource: str, context: Mapping[str, Sequence[str]]
) -> list[Mapping[str, Any]]:
    """The Allow statements that allow ``action_name`` on ``resource`` given request ``context``.

    A statement with a condition on a key absent from ``context`` does not allow the request
    (IAM treats the key as missing), so a test must supply every key it means to be scoped by.
    """
    return [
        statement
        for statement in allow_statements_for(document, action_name)
        if any(glob_matches(str(p), resource) for p in as_list(statement.get("Resource", [])))
        and all(
            _condition_holds(op, key, values, context)
            for op, key, values in _conditions(statement.get("Condition") or {})
        )
    ]


def _action_matches(pattern: str, action_name: str) -> bool:
    return re.fullmatch(_glob_regex(str(pattern).lower()), action_name.lower()) is not None


def _condition_holds(
    operator: str, key: str, wanted: list[Any], context: Mapping[str, Sequence[str]]
) -> bool:
    actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    if actual is None:
        return operator.endswith(IF_EXISTS)
    base = operator.split(":", 1)[-1].removesuffix(IF_EXISTS)
    if base in ("StringEquals", "ArnEquals"):
        return any(str(w) == a for w in wanted for a in actual)
    if base in ("StringLike", "ArnLike"):
        return any(glob_matches(str(w), a) for w in wanted for a in actual)
    if base == "StringEqualsIgnoreCase":
        return any(str(w).lower() == a.lower() for w in wanted for a in actual)
    raise ValueError(f"the least-privilege evaluator does not evaluate {operator} (key {key})")


# -- what a program run created -------------------------------------------------------------

# Which input of which resource type holds a policy, and of what kind. A policy-shaped input
# that this table does not name fails test_every_policy_document_is_known: nothing is skipped.
POLICY_INPUTS: Mapping[tuple[str, str], str] = {
    ("aws:iam/rolePolicy:RolePolicy", "policy"): IDENTITY,
    ("aws:iam/policy:Policy", "policy"): IDENTITY,
    ("aws:iam/userPolicy:UserPolicy", "policy"): IDENTITY,
    ("aws:iam/groupPolicy:GroupPolicy", "policy"): IDENTITY,
    ("aws:iam/role:Role", "assumeRolePolicy"): TRUST,
    ("aws:iam/role:Role", "inlinePolicies"): IDENTITY,
    ("aws:kms/key:Key", "policy"): RESOURCE,
    ("aws:sns/topic:Topic", "policy"): RESOURCE,
    ("aws:sns/topicPolicy:TopicPolicy", "policy"): RESOURCE,
    ("aws:sqs/queue:Queue", "policy"): RESOURCE,
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"): RESOURCE,
    ("aws:backup/vaultPolicy:VaultPolicy", "policy"): RESOURCE,
    ("aws:secretsmanager/secretPolicy:SecretPolicy", "policy"): RESOURCE,
    ("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"): RESOURCE,
    ("aws:lambda/permission:Permission", "policy"): RESOURCE,
}


def _as_document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str) and '"Statement"' in value:
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) and "Statement" in value else None


def _policy_shaped(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every policy document anywhere inside an input value, with where it sits."""
    document = _as_document(value)
    if document is not None:
        yield path, document
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _policy_shaped(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _policy_shaped(inner, f"{path}[{index}]")


def unknown_policy_inputs(run: ProgramRun) -> list[str]:
    """Policy documents in inputs that POLICY_INPUTS does not classify."""
    return [
        f"{resource.typ} {resource.name}: {where}"
        for resource in run.resources
        for key, value in resource.inputs.items()
        for where, _ in _policy_shaped(value, key)
        if (resource.typ, key) not in POLICY_INPUTS
    ]


def program_policies(run: ProgramRun) -> list[PolicyDocument]:
    """Every policy document the run created, classified by POLICY_INPUTS."""
    found = []
    for resource in run.resources:
        for key, value in resource.inputs.items():
            kind = POLICY_INPUTS.get((resource.typ, key))
            if kind is None:
                continue
            for where, document in _policy_shaped(value, key):
                found.append(
                    PolicyDocument(f"{resource.name}.{where}", kind, document, _attached_arn(resource, run))
                )
    return found


def _attached_arn(resource: Recorded, run: ProgramRun) -> str | None:
    """The ARN a resource policy's ``*`` means: the key, topic, queue... it is attached to."""
    inputs = resource.inputs
    if resource.typ in ("aws:kms/key:Key", "aws:sns/topic:Topic", "aws:sqs/queue:Queue"):
        return resource.outputs.get("arn")
    if resource.typ == "aws:sns/topicPolicy:TopicPolicy":
        return str(inputs["arn"])
    if resource.typ == "aws:sqs/queuePolicy:QueuePolicy":
        queues = run.of_type("aws:sqs/queue:Queue")
        return next(
            (q.outputs.get("arn") for q in queues if q.outputs.get("url") == inputs.get("queueUrl")), None
        )
    if resource.typ == "aws:backup/vaultPolicy:VaultPolicy":
        vaults = run.of_type("aws:backup/vault:Vault")
        name = inputs.get("backupVaultName")
        return next((v.outputs.get("arn") for v in vaults if v.inputs.get("name") == name), None)
    return None


def managed_policy_attachments(run: ProgramRun) -> list[tuple[str, str]]:
    """(role, policy ARN) of every managed policy the run attaches: their text is AWS's, not ours."""
    return [
        (str(r.inputs["role"]), str(r.inputs["policyArn"]))
        for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]


def check_all(policies: Iterable[PolicyDocument]) -> tuple[list[Violation], Tally]:
    violations: list[Violation] = []
    tally = Tally()
    for policy in policies:
        found, counted = check_document(policy)
        violations.extend(found)
        tally.add(counted)
    return violations, tally
