"""Run the real ``__main__.py`` under Pulumi's unit-test mocks and record what it registers.

Shared by tests/pulumi and tests/policy. Resources are built inside ``pulumi.runtime.test``,
so they are really registered; each run starts from fresh mocks and config.
"""

from __future__ import annotations

import copy
import hashlib
import json
import runpy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

import pulumi
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "__main__.py"
PROJECT = "incident-guardrails"
ACCOUNT = "123456789012"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci"
PLATFORM_KEY = f"{PROJECT}:platform"

# How the mocks invent the ARN AWS would return, per resource type.
_ARN_FORMATS: Mapping[str, str] = {
    "aws:sns/topic:Topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{region}:{account}:{name}",
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws:lambda/function:Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:cloudwatch/eventRule:EventRule": "arn:aws:events:{region}:{account}:rule/{name}",
    "aws:backup/vault:Vault": "arn:aws:backup:{region}:{account}:backup-vault:{name}",
    "aws:backup/plan:Plan": "arn:aws:backup:{region}:{account}:backup-plan:{id}",
}


@dataclass
class Recorded:
    """One resource as registered: its type token, logical name, inputs and mocked outputs."""

    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    urn: str
    custom: bool


@dataclass
class ProgramRun:
    stack: str
    resources: list[Recorded]
    exports: dict[str, Any]
    invokes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # the stack config the run used

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, **inputs: Any) -> Recorded:
        found = [r for r in self.of_type(typ) if all(r.inputs.get(k) == v for k, v in inputs.items())]
        assert len(found) == 1, f"expected one {typ} with {inputs}, found {len(found)}"
        return found[0]


# A test's own answer to an invoke: takes the invoke's arguments and the mocked account's answer,
# returns the answer to give, or ``lookup_fails(...)`` for an invoke the provider fails.
LookupAnswer = Callable[[Mapping[str, Any], dict[str, Any]], Any]


def lookup_fails(reason: str) -> LookupAnswer:
    """An invoke that fails as a provider's does (AWS found nothing, or refused): the program sees
    ``Exception("invoke of <token> failed: <reason> ()")`` and may handle it, as at preview."""
    return lambda _args, _answer: ({}, [("", reason)])


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(
        self,
        stack: str,
        region: str,
        platform: Mapping[str, Any] | None = None,
        lookups: Mapping[str, LookupAnswer] | None = None,
    ) -> None:
        self.stack = stack
        self.region = region
        self.platform = platform or {}
        self.lookups = dict(lookups or {})
        self.resources: list[Recorded] = []
        self.invokes: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = copy.deepcopy(dict(args.inputs))
        resource_id = f"{args.name}-id"
        physical = inputs.get("name") or inputs.get("alarmName") or args.name
        outputs = copy.deepcopy(inputs)
        arn_format = _ARN_FORMATS.get(args.typ)
        if arn_format:
            outputs["arn"] = arn_format.format(
                region=inputs.get("region") or self.region, account=ACCOUNT, name=physical, id=resource_id
            )
        if args.typ == "aws:sqs/queue:Queue":
            outputs["url"] = f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{physical}"
        if args.typ == "aws:kms/key:Key":
            outputs["keyId"] = resource_id
        urn = f"urn:pulumi:{self.stack}::{PROJECT}::{args.typ}::{args.name}"
        self.resources.append(Recorded(args.typ, args.name, inputs, outputs, urn, bool(args.custom)))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append(args.token)
        answer = self.answer(args)
        changed = self.lookups.get(args.token)
        return changed(args.args, answer) if changed else answer

    def answer(self, args: pulumi.runtime.MockCallArgs):
        """The mocked account's answer: the platform as the stack config describes it, every
        precondition of stack_config.preconditions holding."""
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": CALLER_ARN, "userId": "AROAEXAMPLE:ci", "id": ACCOUNT}
        if args.token == "aws:lb/getTargetGroup:getTargetGroup":
            name = args.args["name"]
            return {
                "arn": f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT}:targetgroup/{name}/0123456789abcdef",
                "arnSuffix": f"targetgroup/{name}/0123456789abcdef",
                "name": name,
                "loadBalancerArns": [self.load_balancer_arn(name)],
            }
        if args.token == "aws:lb/getLoadBalancer:getLoadBalancer":
            suffix = args.args["arn"].split(":", 5)[5].removeprefix("loadbalancer/")
            kind, name, _ = suffix.split("/")
            return {
                "arn": args.args["arn"],
                "arnSuffix": suffix,
                "name": name,
                "loadBalancerType": {"app": "application", "net": "network"}[kind],
            }
        if args.token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            return self.secret_version(args.args)
        if args.token == "aws:rds/getCluster:getCluster":
            cluster = args.args["clusterIdentifier"]
            return {
                "clusterIdentifier": cluster,
                "clusterResourceId": "cluster-ABCDEFGHIJKLMNOP",
                "arn": f"arn:aws:rds:{self.region}:{ACCOUNT}:cluster:{cluster}",
                "backupRetentionPeriod": max(
                    7, self.platform.get("aurora", {}).get("backupRetentionDays", 7)
                ),
                "deletionProtection": True,
                "enabledCloudwatchLogsExports": ["audit", "error"],
            }
        if args.token == "aws:ecs/getCluster:getCluster":
            name = args.args["clusterName"]
            return {
                "arn": f"arn:aws:ecs:{self.region}:{ACCOUNT}:cluster/{name}",
                "clusterName": name,
                "status": "ACTIVE",
                "settings": [{"name": "containerInsights", "value": "enabled"}],
            }
        if args.token == "aws:cloudwatch/getLogGroup:getLogGroup":
            name = args.args["name"]
            return {"arn": f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:{name}", "name": name}
        if args.token == "aws:cloudcontrol/getResource:getResource":
            assert args.args["typeName"] == "AWS::CloudTrail::Trail", args.args
            name = args.args["identifier"]
            return {
                "id": name,
                "identifier": name,
                "typeName": "AWS::CloudTrail::Trail",
                "properties": json.dumps(self.trail_properties(name)),
            }
        raise NotImplementedError(f"the mocks do not answer invoke {args.token}")

    def secret_version(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """GetSecretValue as AWS answers it: the secret string of the pager key secrets the stack
        names (any name or ARN), looked up in the secret's own region (an ARN elsewhere: not found)."""
        secret_id, region = args["secretId"], args.get("region") or self.region
        if secret_id.startswith("arn:") and secret_id.split(":")[3] != region:
            raise ValueError(f"ResourceNotFoundException: Secrets Manager can't find {secret_id} in {region}")
        name = secret_id.split(":secret:")[-1]
        return {
            "arn": secret_id
            if secret_id.startswith("arn:")
            else f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf",
            "id": f"{secret_id}|AWSCURRENT",
            "secretId": secret_id,
            "secretString": pager_key(secret_id),
            "versionId": "00000000-0000-0000-0000-000000000001",
            "versionStage": args.get("versionStage") or "AWSCURRENT",
            "versionStages": ["AWSCURRENT"],
            "region": region,
        }

    def trail_properties(self, name: str) -> dict[str, Any]:
        """The trail as Cloud Control reads it (AWS::CloudTrail::Trail): multi-Region, logging
        every management event to the stack's cloudtrailLogGroup."""
        group = self.platform.get("cloudtrailLogGroup", "/aws/cloudtrail/zelly")
        return {
            "TrailName": name,
            "Arn": f"arn:aws:cloudtrail:{self.region}:{ACCOUNT}:trail/{name}",
            "S3BucketName": f"{name}-logs",
            "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:{group}:*",
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}-to-logs",
            "IsLogging": True,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        }

    def load_balancer_arn(self, target_group: str) -> str:
        """The mocked account, as the guide describes it: storefront behind an NLB (Elastic IPs,
        Caddy doing TLS), every other web service behind one shared ALB."""
        kind, name = (
            ("net", f"zelly-{self.stack}-nlb")
            if "storefront" in target_group
            else ("app", f"zelly-{self.stack}")
        )
        return f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT}:loadbalancer/{kind}/{name}/fedcba9876543210"


