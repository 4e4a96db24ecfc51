"""Every name the program creates is one AWS accepts, for the longest values the stack config accepts.

The stack config computes the names it derives (stack_config/derived_names.py) and refuses a
config whose names AWS would refuse. This test does not trust that list: for each config key it
finds the longest value the config accepts (a binary search on ``platform_from_config``), runs
the real program under the mocks with it (and once with every key at its longest at once), and
checks every name and description the program hands AWS against the limits AWS publishes.

The limits come from AWS's own API models as botocore ships them (the ``min``/``max``/
``pattern`` of each request member), and, where the model carries none, from the API reference
(DOCUMENTED, each with its source). A resource type whose ``name``/``...Name`` inputs this table
does not classify fails the test, so a new resource cannot slip past it unchecked.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping

import botocore.session
import pytest

from stack_config import StackConfigError, platform_from_config
from tests.support.program_harness import PLATFORM_KEY, ProgramRun, Recorded, run_program, stack_config


@dataclass(frozen=True)
class Limit:
    max: int
    pattern: str | None = None  # the whole value must match (re.fullmatch)
    source: str = ""

    def problem(self, value: str) -> str | None:
        if len(value) > self.max:
            return f"{len(value)} characters, more than {self.max} ({self.source})"
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            return f"does not match {self.pattern} ({self.source})"
        return None


@lru_cache(maxsize=None)
def model(service: str, operation: str, member: str) -> Limit:
    """The constraint botocore's model of ``service`` puts on ``operation``'s request ``member``."""
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    for part in member.split("."):
        shape = shape.members[part.removesuffix("[]")]
        if part.endswith("[]"):
            shape = shape.member
    metadata = shape.metadata
    pattern = metadata.get("pattern")
    if pattern is not None:
        pattern = pattern.removeprefix("^").removesuffix("$")
    assert "max" in metadata or pattern, f"botocore has no limit for {service} {operation} {member}"
    limit = metadata.get("max", 10**6)
    return Limit(limit, pattern, f"{service} {operation} {member}, botocore's model")


# Where the API model has no limit: the API reference's own words.
DOCUMENTED: Mapping[str, Limit] = {
    "lambda-function-name": Limit(
        64,
        r"[a-zA-Z0-9\-_]+",
        'Lambda CreateFunction FunctionName: "If you specify only the function name, '
        'it is limited to 64 characters"',
    ),
    "sns-topic-name": Limit(
        256,
        r"[A-Za-z0-9_\-]+",
        "SNS CreateTopic Name: ASCII letters, numbers, underscores and hyphens, 1-256",
    ),
    "sns-display-name": Limit(100, r"[ -~]*", "CloudFormation AWS::SNS::Topic DisplayName: at most 100"),
    "sqs-queue-name": Limit(
        80, r"[A-Za-z0-9_\-]+", 'SQS CreateQueue QueueName: "A queue name can have up to 80 characters"'
    ),
    "backup-plan-name": Limit(
        50, r"[A-Za-z0-9\-_.]+", "AWS Backup BackupPlanInput BackupPlanName: 1 to 50 alphanumeric or '-_.'"
    ),
    "tag-key": Limit(128, None, "tag keys: 1-128 characters (Tagging AWS resources)"),
    "tag-value": Limit(256, None, "tag values: 0-256 characters (Tagging AWS resources)"),
    "metric-namespace": Limit(255, r"[ -~]+", "CloudWatch Namespace: ASCII, at most 255"),
}

# Every name-like input of every resource type the program creates: its limit, or None for a
# reference to a name created (and checked) elsewhere, or an input AWS does not limit by length.
NAME_INPUTS: Mapping[tuple[str, str], Callable[[], Limit] | None] = {
    ("aws:backup/plan:Plan", "name"): lambda: DOCUMENTED["backup-plan-name"],
    ("aws:backup/selection:Selection", "name"): lambda: model(
        "backup", "CreateBackupSelection", "BackupSelection.SelectionName"
    ),
    ("aws:backup/vault:Vault", "name"): lambda: model("backup", "CreateBackupVault", "BackupVaultName"),
    ("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "backupVaultName"): None,
    ("aws:backup/vaultNotifications:VaultNotifications", "backupVaultName"): None,
    ("aws:cfg/rule:Rule", "name"): lambda: model("config", "PutConfigRule", "ConfigRule.ConfigRuleName"),
    ("aws:cfg/rule:Rule", "description"): lambda: model("config", "PutConfigRule", "ConfigRule.Description"),
    ("aws:cloudwatch/compositeAlarm:CompositeAlarm", "alarmName"): lambda: model(
        "cloudwatch", "PutCompositeAlarm", "AlarmName"
    ),
    ("aws:cloudwatch/compositeAlarm:CompositeAlarm", "alarmDescription"): lambda: model(
        "cloudwatch", "PutCompositeAlarm", "AlarmDescription"
    ),
    ("aws:cloudwatch/eventRule:EventRule", "name"): lambda: model("events", "PutRule", "Name"),
    ("aws:cloudwatch/eventRule:EventRule", "description"): lambda: model("events", "PutRule", "Description"),
    ("aws:cloudwatch/eventTarget:EventTarget", "rule"): None,
    ("aws:cloudwatch/logGroup:LogGroup", "name"): lambda: model("logs", "CreateLogGroup", "logGroupName"),
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "name"): lambda: model(
        "logs", "PutMetricFilter", "filterName"
    ),
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "logGroupName"): lambda: model(
        "logs", "PutMetricFilter", "logGroupName"
    ),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"): lambda: model(
        "cloudwatch", "PutMetricAlarm", "AlarmName"
    ),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "alarmDescription"): lambda: model(
        "cloudwatch", "PutMetricAlarm", "AlarmDescription"
    ),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "namespace"): lambda: DOCUMENTED["metric-namespace"],
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "metricName"): lambda: model(
        "cloudwatch", "PutMetricAlarm", "MetricName"
    ),
    ("aws:iam/role:Role", "name"): lambda: model("iam", "CreateRole", "RoleName"),
    ("aws:iam/role:Role", "description"): lambda: model("iam", "CreateRole", "Description"),
    ("aws:iam/rolePolicy:RolePolicy", "name"): lambda: model("iam", "PutRolePolicy", "PolicyName"),
    ("aws:iam/rolePolicy:RolePolicy", "role"): None,
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role"): None,
    ("aws:kms/alias:Alias", "name"): lambda: model("kms", "CreateAlias", "AliasName"),
    ("aws:kms/key:Key", "description"): lambda: model("kms", "CreateKey", "Description"),
    ("aws:lambda/function:Function", "name"): lambda: DOCUMENTED["lambda-function-name"],
    ("aws:lambda/function:Function", "description"): lambda: model("lambda", "CreateFunction", "Description"),
    ("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "functionName"): None,
    ("aws:route53/healthCheck:HealthCheck", "fqdn"): lambda: model(
        "route53", "CreateHealthCheck", "HealthCheckConfig.FullyQualifiedDomainName"
    ),
    ("aws:route53/healthCheck:HealthCheck", "resourcePath"): lambda: model(
        "route53", "CreateHealthCheck", "HealthCheckConfig.ResourcePath"
    ),
    ("aws:scheduler/schedule:Schedule", "name"): lambda: model("scheduler", "CreateSchedule", "Name"),
    ("aws:scheduler/schedule:Schedule", "description"): lambda: model(
        "scheduler", "CreateSchedule", "Description"
    ),
    ("aws:sns/topic:Topic", "name"): lambda: DOCUMENTED["sns-topic-name"],
    ("aws:sns/topic:Topic", "displayName"): lambda: DOCUMENTED["sns-display-name"],
    ("aws:sqs/queue:Queue", "name"): lambda: DOCUMENTED["sqs-queue-name"],
}
# Inputs held inside a nested input: (type, outer key, inner key).
NESTED_INPUTS: Mapping[tuple[str, str, str], Callable[[], Limit]] = {
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "metricTransformation", "namespace"): lambda: model(
        "logs", "PutMetricFilter", "metricTransformations[].metricNamespace"
    ),
    ("aws:cloudwatch/logMetricFilter:LogMetricFilter", "metricTransformation", "name"): lambda: model(
        "logs", "PutMetricFilter", "metricTransformations[].metricName"
    ),
}
# IAM and STS quotas: "Role policy size: 10,240 characters" (all inline policies of a role,
# whitespace not counted); Lambda: "The total size of the environment variables can't exceed 4 KB".
ROLE_POLICY_AGGREGATE = 10_240
LAMBDA_ENVIRONMENT_BYTES = 4 * 1024


def _name_like(key: str) -> bool:
    return key == "name" or key.endswith("Name")


def unclassified_inputs(run: ProgramRun) -> list[str]:
    """Name-like string inputs of a resource type NAME_INPUTS does not know: they would go unchecked."""
    return sorted(
        {
            f"{r.typ}.{key}"
            for r in run.resources
            if r.custom
            for key, value in r.inputs.items()
            if isinstance(value, str) and _name_like(key) and (r.typ, key) not in NAME_INPUTS
        }
    )


def refusals(run: ProgramRun) -> list[str]:
    """Every input of ``run`` that AWS would refuse, by the limits above."""
    found = []
    for resource in run.resources:
        found += [
            f"{resource.typ} {resource.name}: {where} {problem}" for where, problem in _problems(resource)
        ]
    found += _policy_sizes(run) + _lambda_environments(run)
    return found


def _problems(resource: Recorded) -> Iterator[tuple[str, str]]:
    for key, value in resource.inputs.items():
        limit = NAME_INPUTS.get((resource.typ, key))
        if isinstance(value, str) and limit is not None and (problem := limit().problem(value)):
            yield f"{key} {value[:80]!r}", problem
        if isinstance(value, Mapping):
            for inner, text in value.items():
                nested = NESTED_INPUTS.get((resource.typ, key, str(inner)))
                if isinstance(text, str) and nested is not None and (problem := nested().problem(text)):
                    yield f"{key}.{inner} {text[:80]!r}", problem
    for tag_key, tag_value in (resource.inputs.get("tags") or {}).items():
        for limit, text in ((DOCUMENTED["tag-key"], str(tag_key)), (DOCUMENTED["tag-value"], str(tag_value))):
            if problem := limit.problem(text):
                yield f"tag {str(tag_key)[:40]!r}", problem


def _policy_sizes(run: ProgramRun) -> list[str]:
    sizes: dict[str, int] = {}
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        text = json.dumps(json.loads(policy.inputs["policy"]), separators=(",", ":"))
        sizes[str(policy.inputs["role"])] = sizes.get(str(policy.inputs["role"]), 0) + len(text)
    return [
        f"role {role}: inline policies of {size} characters, more than IAM's {ROLE_POLICY_AGGREGATE}"
        for role, size in sizes.items()
        if size > ROLE_POLICY_AGGREGATE
    ]


def _lambda_environments(run: ProgramRun) -> list[str]:
    found = []
    for function in run.of_type("aws:lambda/function:Function"):
        variables = (function.inputs.get("environment") or {}).get("variables") or {}
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in variables.items())
        if size > LAMBDA_ENVIRONMENT_BYTES:
            found.append(f"function {function.inputs['name']}: environment of {size} bytes, more than 4 KB")
    return found


# -- the longest value the stack config accepts, per key ------------------------------------------


@dataclass(frozen=True)
class ConfigKey:
    path: str  # under platform: "aurora.clusterId", "services[0].name"
    value: Callable[[int], str]  # a value of that many characters, valid in every other respect
    also: Callable[[dict[str, Any], str], None] | None = None  # keeps the rest of the config consistent


def _host(length: int) -> str:
    labels, left = [], length
    while left > 0:
        size = min(63, left if left <= 63 else left - 2)  # keep a final label of at least 2
        labels.append("h" * size)
        left -= size + 1
    return ".".join(labels)


def _audit_log_follows(platform: dict[str, Any], value: str) -> None:
    # The pre-flight check holds aurora.auditLogGroup to where RDS exports the audit log,
    # /aws/rds/cluster/<clusterId>/audit: the cluster id decides its length.
    platform["aurora"]["auditLogGroup"] = f"/aws/rds/cluster/{value}/audit"


def _give_a_health_check(platform: dict[str, Any], value: str) -> None:
    platform["services"][2]["healthCheckUrl"] = "https://orion.zelly.in/health"


def _set_master_secret(platform: dict[str, Any], value: str) -> None:
    platform["secrets"] = [
        value if s == platform["aurora"]["masterSecretId"] else s for s in platform["secrets"]
    ]


KEYS = (
    ConfigKey("cluster", lambda n: "c" * n),
    ConfigKey("environment", lambda n: "e" * n),
    ConfigKey("aurora.clusterId", lambda n: "a" * n, also=_audit_log_follows),
    ConfigKey("aurora.endpointParameter", lambda n: "/" + "p" * (n - 1)),
    ConfigKey("aurora.masterSecretId", lambda n: "m" * n, also=_set_master_secret),
    ConfigKey("notifications.topicPrefix", lambda n: "t" * n),
    # orion-backend: a web service the catalog pins no alarm to by name, given a public URL too.
    ConfigKey("services[2].name", lambda n: "s" * n, also=_give_a_health_check),
    ConfigKey("services[0].logGroup", lambda n: "/" + "l" * (n - 1)),
    ConfigKey("services[0].targetGroup", lambda n: "g" * n),
    ConfigKey("services[0].healthCheckUrl", lambda n: f"https://{_host(n - 9)}/h"),
    ConfigKey("services[1].healthCheckUrl", lambda n: "https://app.zelly.in/" + "p" * (n - 21)),
    ConfigKey("queues[0].name", lambda n: "q" * n),
    ConfigKey("cloudtrailLogGroup", lambda n: "/" + "c" * (n - 1)),
    ConfigKey("cloudtrailTrail", lambda n: "t" * n),
    ConfigKey("gameDay.scenario", lambda n: "p" * n),
)
SEARCH_UP_TO = 4096


def base_platform() -> dict[str, Any]:
    """Production's platform with every optional resource on (game day, a named trail)."""
    platform = copy.deepcopy(stack_config("production")[PLATFORM_KEY])
    platform["gameDay"]["enabled"] = True
    platform["cloudtrailTrail"] = "zelly-trail"
    return platform


