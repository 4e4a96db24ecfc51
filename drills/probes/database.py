"""P0-B probes: the Aurora cluster's health, stopped writes, the restored cluster, the cut-over."""

from __future__ import annotations

from typing import Any

from runbook_actions.aws import describe_services
from runbook_actions.constants import TAG_PREFIX

from ..activities import Check, probe
from ..context import DrillContext

ORIGINAL = "aurora_original"


def _cluster(ctx: DrillContext, name: str) -> dict[str, Any] | None:
    rds = ctx.clients.rds
    try:
        return rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    except rds.exceptions.DBClusterNotFoundFault:
        return None


@probe("db-cluster-healthy", services={"rds"})
def db_cluster_healthy(ctx: DrillContext) -> Check:
    """The production cluster is available, protected and keeps backups long enough; later
    calls also require it to be the very cluster first seen (not restored or replaced in place)."""
    aurora = ctx.platform.aurora
    cluster = _cluster(ctx, aurora.cluster_id)
    if cluster is None:
        return Check(False, f"{aurora.cluster_id} does not exist")
    identity = {
        "created": str(cluster.get("ClusterCreateTime")),
        "endpoint": cluster.get("Endpoint"),
        "resource_id": cluster.get("DbClusterResourceId"),
    }
    first = ctx.memory.setdefault(ORIGINAL, identity)
    problems = [
        f"{key} changed from {first[key]} to {identity[key]}"
        for key in identity
        if identity[key] != first[key]
    ]
    if cluster.get("Status") != "available":
        problems.append(f"status is {cluster.get('Status')}")
    if not cluster.get("DeletionProtection"):
        problems.append("deletion protection is off")
    if cluster.get("BackupRetentionPeriod", 0) < aurora.backup_retention_days:
        problems.append(
            f"backup retention {cluster.get('BackupRetentionPeriod')} days < {aurora.backup_retention_days}"
        )
    if problems:
        return Check(False, f"{aurora.cluster_id}: " + "; ".join(problems))
    return Check(True, f"{aurora.cluster_id} available, protected, the same cluster as before")


@probe("writes-stopped", services={"ecs"})
def writes_stopped(ctx: DrillContext) -> Check:
    services = describe_services(ctx.clients.ecs, ctx.platform.cluster, list(ctx.platform.service_names))
    writing = [f"{s['serviceName']} desired {s['desiredCount']}" for s in services if s["desiredCount"]]
    if writing:
        return Check(False, "still writing: " + "; ".join(writing))
    return Check(True, f"all {len(services)} services at desired 0")


@probe("db-cluster-restored", services={"rds"})
def db_cluster_restored(ctx: DrillContext, *, cluster: str, before: str) -> Check:
    """``cluster`` is a new, available cluster with a writer, restored for this incident to a
    point before ``before`` (an ISO time)."""
    found = _cluster(ctx, cluster)
    if found is None:
        return Check(False, f"{cluster} does not exist")
    tags = {t["Key"]: t["Value"] for t in found.get("TagList", [])}
    point = tags.get(f"{TAG_PREFIX}:restore-point", "")
    problems = []
    if cluster == ctx.platform.aurora.cluster_id:
        problems.append("restored in place over the production cluster")
    if found.get("Status") != "available":
        problems.append(f"status {found.get('Status')}")
    if not any(m.get("IsClusterWriter") for m in found.get("DBClusterMembers", [])):
        problems.append("no writer instance")
    if tags.get(f"{TAG_PREFIX}:incident-id") != ctx.incident_id:
        problems.append(f"not tagged with incident {ctx.incident_id}")
    if not point or point >= before:
        problems.append(f"restore point {point or 'unknown'} is not before {before}")
    if problems:
        return Check(False, f"{cluster}: " + "; ".join(problems))
    return Check(True, f"{cluster} available with a writer, restored to {point} (before {before})")


@probe("endpoint-parameter-points-to", services={"ssm", "rds"})
def endpoint_parameter_points_to(ctx: DrillContext, *, cluster: str) -> Check:
    name = ctx.platform.aurora.endpoint_parameter
    value = ctx.clients.ssm.get_parameter(Name=name)["Parameter"]["Value"]
    found = _cluster(ctx, cluster)
    expected = found.get("Endpoint") if found else None
    if value != expected:
        return Check(False, f"{name} holds {value}, not {cluster}'s endpoint {expected}")
    return Check(True, f"{name} points at {cluster}")
