"""What AWS authorises one recorded API call against: its resource ARNs and request context.

The resource types of the called action, their ARN formats and whether each is required come from
AWS's Service Authorization Reference (tests.support.iam_reference). Each format is filled with
the call's own parameters: ``ecs:UpdateService(cluster=c, service=s)`` is authorised against
``arn:aws:ecs:<region>:<account>:service/c/s``. An action with no resource type is authorised
against ``*`` and scoped by condition keys, which the request context carries
(``ecs:ListServices(cluster=c)`` has ``ecs:cluster`` = the cluster's ARN).

The one table kept here is which API parameter holds which ARN variable of the reference's
formats (PARAMETERS) and which condition key (CONTEXT). A parameter that holds a whole ARN is
matched against every format as it is. A required resource type no parameter names (the option
group a restore copies from its source) is reported, so the test can check that the policy
covers that type at all.

CloudWatch Logs is the one service whose requests do not carry the reference's ARN as written.
A log group has two ARNs, and the CloudWatch Logs User Guide ("CloudWatch Logs resources and
operations", iam-access-control-overview-cwl.html) says which one IAM evaluates: the ARN
without the trailing ``:*`` for TagResource, UntagResource and ListTagsForResource only, and
``log-group:NAME:*`` "for all other API actions" (DescribeLogGroups' ``arn`` field says the
same; the table is iam_reference.LOG_GROUP_ARN_WITHOUT_STAR). So FilterLogEvents on ``/x`` is authorised against ``...:log-group:/x:*``, which a
policy naming ``...:log-group:/x`` does not match. Actions on a stream (CreateLogStream,
PutLogEvents, GetLogEvents, DeleteLogStream) are authorised against
``...:log-group:NAME:log-stream:STREAM``, which the reference's log-stream format already is;
actions with no resource type (DescribeLogGroups, StopQuery) against ``*``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from tests.support.iam_reference import (
    LOG_GROUP_ARN_WITHOUT_STAR,
    STAR,
    ResourceType,
    action,
    arn_fits_format,
    fill_format,
)

# ARN variable of the reference's formats, by IAM service prefix and API parameter name.
PARAMETERS: Mapping[str, Mapping[str, str]] = {
    "ecs": {"cluster": "ClusterName", "service": "ServiceName", "services": "ServiceName"},
    "ec2": {"NetworkAclId": "NaclId"},
    "rds": {
        "DBClusterIdentifier": "DbClusterInstanceName",
        "SourceDBClusterIdentifier": "DbClusterInstanceName",
        "DBInstanceIdentifier": "DbInstanceName",
        "DBClusterSnapshotIdentifier": "ClusterSnapshotName",
        "SnapshotIdentifier": "ClusterSnapshotName",
        "DBSubnetGroupName": "SubnetGroupName",
        "DBClusterParameterGroupName": "ClusterParameterGroupName",
        "OptionGroupName": "OptionGroupName",
    },
    "ssm": {"Name": "ParameterNameWithoutLeadingSlash", "Path": "ParameterNameWithoutLeadingSlash"},
    "secretsmanager": {"SecretId": "SecretId"},
    "iam": {"UserName": "UserNameWithPath"},
    "logs": {
        "logGroupName": "LogGroupName",
        "logGroupNames": "LogGroupName",  # StartQuery
        "logGroupIdentifier": "LogGroupName",  # a name, or the group's ARN without ":*"
        "logGroupIdentifiers": "LogGroupName",
        "logStreamName": "LogStreamName",
    },
}
# Parameters that hold a whole ARN.
ARN_PARAMETERS = frozenset({"resourceArn", "TopicArn", "TargetGroupArn", "ResourceName"})
# Tags sent with a create call are authorised as AddTagsToResource on the resource it creates
# (tests/support/call_recording.py notes that action): which parameter names that resource.
TAGGED_ON_CREATE: Mapping[str, str] = {
    "RestoreDBClusterToPointInTime": "DBClusterIdentifier",
    "RestoreDBClusterFromSnapshot": "DBClusterIdentifier",
    "CreateDBInstance": "DBInstanceIdentifier",
    "CreateDBClusterSnapshot": "DBClusterSnapshotIdentifier",
}
# Secrets Manager appends "-" and six random characters to a secret's name in its ARN, which is
# what AWS authorises; any six characters stand for them here.
SECRET_SUFFIX = "-AbCdEf"


@dataclass(frozen=True)
class Where:
    account: str
    region: str
    partition: str = "aws"


# Request context keys the calls carry, from their parameters.
CONTEXT: Mapping[str, Callable[[Mapping[str, Any], Where], str | None]] = {
    "ecs:cluster": lambda params, where: _whole_arn(
        params.get("cluster"), f"arn:{where.partition}:ecs:{where.region}:{where.account}:cluster/"
    ),
}


def _whole_arn(value: Any, prefix: str) -> str | None:
    if not isinstance(value, str):
        return None
    return value if value.startswith("arn:") else f"{prefix}{value}"


@dataclass(frozen=True)
class Authorisation:
    """One IAM action of one call, as AWS evaluates it."""

    action: str
    operation: str
    resources: tuple[str, ...]  # the ARNs, or ("*",) for an action with no resource type
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required_types_unnamed: tuple[ResourceType, ...] = ()  # required, but no parameter names one

    def __str__(self) -> str:
        return f"{self.action} ({self.operation})"


class UnresolvedCallError(Exception):
    """The parameters name no resource of the action's types; PARAMETERS needs an entry."""