def _at(platform: dict[str, Any], path: str) -> tuple[Any, str]:
    *parents, last = re.findall(r"[^.\[\]]+", path)
    node: Any = platform
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    return node, last


def with_value(platform: dict[str, Any], key: ConfigKey, length: int) -> dict[str, Any]:
    changed = copy.deepcopy(platform)
    value = key.value(length)
    if key.also is not None:
        key.also(changed, value)
    node, last = _at(changed, key.path)
    node[last] = value
    return changed


def accepted(platform: dict[str, Any]) -> bool:
    try:
        platform_from_config(platform)
    except StackConfigError:
        return False
    return True


def longest(platform: dict[str, Any], key: ConfigKey) -> int:
    """The longest value of ``key`` the stack config accepts (beside ``platform``'s other values)."""
    low, high = 0, SEARCH_UP_TO  # accepted(low) holds (0: the value as it is); find the last that does
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(with_value(platform, key, middle)):
            low = middle
        else:
            high = middle - 1
    assert low > 0, f"{key.path}: no length is accepted"
    return low


def run_with(platform: dict[str, Any]) -> ProgramRun:
    return run_program("production", lambda config: config.__setitem__(PLATFORM_KEY, platform))


@pytest.fixture(scope="module")
def longest_values() -> dict[str, int]:
    base = base_platform()
    return {key.path: longest(base, key) for key in KEYS}


