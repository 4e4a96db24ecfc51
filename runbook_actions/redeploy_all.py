"""Force a new deployment of every service so they pick up rotated secrets (guide P0-C).

ECS injects secrets when a task starts, so after a rotation every service needs new tasks.
Services are redeployed in parallel; one failing does not stop the others, and the result says
which failed (``ok`` is false then).

With --secret-ids the redeploy is tied to those secrets' current versions: each redeployed
service is tagged with them and with the deployment started, so a rerun skips services already
redeployed for those versions and only retries the rest. A secret with an unfinished rotation
(an AWSPENDING version) is refused: the services would start with the old value. Without
secret ids every run redeploys every chosen service. The ids are deliberately not taken from
ZELLY_DB_SECRET_ID: a later redeploy for some other secret would then skip every service.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from .action import Action, ActionResult, IamCondition, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, SERVICES
from .constants import TAG_PREFIX
from .ecs_helpers import describe_services, list_service_names
from .exceptions import RefusedError, RunbookError
from .fanout import fan_out, paced
from .params import Param

NAME = "redeploy-all"
TAG_FOR = f"{TAG_PREFIX}:redeploy-for"
TAG_DEPLOYMENT = f"{TAG_PREFIX}:redeploy-deployment"
TAG_AT = f"{TAG_PREFIX}:redeploy-at"


def redeploy_all(
    clients: AwsClients,
    *,
    cluster: str,
    services: list[str] | None = None,
    secret_ids: list[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> ActionResult:
    ecs = paced(clients.ecs)  # 2-3 ECS calls per service: keep them within ECS's rate limits
    described = describe_services(ecs, cluster, services or list_service_names(ecs, cluster))
    versions = _current_versions(clients.secretsmanager, secret_ids or [], force)
    key = _redeploy_key(versions) if versions else None
    reports = fan_out(lambda service: _service_report(ecs, cluster, service, key, force, dry_run), described)
    details: dict[str, Any] = {
        "cluster": cluster,
        "secret_versions": versions,
        "services": reports,
        "summary": _summary(reports, dry_run),
    }
    if dry_run:
        details["would_change"] = bool(details["summary"]["would_redeploy"])
    changed = any(report.get("redeployed") for report in reports)
    ok = all(report["ok"] for report in reports)
    return ActionResult(NAME, ok=ok, changed=changed, dry_run=dry_run, details=details)


def _current_versions(sm: Any, secret_ids: list[str], force: bool) -> dict[str, str]:
    """The AWSCURRENT version id of each secret; refuses a secret with a rotation in flight."""
    versions: dict[str, str] = {}
    for secret_id in secret_ids:
        with aws_call(f"describing secret {secret_id}"):
            stages = sm.describe_secret(SecretId=secret_id).get("VersionIdsToStages") or {}
        current = next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)
        pending = next(
            (v for v, labels in stages.items() if "AWSPENDING" in labels and "AWSCURRENT" not in labels), None
        )
        if current is None:
            raise RefusedError(f"secret {secret_id} has no AWSCURRENT version")
        if pending is not None and not force:
            raise RefusedError(
                f"secret {secret_id} has an unfinished rotation (AWSPENDING "
                f"version {pending}); services would start with the old value. "
                f"Finish it (rerun rotate-db-credentials) or pass --force"
            )
        versions[secret_id] = current
    return versions


def _redeploy_key(versions: dict[str, str]) -> str:
    # A tag value holds at most 256 characters, so record a digest of the versions.
    text = "|".join(f"{secret}@{version}" for secret, version in sorted(versions.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _service_report(
    ecs: Any, cluster: str, service: dict[str, Any], key: str | None, force: bool, dry_run: bool
) -> dict[str, Any]:
    name = service["serviceName"]
    report: dict[str, Any] = {
        "service": name,
        "ok": True,
        "redeployed": False,
        "deployment_before": _primary_deployment(service),
    }
    try:
        if key and not force and _already_redeployed(ecs, service, key):
            return {**report, "skipped": "already redeployed for these secret versions"}
        if dry_run:
            return {**report, "would_redeploy": True}
        report.update(redeployed=True, deployment_after=_force_deployment(ecs, cluster, name))
        if key:
            _record(ecs, service["serviceArn"], key, report["deployment_after"])
    except RunbookError as error:
        report.update(ok=False, error=str(error))
    return report


def _primary_deployment(service: dict[str, Any]) -> str | None:
    return next((d["id"] for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def _already_redeployed(ecs: Any, service: dict[str, Any], key: str) -> bool:
    """Tagged for these versions, and the deployment recorded then is still the primary one."""
    with aws_call(f"reading the redeploy record of {service['serviceName']}"):
        listed = ecs.list_tags_for_resource(resourceArn=service["serviceArn"])["tags"]
    tags = {tag["key"]: tag["value"] for tag in listed}
    return tags.get(TAG_FOR) == key and tags.get(TAG_DEPLOYMENT) == _primary_deployment(service)


def _force_deployment(ecs: Any, cluster: str, name: str) -> str | None:
    with aws_call(f"forcing a new deployment of {name}"):
        updated = ecs.update_service(cluster=cluster, service=name, forceNewDeployment=True)
    return _primary_deployment(updated["service"])


def _record(ecs: Any, service_arn: str, key: str, deployment: str | None) -> None:
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with aws_call("recording the redeploy on the service (the redeploy itself was started)"):
        ecs.tag_resource(
            resourceArn=service_arn,
            tags=[
                {"key": TAG_FOR, "value": key},
                {"key": TAG_DEPLOYMENT, "value": deployment or "?"},
                {"key": TAG_AT, "value": at},
            ],
        )


def _summary(reports: list[dict[str, Any]], dry_run: bool) -> dict[str, list[str]]:
    summary = {
        "redeployed": [r["service"] for r in reports if r["redeployed"]],
        "skipped": [r["service"] for r in reports if r.get("skipped")],
        "failed": [r["service"] for r in reports if not r["ok"]],
    }
    if dry_run:
        summary["would_redeploy"] = [r["service"] for r in reports if r.get("would_redeploy")]
    return summary


ACTION = Action(
    name=NAME,
    summary="Force a new deployment of every service (in parallel) to pick up rotated secrets.",
    params=(
        CLUSTER,
        SERVICES,
        Param(
            "secret_ids",
            str,
            "secrets the services must pick up; a rerun skips services "
            "already redeployed for their current versions",
            multiple=True,
            pattern=r"[A-Za-z0-9/_+=.@:\-]{1,1024}",
        ),
        Param(
            "force",
            bool,
            "redeploy even services already redeployed for these versions, "
            "and despite an unfinished rotation",
            default=False,
        ),
    ),
    run=redeploy_all,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(
            ("ecs:DescribeServices", "ecs:UpdateService", "ecs:ListTagsForResource", "ecs:TagResource"),
            "ecs-cluster-services",
        ),
        IamGrant(("secretsmanager:DescribeSecret",), "secret"),
    ),
    mutating=True,
)
