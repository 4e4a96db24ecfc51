"""P0-C probes: leaked keys inactive, the database password rotated, services redeployed after."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from runbook_actions.aws import describe_services

from ..activities import Check, probe
from ..context import DrillContext
from ..faults.credentials import DIGEST_KEY
from ..journal import STEP_OK


@probe("access-keys-inactive", services={"iam"})
def access_keys_inactive(ctx: DrillContext, *, user: str) -> Check:
    keys = ctx.clients.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    active = [k["AccessKeyId"] for k in keys if k["Status"] != "Inactive"]
    if not keys:
        return Check(False, f"{user} has no access keys to check")
    if active:
        return Check(False, f"{user} still has active keys: {', '.join(active)}")
    return Check(True, f"all {len(keys)} access keys of {user} are inactive")


@probe("db-password-rotated", services={"secretsmanager"})
def db_password_rotated(ctx: DrillContext) -> Check:
    """AWSCURRENT holds a new password and AWSPREVIOUS the leaked one (compared by digest)."""
    secret_id = ctx.platform.aurora.master_secret_id
    sm = ctx.clients.secretsmanager
    current = json.loads(sm.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")["SecretString"])
    previous = json.loads(sm.get_secret_value(SecretId=secret_id, VersionStage="AWSPREVIOUS")["SecretString"])
    ctx.redactor.add(current.get("password", ""))
    leaked = ctx.memory.get(DIGEST_KEY)
    problems = []
    if _digest(current.get("password", "")) == leaked:
        problems.append("AWSCURRENT still holds the leaked password")
    if _digest(previous.get("password", "")) != leaked:
        problems.append("AWSPREVIOUS does not hold the leaked password")
    if current.get("username") != ctx.platform.aurora.master_username:
        problems.append(f"username changed to {current.get('username')!r}")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(True, f"{secret_id}: new password is AWSCURRENT, the leaked one AWSPREVIOUS")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@probe("services-deployed-after", services={"ecs"})
def services_deployed_after(ctx: DrillContext, *, action: str) -> Check:
    """Every service's primary deployment started after the last successful ``action`` step."""
    done = [s.end for s in ctx.journal.timeline if s.ref == action and s.status == STEP_OK]
    if not done:
        return Check(False, f"no successful {action} step to compare with")
    after = done[-1]
    services = describe_services(ctx.clients.ecs, ctx.platform.cluster, list(ctx.platform.service_names))
    stale = []
    for service in services:
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        created = _as_utc(primary["createdAt"])
        if created < after:
            stale.append(f"{service['serviceName']} deployed {created[11:23]}")
    if stale:
        return Check(False, f"not redeployed after {action}: {'; '.join(stale)}")
    return Check(True, f"all {len(services)} services redeployed after {action} ({after[11:23]} UTC)")


def _as_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
