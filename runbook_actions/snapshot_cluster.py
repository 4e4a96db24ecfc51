"""Take the guide's emergency Aurora snapshot, ``emergency-YYYYMMDD-HHMM`` (UTC), and wait for it.

Retry-safe within the minute: a snapshot of that name already taken of the same cluster is
reused and reported (and waited for), never an error. One of that name belonging to another
cluster is refused. A retry in a later minute takes a second snapshot, which is harmless.
The wait is bounded; when it runs out the result says so (ok=false) and rerunning the same
command in the same minute keeps waiting on the same snapshot.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import DB_CLUSTER, INCIDENT_ID
from .constants import TAG_PREFIX
from .exceptions import RefusedError
from .params import Param
from .rds_helpers import (
    DEFAULT_WAIT_SECONDS,
    MAX_WAIT_SECONDS,
    describe_db_cluster,
    find_cluster_snapshot,
    iso,
    tag_list,
    utc_now,
    wait_for_status,
)

NAME = "snapshot-cluster"
SNAPSHOT_PREFIX = "emergency"

WAIT_TIMEOUT = Param(
    "wait_timeout_seconds",
    int,
    "give up waiting for 'available' after this long (rerun to keep waiting)",
    default=DEFAULT_WAIT_SECONDS,
    minimum=0,
    maximum=MAX_WAIT_SECONDS,
)


def snapshot_name(moment: datetime) -> str:
    """The guide's ``emergency-$(date +%Y%m%d-%H%M)``, in UTC whatever the host's timezone."""
    return f"{SNAPSHOT_PREFIX}-{moment:%Y%m%d-%H%M}"


def snapshot_cluster(
    clients: AwsClients,
    *,
    db_cluster: str,
    incident_id: str | None = None,
    wait_timeout_seconds: int = DEFAULT_WAIT_SECONDS,
    dry_run: bool = False,
) -> ActionResult:
    rds = clients.rds
    cluster = describe_db_cluster(rds, db_cluster)
    name = snapshot_name(utc_now())
    existing = _own_snapshot(find_cluster_snapshot(rds, name), db_cluster)
    details: dict[str, Any] = {
        "db_cluster": db_cluster,
        "cluster_status": cluster.get("Status"),
        "snapshot": name,
        "reused": existing is not None,
    }
    if dry_run:
        plan = {"would_create_snapshot": name} if existing is None else {}
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={**details, **plan, "would_change": existing is None},
        )
    created = existing is None and _create(rds, db_cluster, name, incident_id)
    if existing is None and not created:
        # Another run created it between our look-up and our create: reuse it like a retry.
        _own_snapshot(find_cluster_snapshot(rds, name), db_cluster)
        details["reused"] = True
    outcome = wait_for_status(
        lambda: _status(rds, name), what=f"cluster snapshot {name}", timeout_seconds=wait_timeout_seconds
    )
    details.update(_describe(find_cluster_snapshot(rds, name) or {}), waited_seconds=outcome.waited_seconds)
    if not outcome.ready:
        details["note"] = (
            f"snapshot is still {outcome.status}; rerun within the same minute, or "
            f"watch {name} with backup-status"
        )
    return ActionResult(NAME, ok=outcome.ready, changed=created, dry_run=False, details=details)


def _own_snapshot(snapshot: dict[str, Any] | None, db_cluster: str) -> dict[str, Any] | None:
    if snapshot is not None and snapshot.get("DBClusterIdentifier") != db_cluster:
        raise RefusedError(
            f"snapshot {snapshot['DBClusterSnapshotIdentifier']} already exists "
            f"but belongs to cluster {snapshot.get('DBClusterIdentifier')}, "
            f"not {db_cluster}; retry in the next minute"
        )
    return snapshot


def _create(rds: Any, db_cluster: str, name: str, incident_id: str | None) -> bool:
    """Create the snapshot; False if one of that name appeared meanwhile."""
    tags = {f"{TAG_PREFIX}:created-by": NAME}
    if incident_id:
        tags[f"{TAG_PREFIX}:incident-id"] = incident_id
    with aws_call(f"creating cluster snapshot {name} of {db_cluster}"):
        try:
            rds.create_db_cluster_snapshot(
                DBClusterIdentifier=db_cluster, DBClusterSnapshotIdentifier=name, Tags=tag_list(tags)
            )
        except rds.exceptions.DBClusterSnapshotAlreadyExistsFault:
            return False
    return True


def _status(rds: Any, name: str) -> str:
    snapshot = find_cluster_snapshot(rds, name)
    return snapshot.get("Status", "unknown") if snapshot else "missing"


def _describe(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": snapshot.get("Status"),
        "snapshot_arn": snapshot.get("DBClusterSnapshotArn"),
        "snapshot_create_time": iso(snapshot.get("SnapshotCreateTime")),
        "percent_progress": snapshot.get("PercentProgress"),
    }


ACTION = Action(
    name=NAME,
    summary="Take an emergency-YYYYMMDD-HHMM (UTC) cluster snapshot and wait until it is available.",
    params=(
        DB_CLUSTER,
        dataclasses.replace(
            INCIDENT_ID, required=False, help="incident id to tag the snapshot with (optional)"
        ),
        WAIT_TIMEOUT,
    ),
    run=snapshot_cluster,
    iam=(
        IamGrant(("rds:DescribeDBClusters", "rds:CreateDBClusterSnapshot"), "rds-cluster"),
        IamGrant(
            ("rds:CreateDBClusterSnapshot", "rds:DescribeDBClusterSnapshots", "rds:AddTagsToResource"),
            "rds-cluster-snapshot",
        ),
    ),
    mutating=True,
)
