"""Safety compares identities the way AWS does, not as exact strings.

RDS stores DB cluster identifiers in lower case, so ``Zelly-Aurora-Production`` *is* the
production cluster; account ids are 12 ASCII digits; ARNs are parsed, not matched as text. The
identities are injected: STS is never called.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from stack_config import PROJECT_ROOT
from targets.safety import (
    AwsDrillRequest,
    CallerIdentity,
    ProductionMarkers,
    UnsafeTargetError,
    aws_refusals,
    check_stack_may_be_drilled,
    parse_arn,
    production_markers,
    stack_refusals,
)
from tests.support.platform_names import CLUSTER, DB
from tests.support.safety_cases import ALLOWED_STAGING, MARKERS, PRODUCTION_ACCOUNT, STAGING, STAGING_ACCOUNT

ALLOWED = ALLOWED_STAGING


def _request(
    platform=ALLOWED,
    account: object = STAGING_ACCOUNT,
    confirm: object = STAGING_ACCOUNT,
    arn: str | None = None,
    markers: ProductionMarkers = MARKERS,
) -> AwsDrillRequest:
    identity = CallerIdentity(account, arn or f"arn:aws:iam::{STAGING_ACCOUNT}:user/game-day")
    return AwsDrillRequest(identity, "staging", platform, confirm, markers)


def _aurora(cluster_id: str):
    return dataclasses.replace(ALLOWED, aurora=dataclasses.replace(ALLOWED.aurora, cluster_id=cluster_id))


@pytest.mark.parametrize(
    "aurora_id",
    [
        "Zelly-Aurora-Production",
        "ZELLY-AURORA-PRODUCTION",
        f"arn:aws:rds:ap-south-1:999999999999:cluster:{DB}",
        "arn:aws:rds:ap-south-1:111111111111:cluster:ZELLY-aurora-production",
    ],
)
def test_the_production_aurora_cluster_in_other_letter_case_is_refused(aurora_id: str) -> None:
    refusals = aws_refusals(_request(_aurora(aurora_id)))
    assert refusals and refusals[0].startswith(
        f"refused: Aurora cluster {aurora_id!r} of stack 'staging' is a production stack's cluster"
    )


@pytest.mark.parametrize(
    "cluster",
    ["Zelly-Production", "zelly-PRODUCTION", f"arn:aws:ecs:ap-south-1:111111111111:cluster/{CLUSTER}"],
)
def test_the_production_ecs_cluster_by_another_spelling_is_refused(cluster: str) -> None:
    refusals = aws_refusals(_request(dataclasses.replace(ALLOWED, cluster=cluster)))
    assert refusals and refusals[0].startswith(f"refused: ECS cluster {cluster!r} of stack 'staging'")


def test_a_cluster_arn_in_a_production_account_is_refused_whatever_its_name() -> None:
    cluster = f"arn:aws:ecs:ap-south-1:999999999999:cluster/{STAGING.cluster}"
    refusals = aws_refusals(_request(dataclasses.replace(ALLOWED, cluster=cluster)))
    assert refusals[0] == (
        f"refused: ECS cluster {cluster!r} of stack 'staging' is in AWS account "
        "999999999999, which is marked production"
    )


def test_production_markers_written_in_other_case_still_match() -> None:
    markers = dataclasses.replace(MARKERS, clusters=frozenset({"Zelly-Aurora-Production"}))
    refusals = aws_refusals(_request(_aurora(DB), markers=markers))
    assert refusals[0].startswith(f"refused: Aurora cluster '{DB}'")


@pytest.mark.parametrize("account", [f" {STAGING_ACCOUNT}", f"{STAGING_ACCOUNT}\n"])
def test_account_ids_with_surrounding_space_compare_equal(account: str) -> None:
    assert aws_refusals(_request(account=account, confirm=account)) == []
    allowed = dataclasses.replace(
        ALLOWED, drills=dataclasses.replace(ALLOWED.drills, allowed_accounts=(account,)), account_id=account
    )
    assert aws_refusals(_request(allowed)) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("account", 111111111111),
        ("account", "1111-1111-1111"),
        ("account", "١١١١١١١١١١١١"),
        ("confirm", 111111111111),
        ("account_id", "11111111111"),
        ("account_id", 111111111111),
        ("allowed", "１１１１１１１１１１１１"),
        ("production", " 99999999999"),
    ],
    ids=[
        "int identity",
        "dashed identity",
        "arabic-indic digits",
        "int confirmation",
        "11-digit stack account",
        "int stack account",
        "fullwidth allowlist",
        "short production",
    ],
)
def test_malformed_account_ids_are_refused_not_compared(field: str, value: object) -> None:
    platform, markers, kwargs = ALLOWED, MARKERS, {}
    if field in ("account", "confirm"):
        kwargs[field] = value
    elif field == "account_id":
        platform = dataclasses.replace(ALLOWED, account_id=value)
    elif field == "allowed":
        platform = dataclasses.replace(
            ALLOWED, drills=dataclasses.replace(ALLOWED.drills, allowed_accounts=(STAGING_ACCOUNT, value))
        )
    else:
        markers = dataclasses.replace(MARKERS, accounts=frozenset({PRODUCTION_ACCOUNT, value}))
    refusals = aws_refusals(_request(platform, markers=markers, **kwargs))
    assert refusals, f"{value!r} was accepted as an account id"
    assert f"{value!r} is not a 12-digit AWS account id" in refusals[0]
    assert all("\n" not in reason for reason in refusals)


def test_a_production_account_with_surrounding_space_in_the_markers_is_still_production() -> None:
    markers = dataclasses.replace(MARKERS, accounts=frozenset({f" {STAGING_ACCOUNT} "}))
    assert aws_refusals(_request(markers=markers))[0].startswith(
        f"refused: AWS account {STAGING_ACCOUNT} is marked production"
    )


@pytest.mark.parametrize(
    "arn, message",
    [
        (
            "arn:aws:iam::222222222222:user/game-day",
            "refused: STS says account 111111111111 but the caller's ARN "
            "'arn:aws:iam::222222222222:user/game-day' is in account 222222222222",
        ),
        (
            "not-an-arn",
            "refused: the caller's ARN 'not-an-arn' is not an ARN "
            "(arn:partition:service:region:account:resource)",
        ),
    ],
)
def test_the_callers_arn_must_agree_with_its_account(arn: str, message: str) -> None:
    assert aws_refusals(_request(arn=arn))[0] == message


def test_arns_are_parsed_into_their_parts() -> None:
    arn = parse_arn("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/a:b")
    assert (arn.partition, arn.service, arn.region, arn.account, arn.resource) == (
        "aws-cn",
        "ecs",
        "cn-north-1",
        "123456789012",
        "cluster/a:b",
    )
    assert arn.resource_name == "a:b"
    assert parse_arn("arn:aws:rds:ap-south-1:123456789012:cluster:zelly").resource_name == "zelly"
    assert parse_arn("arn:aws:ecs:ap-south-1:123456789012") is None
    assert parse_arn("zelly-production") is None


def _project_without(tmp_path: Path, *missing: str) -> Path:
    for path in PROJECT_ROOT.glob("Pulumi*.yaml"):
        if path.name not in missing:
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_aws_is_refused_when_no_stack_is_marked_production(tmp_path: Path) -> None:
    markers = production_markers(_project_without(tmp_path, "Pulumi.production.yaml"))
    assert markers.stacks == frozenset()
    refusals = stack_refusals("staging", ALLOWED, markers)
    assert refusals[0] == (
        "refused: no stack config is marked production (Pulumi.production.yaml "
        "is missing or lacks production: true), so --target aws cannot tell "
        "production apart; restore it before drilling a real account"
    )
    with pytest.raises(UnsafeTargetError, match="no stack config is marked production"):
        check_stack_may_be_drilled("staging", ALLOWED, markers)
    assert aws_refusals(_request(markers=markers))[0] == refusals[0]
