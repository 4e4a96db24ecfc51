"""Break-glass roles: named principals, MFA, one hour; every admin assumption pages P0."""

from __future__ import annotations

import json

from components import tags
from stack_config import Platform
from tests.support.program_harness import ACCOUNT, ProgramRun, as_list, statements

ROLE = "aws:iam/role:Role"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"


def _role(run: ProgramRun, platform: Platform, suffix: str):
    return run.one(ROLE, name=f"{platform.cluster}-{suffix}")


def test_both_roles_need_named_principals_mfa_and_at_most_an_hour(
    run: ProgramRun, stack_platform: Platform
) -> None:
    config = stack_platform.break_glass
    for suffix, principals in (
        ("break-glass-admin", config.admin_principals),
        ("investigator", config.investigators),
    ):
        role = _role(run, stack_platform, suffix)
        assert role.inputs["maxSessionDuration"] <= 3600
        [trust] = statements(role.inputs["assumeRolePolicy"])
        assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
        assert sorted(as_list(trust["Principal"]["AWS"])) == sorted(
            f"arn:aws:iam::{ACCOUNT}:{p}" for p in principals
        )
        assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
        assert int(trust["Condition"]["NumericLessThanEquals"]["aws:MultiFactorAuthAge"]) <= 3600


def test_admin_is_administrator_and_investigator_read_only(run: ProgramRun, stack_platform: Platform) -> None:
    attachments = {
        (a.inputs["role"], a.inputs["policyArn"])
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert (
        f"{stack_platform.cluster}-break-glass-admin",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ) in attachments
    assert (f"{stack_platform.cluster}-investigator", "arn:aws:iam::aws:policy/ReadOnlyAccess") in attachments


def test_the_admin_cannot_silence_its_own_page(run: ProgramRun, stack_platform: Platform) -> None:
    guard = run.one("aws:iam/rolePolicy:RolePolicy", name="keep-break-glass-visible")
    assert guard.inputs["role"] == f"{stack_platform.cluster}-break-glass-admin"
    denied = {
        action for s in statements(guard.inputs["policy"]) if s["Effect"] == "Deny" for action in s["Action"]
    }
    assert {"events:DisableRule", "events:DeleteRule", "iam:UpdateAssumeRolePolicy"} <= denied


def test_assuming_the_admin_role_pages_the_p0_topic(run: ProgramRun, stack_platform: Platform) -> None:
    admin = _role(run, stack_platform, "break-glass-admin")
    rule = run.one(RULE, name=f"{stack_platform.cluster}-break-glass-assumed")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["eventName"] == ["AssumeRole"]
    assert pattern["detail"]["requestParameters"]["roleArn"] == [admin.outputs["arn"]]
    target = run.one(TARGET, rule=rule.inputs["name"])
    p0 = next(t for t in run.of_type("aws:sns/topic:Topic") if t.inputs["tags"][tags.SEVERITY] == "P0")
    assert target.inputs["arn"] == p0.outputs["arn"]
    assert "<who>" in target.inputs["inputTransformer"]["inputTemplate"]


def test_global_endpoint_events_are_forwarded_from_us_east_1(
    run: ProgramRun, stack_platform: Platform
) -> None:
    forward = run.one(RULE, name=f"{stack_platform.cluster}-break-glass-assumed-forward")
    assert forward.inputs["region"] == "us-east-1"
    target = run.one(TARGET, rule=forward.inputs["name"])
    bus = f"arn:aws:events:{stack_platform.region}:{ACCOUNT}:event-bus/default"
    assert target.inputs["arn"] == bus and target.inputs["region"] == "us-east-1"
    role = next(r for r in run.of_type(ROLE) if r.outputs["arn"] == target.inputs["roleArn"])
    policy = run.one("aws:iam/rolePolicy:RolePolicy", role=role.inputs["name"])
    assert statements(policy.inputs["policy"]) == [
        {"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [bus], "Sid": "ForwardToPlatformBus"}
    ]
