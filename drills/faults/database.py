"""P0-B fault: data corruption at a known moment while writes keep flowing; and its clean-up."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from ..activities import fault
from ..context import DrillContext
from ..restorers import (
    delete_incident_snapshots,
    delete_restored_clusters,
    restore_parameter,
    restore_recorded_counts,
)

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


# How much of the source cluster id the restored cluster's id keeps: 35 + "-restore-HHMMSS-xxxx"
# is 55 characters, within restore-cluster's 56 (63 less its "-writer" instance suffix).
RESTORE_ID_HEAD = 35


def restore_target_name(cluster_id: str, moment: datetime, run_id: str) -> str:
    """The restored cluster's id: the source id cut to RESTORE_ID_HEAD, ``-restore-HHMMSS``, and
    four hex digits of the run, so two runs in one second never share a name (an emulator keeps a
    deleted cluster's automated snapshot, named after the cluster and the minute). A cut can end
    on a hyphen (``...x-`` + ``-restore`` is ``x--restore``, which RDS refuses: no two consecutive
    hyphens), so trailing hyphens are dropped after the cut; a valid source id starts with a
    letter, so something is always left."""
    run_tag = hashlib.sha256(run_id.encode()).hexdigest()[:4]
    return f"{cluster_id[:RESTORE_ID_HEAD].rstrip('-')}-restore-{moment:%H%M%S}-{run_tag}"


def _write_audit_lines(ctx: DrillContext, stream: str, moment: datetime) -> None:
    group = ctx.platform.aurora.audit_log_group
    ctx.clients.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    at = int(moment.timestamp() * 1000)
    ctx.clients.logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": at + i, "message": line} for i, line in enumerate(CORRUPTING_STATEMENTS)],
    )


def _plan(ctx: DrillContext) -> dict[str, Any]:
    aurora = ctx.platform.aurora
    return {
        "incident_id": ctx.incident_id,
        "audit_log_stream": f"drill/{ctx.run_id}",
        "endpoint_parameter": aurora.endpoint_parameter,
        "original_endpoint": ctx.clients.ssm.get_parameter(Name=aurora.endpoint_parameter)["Parameter"][
            "Value"
        ],
    }


def _clean_up(ctx: DrillContext, state: dict[str, Any]) -> str:
    """Whatever the responders (a script or people in a game day) did for the drill's incident,
    undone in the restoring order: services back at their recorded counts, the endpoint back
    at the original cluster; only then the restored clusters, snapshots and record removed."""
    incident = state["incident_id"]
    notes = [
        restore_recorded_counts(ctx, incident),
        restore_parameter(ctx, state["endpoint_parameter"], state["original_endpoint"]),
        *delete_restored_clusters(ctx, incident),
        *delete_incident_snapshots(ctx, incident),
        _delete_audit_stream(ctx, state["audit_log_stream"]),
    ]
    return "; ".join(n for n in notes if n)


def _delete_audit_stream(ctx: DrillContext, stream: str) -> str:
    try:
        ctx.clients.logs.delete_log_stream(
            logGroupName=ctx.platform.aurora.audit_log_group, logStreamName=stream
        )
    except ctx.clients.logs.exceptions.ResourceNotFoundException:
        return ""
    return f"deleted the corrupting statements' audit stream {stream}"


@fault(
    "data-corruption",
    services={"rds", "logs", "ssm", "ecs"},
    plan=_plan,
    undo=_clean_up,
    outputs=("corruption_time", "restore_point", "restore_target"),
)
def data_corruption(ctx: DrillContext, plan: dict[str, Any]) -> dict[str, Any]:
    """Mark the moment of corruption (after at least GOOD_DATA_SECONDS of restorable history),
    write the corrupting statements to the audit log, and leave the services writing."""
    aurora = ctx.platform.aurora
    cluster = ctx.clients.rds.describe_db_clusters(DBClusterIdentifier=aurora.cluster_id)["DBClusters"][0]
    _wait_for_restorable_history(cluster)
    corruption = datetime.now(timezone.utc).replace(microsecond=0)
    _write_audit_lines(ctx, plan["audit_log_stream"], corruption)
    target = restore_target_name(aurora.cluster_id, corruption, ctx.run_id)
    return {
        **plan,
        "restore_target": target,
        "outputs": {
            "corruption_time": _iso(corruption),
            "restore_point": _iso(corruption - timedelta(seconds=1)),
            "restore_target": target,
        },
        "summary": f"{len(CORRUPTING_STATEMENTS)} corrupting writes at {_iso(corruption)} on "
        f"{aurora.cluster_id}; services keep writing",
    }