@pytest.fixture(scope="module")
def runs_at_longest(longest_values) -> dict[str, tuple[list[str], ProgramRun]]:
    """Each key's program run with its value at its longest, several keys to a run: a key joins a
    run when the config accepts it beside the keys already there, each at its own longest, and
    every one of them still holds its value. Names only grow with the values they are built
    from, so a name AWS would refuse with one key at its longest is refused with others longer
    too; a refusal names its resource and value. A few runs of the program instead of one per key
    (~0.8 s of CPU each)."""
    groups: list[tuple[list[ConfigKey], dict[str, Any]]] = []
    for key in KEYS:
        for members, platform in groups:
            changed = with_value(platform, key, longest_values[key.path])
            if accepted(changed) and all(
                _value_at(changed, k) == k.value(longest_values[k.path]) for k in (*members, key)
            ):
                members.append(key)
                platform.clear()
                platform.update(changed)
                break
        else:
            groups.append(([key], with_value(base_platform(), key, longest_values[key.path])))
    runs = {}
    for members, platform in groups:
        run = run_with(platform)
        for key in members:
            runs[key.path] = ([k.path for k in members], run)
    return runs


def _value_at(platform: dict[str, Any], key: ConfigKey) -> Any:
    node, last = _at(platform, key.path)
    return node[last]


