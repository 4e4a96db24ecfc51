"""Bring a target back to its state before a drill, by restoring first and deleting last.

Shared by the faults' undo and the undo of the procedure's mutating actions (drills/action_undo.py).
Each function is idempotent: it looks at the target, changes only what differs from the
recorded state, and says in one line what it did.
"""

from __future__ import annotations

from typing import Any

from runbook_actions import invoke
from runbook_actions.aws import desired_counts_parameter
from runbook_actions.constants import DEFAULT_STATE_PREFIX, TAG_PREFIX
from runbook_actions.exceptions import NotFoundError

from .context import DrillContext

INCIDENT_TAG = f"{TAG_PREFIX}:incident-id"


class RestoreError(RuntimeError):
    """The target could not be brought back; the journal entry stays open for ``recover``."""


def restore_recorded_counts(
    ctx: DrillContext, incident_id: str, cluster: str | None = None, state_prefix: str = DEFAULT_STATE_PREFIX
) -> str:
    """Every service back to the count stop-writes recorded for the incident, and only then the
    record removed: a record is never deleted while it is needed. restore-writes itself reads
    every service back before it reports ok, so its verdict is the check."""
    cluster = cluster or ctx.platform.cluster
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    arguments = {"cluster": cluster, "incident_id": incident_id, "state_prefix": state_prefix}
    try:
        result = invoke("restore-writes", ctx.clients, arguments)
    except NotFoundError as error:  # no record (writes never stopped), or no cluster left
        return f"nothing to bring back for {incident_id}: {error}"
    if not result.ok:
        raise RestoreError(
            f"services not back at their recorded counts ({result.details.get('note', 'restore-writes failed')}); "
            f"record {parameter} kept"
        )
    ctx.clients.ssm.delete_parameter(Name=parameter)
    restored = result.details.get("restored") or []
    return (
        f"{len(restored)} service(s) back at their recorded counts"
        if restored
        else "every service already at its recorded count"
    ) + f"; removed record {parameter}"


def restore_parameter(ctx: DrillContext, name: str, original: str) -> str:
    """Put an SSM parameter back to the value it held before the drill, and redeploy every
    service so running tasks read it again (they read it at start-up)."""
    current = ctx.clients.ssm.get_parameter(Name=name)["Parameter"]["Value"]
    if current == original:
        return f"{name} already holds its original value"
    ctx.clients.ssm.put_parameter(Name=name, Value=original, Type="String", Overwrite=True)
    result = invoke("redeploy-all", ctx.clients, {"cluster": ctx.platform.cluster})
    if not result.ok:
        raise RestoreError(f"{name} restored, but redeploying the services failed: {result.details}")
    return f"{name} holds its original value again; services redeployed to read it"


def tagged_for(tags: list[dict[str, str]], incident_id: str) -> bool:
    return {t["Key"]: t["Value"] for t in tags}.get(INCIDENT_TAG) == incident_id


def delete_restored_clusters(ctx: DrillContext, incident_id: str, only: str | None = None) -> list[str]:
    """Delete the clusters restored for this incident (tagged with it), never the original."""
    rds = ctx.clients.rds
    notes = []
    for cluster in rds.describe_db_clusters()["DBClusters"]:
        name = cluster["DBClusterIdentifier"]
        if (
            name.casefold() == ctx.platform.aurora.cluster_id.casefold()
            or (only is not None and name.casefold() != only.casefold())
            or not tagged_for(cluster.get("TagList", []), incident_id)
        ):
            continue
        for member in cluster.get("DBClusterMembers", []):
            _delete_instance(rds, member["DBInstanceIdentifier"])
        if cluster.get("DeletionProtection"):
            rds.modify_db_cluster(DBClusterIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
        notes.append(f"deleted restored cluster {name}")
    return notes


def _delete_instance(rds: Any, name: str) -> None:
    try:
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    except rds.exceptions.DBInstanceNotFoundFault:
        pass


def delete_incident_snapshots(ctx: DrillContext, incident_id: str) -> list[str]:
    """Delete the manual snapshots of the platform's cluster taken for this incident."""
    rds = ctx.clients.rds
    snapshots = rds.describe_db_cluster_snapshots(
        DBClusterIdentifier=ctx.platform.aurora.cluster_id, SnapshotType="manual"
    )["DBClusterSnapshots"]
    notes = []
    for snapshot in snapshots:
        tags = rds.list_tags_for_resource(ResourceName=snapshot["DBClusterSnapshotArn"])["TagList"]
        if tagged_for(tags, incident_id):
            rds.delete_db_cluster_snapshot(
                DBClusterSnapshotIdentifier=snapshot["DBClusterSnapshotIdentifier"]
            )
            notes.append(f"deleted snapshot {snapshot['DBClusterSnapshotIdentifier']}")
    return notes