def authorisation(iam_action: str, operation: str, params: Mapping[str, Any], where: Where) -> Authorisation:
    reference = action(iam_action)
    if reference is None:
        raise UnresolvedCallError(f"{iam_action} is not in AWS's reference")
    context = {
        key: (value,) for key, derive in CONTEXT.items() if (value := derive(params, where)) is not None
    }
    if reference.unscoped:
        return Authorisation(reference.name, operation, (STAR,), context)
    prefix = iam_action.split(":", 1)[0]
    if iam_action.split(":", 1)[1] != operation and operation in TAGGED_ON_CREATE:
        params = {TAGGED_ON_CREATE[operation]: params[TAGGED_ON_CREATE[operation]]}
    variables, whole = _variables(prefix, params)
    resources: list[str] = []
    unnamed: list[ResourceType] = []
    for resource_type in reference.resource_types:
        arns = [arn for arn in whole if arn_fits_format(arn, resource_type.arn_format)]
        arns += _filled(resource_type.arn_format, variables, where)
        resources += arns
        if not arns and resource_type.required:
            unnamed.append(resource_type)
    if prefix == "logs":
        resources = [log_group_arn_form(reference.name, arn) for arn in resources]
    if not resources and not unnamed:
        raise UnresolvedCallError(
            f"{iam_action} ({operation}): no parameter of {sorted(params)} names a resource of "
            f"{reference.describe_scope()}; add it to tests/support/call_arns.py PARAMETERS"
        )
    return Authorisation(reference.name, operation, tuple(dict.fromkeys(resources)), context, tuple(unnamed))


def log_group_arn_form(iam_action: str, arn: str) -> str:
    """The form of a log group's ARN that IAM evaluates ``iam_action`` against (see the docstring)."""
    head, _, resource = arn.partition(":log-group:")
    if not resource or ":log-stream:" in resource:
        return arn  # not a log group's ARN, or a log stream's, which is used as it is
    bare = f"{head}:log-group:{resource.removesuffix(':*')}"
    return bare if _canonical(iam_action) in LOG_GROUP_ARN_WITHOUT_STAR else f"{bare}:*"


def _canonical(iam_action: str) -> str:
    found = action(iam_action)
    return found.name if found is not None else iam_action


def _variables(prefix: str, params: Mapping[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    variables: dict[str, list[str]] = {}
    whole: list[str] = []
    for name, value in params.items():
        values = [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        if name in ARN_PARAMETERS:
            whole += values
            continue
        variable = PARAMETERS.get(prefix, {}).get(name)
        if variable is None:
            continue
        for text in values:
            if prefix == "logs" and variable == "LogGroupName" and ":log-group:" in text:
                # logGroupIdentifier may be the group's ARN: its name fills the formats (a log
                # stream's ARN needs it), in this account and region.
                text = text.split(":log-group:", 1)[1].removesuffix(":*")
            if text.startswith("arn:"):
                whole.append(text)
            else:
                variables.setdefault(variable, []).append(_as_variable(prefix, variable, text))
    return variables, whole


def _as_variable(prefix: str, variable: str, text: str) -> str:
    if variable == "ParameterNameWithoutLeadingSlash":
        return text.lstrip("/")
    if prefix == "secretsmanager":
        return f"{text}{SECRET_SUFFIX}"
    return text


def _filled(arn_format: str, variables: Mapping[str, list[str]], where: Where) -> list[str]:
    """The format filled with every combination of the call's values; none if one is missing."""
    known = {
        "Partition": [where.partition],
        "Region": [where.region],
        "Account": [where.account],
        **variables,
    }
    names = list(dict.fromkeys(re.findall(r"\$\{([^}]*)\}", arn_format)))
    if any(name not in known for name in names):
        return []
    combinations = itertools.product(*(known[name] for name in names))
    filled = (fill_format(arn_format, dict(zip(names, combination))) for combination in combinations)
    return [arn for arn in filled if arn is not None]