def test_the_programs_name_inputs_are_all_classified() -> None:
    assert unclassified_inputs(run_with(base_platform())) == []


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.path)
def test_every_name_fits_aws_with_a_config_value_at_its_longest(
    key: ConfigKey, longest_values, runs_at_longest
) -> None:
    length = longest_values[key.path]
    together, run = runs_at_longest[key.path]
    assert refusals(run) == [], f"{key.path} at {length} characters (run with {together} at their longest)"
    assert unclassified_inputs(run) == []


def test_every_name_fits_aws_with_every_config_value_at_its_longest_at_once() -> None:
    """Greedy, key after key: each the longest the config accepts beside the ones before it."""
    platform = base_platform()
    lengths = {}
    for key in KEYS:
        lengths[key.path] = longest(platform, key)
        platform = with_value(platform, key, lengths[key.path])
    assert refusals(run_with(platform)) == [], lengths


def test_the_search_reaches_the_limits_the_config_means(longest_values) -> None:
    """Anchors for the search itself: a key the names bind is bound by them, not by its own rule."""
    assert longest_values["aurora.clusterId"] == 37  # <id>-backups-copy, a backup vault: 50
    assert longest_values["cluster"] == 29  # <cluster>-runbook-rotate-db-credentials-role: 64
    assert longest_values["notifications.topicPrefix"] == 60  # <prefix>-pN-drill-subscriber queues: 80


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (
            "aurora.clusterId",
            "a" * 60,
            r"platform\.aurora\.clusterId: the backup vault name \(CreateBackupVault\) derived from it, "
            r"'a{60}-backups', is 68 characters; AWS allows at most 50",
        ),
        (
            "cluster",
            "c" * 30,
            r"platform\.cluster: the IAM role name \(CreateRole\) derived from it, "
            r"'c{30}-runbook-[a-z-]{21}-role', is 65 characters; AWS allows at most 64",
        ),
        (
            "environment",
            "e" * 90,
            r"platform\.environment: the SNS topic display name derived from it, .*at most 100",
        ),
    ],
)
def test_a_config_whose_names_aws_would_refuse_is_refused_in_one_line(path, value, expected) -> None:
    platform = base_platform()
    node, last = _at(platform, path)
    node[last] = value
    with pytest.raises(StackConfigError, match=f"^{expected}$") as refused:
        platform_from_config(platform)
    assert "\n" not in str(refused.value)
