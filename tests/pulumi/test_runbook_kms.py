"""Issue 12 item 7: restore and rotation can use the customer-managed keys, and only through RDS
and Secrets Manager.

With a cluster or a secret encrypted under a customer-managed key, the service calls KMS in the
caller's name, so the caller needs KMS permissions on that key (Aurora User Guide, "AWS KMS key
management", authorizing use of a customer managed key: kms:CreateGrant and kms:DescribeKey to
create Aurora resources with it; Secrets Manager User Guide, "Secret encryption and decryption",
permissions for the KMS key: kms:GenerateDataKey to encrypt a new value, kms:Decrypt to read
one). The stack config names the keys (``aurora.kmsKeyArn``, ``aurora.masterSecretKmsKeyArn``);
without them the AWS-managed keys (aws/rds, aws/secretsmanager) need no grant.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

import pytest

from components.arns import AwsAccount
from components.resource_scope import service_endpoint
from components.runbook_iam import RunbookFunctionNames, action_policy
from runbook_actions import all_actions
from stack_config import StackConfigError, load_platform, platform_from_config
from tests.support.iam_reference import allowing_statements, check_all, program_policies
from tests.support.program_harness import ACCOUNT, PLATFORM_KEY, ProgramRun, run_program, stack_config

STACKS = ("production", "staging")
REGION = "ap-south-1"
CLUSTER_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRET_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
KMS_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey")

# The calls that make a service use a customer-managed key in the caller's name: (service, key,
# the KMS actions it calls), from the two guides named above.
ON_BEHALF: Mapping[str, tuple[str, str, tuple[str, ...]]] = {
    "rds:RestoreDBClusterToPointInTime": ("rds", CLUSTER_KEY, ("kms:CreateGrant", "kms:DescribeKey")),
    "rds:RestoreDBClusterFromSnapshot": ("rds", CLUSTER_KEY, ("kms:CreateGrant", "kms:DescribeKey")),
    "rds:CreateDBInstance": ("rds", CLUSTER_KEY, ("kms:CreateGrant", "kms:DescribeKey")),
    "secretsmanager:GetSecretValue": ("secretsmanager", SECRET_KEY, ("kms:Decrypt",)),
    "secretsmanager:PutSecretValue": ("secretsmanager", SECRET_KEY, ("kms:GenerateDataKey", "kms:Decrypt")),
}


def with_keys(config: dict[str, Any]) -> None:
    config[PLATFORM_KEY]["aurora"].update(kmsKeyArn=CLUSTER_KEY, masterSecretKmsKeyArn=SECRET_KEY)


@pytest.fixture(scope="module", params=STACKS)
def keyed_run(request: pytest.FixtureRequest) -> ProgramRun:
    return run_program(request.param, change=with_keys)


def role_policies(run: ProgramRun) -> dict[str, dict[str, Any]]:
    """Each runbook action's role policy, by action name."""
    cluster = run.config[PLATFORM_KEY]["cluster"]
    return {
        name: json.loads(
            run.one("aws:iam/rolePolicy:RolePolicy", role=f"{cluster}-runbook-{name}-role").inputs["policy"]
        )
        for name in all_actions()
    }


def own_calls(name: str) -> set[str]:
    return {api for grant in all_actions()[name].iam if not grant.on_behalf for api in grant.actions}


def via(service: str) -> dict[str, tuple[str, ...]]:
    return {"kms:ViaService": (f"{service}.{REGION}.amazonaws.com",)}


def test_each_call_that_uses_a_key_may_use_it_through_its_service_only(keyed_run: ProgramRun) -> None:
    needed = 0
    for name, policy in role_policies(keyed_run).items():
        for call in sorted(own_calls(name) & set(ON_BEHALF)):
            service, key, kms_actions = ON_BEHALF[call]
            for kms_action in kms_actions:
                needed += 1
                assert allowing_statements(policy, kms_action, key, via(service)), (
                    name,
                    call,
                    kms_action,
                    key,
                )
                assert not allowing_statements(policy, kms_action, key, {}), (
                    name,
                    kms_action,
                    "without ViaService",
                )
                other = "secretsmanager" if service == "rds" else "rds"
                assert not allowing_statements(policy, kms_action, key, via(other)), (name, kms_action, other)
    assert needed >= 4  # restore-cluster and rotate-db-credentials both need their key


def test_no_other_role_and_no_other_kms_action_reaches_the_keys(keyed_run: ProgramRun) -> None:
    for name, policy in role_policies(keyed_run).items():
        allowed = {
            (kms_action, key)
            for call in own_calls(name) & set(ON_BEHALF)
            for kms_action in ON_BEHALF[call][2]
            for key in [ON_BEHALF[call][1]]
        }
        for kms_action in KMS_ACTIONS:
            for key in (CLUSTER_KEY, SECRET_KEY):
                if (kms_action, key) in allowed:
                    continue
                for service in ("rds", "secretsmanager"):
                    assert not allowing_statements(policy, kms_action, key, via(service)), (
                        name,
                        kms_action,
                        key,
                    )


def test_the_key_grants_follow_the_service_authorization_reference(keyed_run: ProgramRun) -> None:
    violations, tally = check_all(program_policies(keyed_run))
    assert [str(v) for v in violations if v.policy.startswith("runbook-")] == []
    assert set(KMS_ACTIONS) <= tally.expanded_actions


@pytest.mark.parametrize("stack", STACKS)
def test_without_keys_no_role_gets_a_key_grant(stack: str) -> None:
    platform = load_platform(stack)
    platform = dataclasses.replace(
        platform,
        aurora=dataclasses.replace(platform.aurora, kms_key_arn=None, master_secret_kms_key_arn=None),
    )
    account = AwsAccount(ACCOUNT, platform.region)
    for name, action in all_actions().items():
        policy = json.loads(action_policy(action, platform, account, RunbookFunctionNames.of(platform, name)))
        for statement in policy["Statement"]:
            if statement.get("Sid") != "EncryptForTopics":  # the topics' key, by its alias
                assert not set(statement["Action"]) & set(KMS_ACTIONS), (name, statement)


def test_the_via_service_value_is_the_services_regional_endpoint() -> None:
    assert service_endpoint("rds", AwsAccount(ACCOUNT, REGION)) == f"rds.{REGION}.amazonaws.com"
    assert service_endpoint("rds", AwsAccount(ACCOUNT, "cn-north-1", "aws-cn")) == (
        "rds.cn-north-1.amazonaws.com.cn"
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("kmsKeyArn", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aurora", "not an alias"),
        ("kmsKeyArn", "1234abcd-12ab-34cd-56ef-1234567890ab", "KMS key ARN"),
        ("masterSecretKmsKeyArn", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/abc", "own region"),
    ],
)
def test_the_stack_config_refuses_what_is_not_a_key_of_the_platforms_region(
    field: str, value: str, message: str
) -> None:
    data = stack_config("production")[PLATFORM_KEY]
    data["aurora"][field] = value
    with pytest.raises(StackConfigError, match=message):
        platform_from_config(data)
