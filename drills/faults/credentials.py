"""P0-C faults: a leaked IAM access key in use, and a leaked database master password."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from ..activities import fault
from ..context import DrillContext

DIGEST_KEY = "leaked_password_sha256"


def _plan_leaked_key(ctx: DrillContext, *, api_calls: int = 3) -> dict[str, Any]:
    return {"user": f"drill-leaked-{ctx.run_id[-4:]}-{ctx.run_id.split('-')[-2][-6:]}"}


def _undo_leaked_key(ctx: DrillContext, state: dict[str, Any]) -> str:
    iam = ctx.clients.iam
    user = state["user"]
    try:
        keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    except iam.exceptions.NoSuchEntityException:
        return f"drill user {user} does not exist (never created, or already deleted)"
    for key in keys:
        iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)
    return f"deleted drill user {user} and its {len(keys)} access key(s)"


@fault(
    "leaked-access-key",
    services={"iam", "sts"},
    plan=_plan_leaked_key,
    undo=_undo_leaked_key,
    outputs=("leaked_user", "leaked_access_key_id"),
)
def leaked_access_key(ctx: DrillContext, plan: dict[str, Any], *, api_calls: int = 3) -> dict[str, Any]:
    """Create a drill-only IAM user with an access key and make API calls with that key, as an
    attacker holding the leaked key would."""
    user = plan["user"]
    ctx.clients.iam.create_user(
        UserName=user, Tags=[{"Key": "incident-guardrails:drill", "Value": ctx.run_id}]
    )
    key = ctx.clients.iam.create_access_key(UserName=user)["AccessKey"]
    ctx.redactor.add(key["SecretAccessKey"])
    _use_key(ctx, key, api_calls)
    return {
        "user": user,
        "outputs": {"leaked_user": user, "leaked_access_key_id": key["AccessKeyId"]},
        "summary": f"user {user} holds access key {key['AccessKeyId']}, used for {api_calls} API calls",
    }


def _use_key(ctx: DrillContext, key: dict[str, str], api_calls: int) -> None:
    attacker = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=ctx.platform.region,
    )
    sts = attacker.client("sts", endpoint_url=ctx.target.endpoint_url)
    for _ in range(api_calls):
        sts.get_caller_identity()


def _undo_leaked_password(ctx: DrillContext, state: dict[str, Any]) -> str:
    return (
        "kept the rotated password: undoing a rotation would bring the leaked one back; "
        "the drill's seeded secret is disposable"
    )


def _plan_leaked_password(ctx: DrillContext) -> dict[str, Any]:
    return {}  # changes nothing in the target: only the drill's memory of the value


@fault(
    "leaked-db-password",
    services={"secretsmanager"},
    plan=_plan_leaked_password,
    undo=_undo_leaked_password,
    outputs=("leaked_secret_version",),
)
def leaked_db_password(ctx: DrillContext, plan: dict[str, Any]) -> dict[str, Any]:
    """Mark the Aurora master password as leaked: remember its version and a digest of it, so
    verification can prove it changed without keeping the value itself."""
    secret = ctx.clients.secretsmanager.get_secret_value(SecretId=ctx.platform.aurora.master_secret_id)
    password = json.loads(secret["SecretString"])["password"]
    ctx.redactor.add(password)
    ctx.memory[DIGEST_KEY] = hashlib.sha256(password.encode()).hexdigest()
    return {
        "outputs": {"leaked_secret_version": secret["VersionId"]},
        "summary": f"master password of {ctx.platform.aurora.cluster_id} (secret version "
        f"{secret['VersionId']}) is in the wrong hands",
    }