def pager_key(secret_id: str) -> str:
    """The integration key the mocked account keeps in ``secret_id`` (32 hex digits, like PagerDuty's)."""
    return hashlib.sha256(secret_id.encode()).hexdigest()[:32]


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]


def run_program(
    stack: str,
    change: Callable[[dict[str, Any]], None] | None = None,
    lookups: Mapping[str, LookupAnswer] | None = None,
) -> ProgramRun:
    """Run ``__main__.py`` for ``stack``; ``change`` may edit the stack config first, and
    ``lookups`` change what the mocked account answers to an invoke (by token)."""
    config = copy.deepcopy(stack_config(stack))
    if change is not None:
        change(config)
    region = config["aws:region"]
    mocks = RecordingMocks(stack, region, config.get(PLATFORM_KEY), lookups)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    set_config(config)
    exports: dict[str, Any] = {}
    captured: dict[str, Any] = {}

    def capture(name: str, value: Any) -> None:
        captured[name] = value

    @pulumi.runtime.test
    def program():
        original = pulumi.export
        pulumi.export = capture  # the program calls pulumi.export(...) by attribute
        try:
            runpy.run_path(str(MAIN), run_name="__main__")
        finally:
            pulumi.export = original
        names = list(captured)
        return pulumi.Output.all(*[captured[n] for n in names]).apply(
            lambda values: exports.update(zip(names, values))
        )

    program()
    _attach_parented_urns(mocks.resources)
    return ProgramRun(stack, mocks.resources, exports, mocks.invokes, config)


def set_config(config: Mapping[str, Any]) -> None:
    """Make ``config`` the Pulumi config of this process, as the engine would pass it."""
    pulumi.runtime.set_all_config(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    )


def _attach_parented_urns(resources: list[Recorded]) -> None:
    """Replace the flat URNs with the mock monitor's, whose type part records the parent chain."""
    monitor = pulumi.runtime.settings.get_monitor()
    by_key = {}
    for urn in monitor.get_registered_resources():
        _, _, qualified_type, name = urn.split("::", 3)
        by_key[(qualified_type.split("$")[-1], name)] = urn
    for resource in resources:
        resource.urn = by_key.get((resource.typ, resource.name), resource.urn)


@lru_cache(maxsize=4)
def program_run(stack: str) -> ProgramRun:
    """The unmodified stack's run, computed once per test process."""
    return run_program(stack)


def statements(document: str) -> list[dict[str, Any]]:
    """The statements of a JSON policy document, as the program wrote it."""
    return json.loads(document)["Statement"]


def as_list(value: Any) -> list[Any]:
    """IAM allows a string or a list wherever a list is meant."""
    return list(value) if isinstance(value, (list, tuple)) else [value]
