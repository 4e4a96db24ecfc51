"""P0-B fault: data corruption at a known moment while writes keep flowing; and its clean-up."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

from runbook_actions.constants import DEFAULT_STATE_PREFIX, TAG_PREFIX
from runbook_actions.incident_state import desired_counts_parameter

from ..activities import fault
from ..context import DrillContext

CORRUPTING_STATEMENTS = (
    "QUERY admin@10.0.3.7 zelly UPDATE orders SET total_paise = 0 WHERE merchant_id > 0",
    "QUERY admin@10.0.3.7 zelly DELETE FROM order_items WHERE created_at < NOW()",
)
# How long the cluster must have held good data before the corruption, so that a restore
# point before it exists (a new emulated cluster is restorable only from its creation on).
GOOD_DATA_SECONDS = 2.0
MAX_WAIT_SECONDS = 30.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _wait_for_restorable_history(cluster: dict[str, Any]) -> None:
    earliest = cluster.get("EarliestRestorableTime") or cluster.get("ClusterCreateTime")
    if earliest is None:
        return
    wait = (earliest + timedelta(seconds=GOOD_DATA_SECONDS) - datetime.now(timezone.utc)).total_seconds()
    if wait > MAX_WAIT_SECONDS:
        raise RuntimeError(f"cluster restorable only from {_iso(earliest)}; refusing to wait {wait:.0f}s")
    if wait > 0:
        time.sleep(wait)


def _write_audit_lines(ctx: DrillContext, moment: datetime) -> None:
    group = ctx.platform.aurora.audit_log_group
    stream = f"drill/{ctx.run_id}"
    ctx.clients.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    at = int(moment.timestamp() * 1000)
    ctx.clients.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": at + i, "message": line} for i, line in enumerate(CORRUPTING_STATEMENTS)])


def _clean_up(ctx: DrillContext, state: dict[str, Any]) -> str:
    """Remove what the drill's procedure created for this incident, and point back at the
    original cluster: on a real staging account these would otherwise be left running."""
    notes = [_restore_endpoint(ctx, state["original_endpoint"]),
             *_delete_restored_clusters(ctx), *_delete_incident_snapshots(ctx),
             _delete_state_record(ctx)]
    return "; ".join(n for n in notes if n)


def _restore_endpoint(ctx: DrillContext, original: str) -> str:
    name = ctx.platform.aurora.endpoint_parameter
    if ctx.clients.ssm.get_parameter(Name=name)["Parameter"]["Value"] == original:
        return ""
    ctx.clients.ssm.put_parameter(Name=name, Value=original, Type="String", Overwrite=True)
    return f"{name} points at the original cluster again"


def _tagged_for_incident(tags: list[dict[str, str]], ctx: DrillContext) -> bool:
    return {t["Key"]: t["Value"] for t in tags}.get(f"{TAG_PREFIX}:incident-id") == ctx.incident_id


def _delete_restored_clusters(ctx: DrillContext) -> list[str]:
    rds = ctx.clients.rds
    notes = []
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        name = cluster["DBClusterIdentifier"]
        if name == ctx.platform.aurora.cluster_id or not _tagged_for_incident(cluster.get("TagList", []), ctx):
            continue
        for member in cluster.get("DBClusterMembers", []):
            rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
        if cluster.get("DeletionProtection"):
            rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        notes.append(f"deleted restored cluster {name}")
    return notes


def _delete_incident_snapshots(ctx: DrillContext) -> list[str]:
    rds = ctx.clients.rds
    snapshots = rds.describe_db_cluster_snapshots(
        DBClusterIdentifier=ctx.platform.aurora.cluster_id, SnapshotType="manual")["DBClusterSnapshots"]
    notes = []
    for snapshot in snapshots:
        tags = rds.list_tags_for_resource(ResourceName=snapshot["DBClusterSnapshotArn"])["TagList"]
        if _tagged_for_incident(tags, ctx):
            rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"])
            notes.append(f"deleted snapshot {snapshot['DBClusterSnapshotIdentifier']}")
    return notes


def _delete_state_record(ctx: DrillContext) -> str:
    name = desired_counts_parameter(DEFAULT_STATE_PREFIX, ctx.platform.cluster, ctx.incident_id)
    try:
        ctx.clients.ssm.delete_parameter(Name=name)
    except ctx.clients.ssm.exceptions.ParameterNotFound:
        return ""
    return f"deleted incident record {name}"


@fault("data-corruption", services={"rds", "logs", "ssm", "ecs"}, undo=_clean_up,
       outputs=("corruption_time", "restore_point", "restore_target"))
def data_corruption(ctx: DrillContext) -> dict[str, Any]:
    """Mark the moment of corruption (after at least GOOD_DATA_SECONDS of restorable history),
    write the corrupting statements to the audit log, and leave the services writing."""
    aurora = ctx.platform.aurora
    cluster = ctx.clients.rds.describe_db_clusters(DBClusterIdentifier=aurora.cluster_id)["DBClusters"][0]
    _wait_for_restorable_history(cluster)
    corruption = datetime.now(timezone.utc).replace(microsecond=0)
    _write_audit_lines(ctx, corruption)
    target = f"{aurora.cluster_id[:40]}-restore-{corruption:%H%M%S}"
    endpoint = ctx.clients.ssm.get_parameter(Name=aurora.endpoint_parameter)["Parameter"]["Value"]
    return {
        "original_endpoint": endpoint, "restore_target": target,
        "outputs": {"corruption_time": _iso(corruption),
                    "restore_point": _iso(corruption - timedelta(seconds=1)),
                    "restore_target": target},
        "summary": f"{len(CORRUPTING_STATEMENTS)} corrupting writes at {_iso(corruption)} on "
                   f"{aurora.cluster_id}; services keep writing"}
