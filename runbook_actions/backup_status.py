"""What can the Aurora cluster be restored to? Retention, restorable window and recent snapshots.

The guide promises that "the restoration point can be any second in the last 7 days". That
holds only if retention is at least 7 days, *and* the cluster has kept backups that long, and
never for the last few minutes (LatestRestorableTime trails the present). This action reports
each of those so the promise can be checked before it is relied on: ``retention_ok``,
``window_ok`` (the earliest restorable time is at least the minimum number of days ago) and
``latest_restorable_lag_seconds``. Shortfalls are warnings; the action itself still succeeds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import DB_CLUSTER
from .params import Param
from .rds_helpers import describe_db_cluster, iso, utc_now

NAME = "backup-status"
DEFAULT_MIN_RETENTION_DAYS = 7  # the guide's "any second in the last 7 days"
# Aurora trims old backups continuously, so with exactly 7 days' retention the earliest
# restorable time hovers right at "7 days ago"; an hour's slack keeps the check from flapping.
# (Not verifiable against moto, whose earliest restorable time is the cluster's creation.)
WINDOW_TOLERANCE_DAYS = 1 / 24


def backup_status(
    clients: AwsClients,
    *,
    db_cluster: str,
    min_retention_days: int = DEFAULT_MIN_RETENTION_DAYS,
    max_snapshots: int = 10,
    dry_run: bool = False,
) -> ActionResult:
    cluster = describe_db_cluster(clients.rds, db_cluster)
    retention = int(cluster.get("BackupRetentionPeriod") or 0)
    window = _window(cluster.get("EarliestRestorableTime"), cluster.get("LatestRestorableTime"))
    snapshots = _recent_snapshots(clients.rds, db_cluster)
    retention_ok = retention >= min_retention_days
    window_ok = window.get("reaches_back_days", 0) >= min_retention_days - WINDOW_TOLERANCE_DAYS
    details = {
        "db_cluster": db_cluster,
        "status": cluster.get("Status"),
        "deletion_protection": cluster.get("DeletionProtection"),
        "backup_retention_days": retention,
        "min_retention_days": min_retention_days,
        "retention_ok": retention_ok,
        "restorable_window": window,
        "window_ok": window_ok,
        "snapshot_count": len(snapshots),
        "recent_snapshots": [_summary(s) for s in snapshots[:max_snapshots]],
        "warnings": _warnings(retention, retention_ok, window, window_ok, min_retention_days),
    }
    return ActionResult(NAME, ok=True, changed=False, dry_run=dry_run, details=details)


def _window(earliest: datetime | None, latest: datetime | None) -> dict[str, Any]:
    if earliest is None or latest is None:
        return {"earliest": iso(earliest), "latest": iso(latest)}
    now = utc_now()
    return {
        "earliest": iso(earliest),
        "latest": iso(latest),
        "reaches_back_days": round((now - earliest) / timedelta(days=1), 3),
        "span_days": round((latest - earliest) / timedelta(days=1), 3),
        # The newest minutes are not restorable yet: "any second" stops this far short of now.
        "latest_restorable_lag_seconds": max(0, int((now - latest).total_seconds())),
    }


def _recent_snapshots(rds: Any, db_cluster: str) -> list[dict[str, Any]]:
    """Automated and manual snapshots of the cluster, newest first."""
    found: list[dict[str, Any]] = []
    with aws_call(f"listing snapshots of {db_cluster}"):
        for page in rds.get_paginator("describe_db_cluster_snapshots").paginate(
            DBClusterIdentifier=db_cluster
        ):
            found.extend(page["DBClusterSnapshots"])
    # A snapshot still being created may not carry a creation time yet: it is the newest.
    newest = utc_now()
    return sorted(found, key=lambda s: s.get("SnapshotCreateTime") or newest, reverse=True)


def _summary(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": snapshot["DBClusterSnapshotIdentifier"],
        "type": snapshot.get("SnapshotType"),
        "status": snapshot.get("Status"),
        "created": iso(snapshot.get("SnapshotCreateTime")),
        "percent_progress": snapshot.get("PercentProgress"),
    }


def _warnings(
    retention: int, retention_ok: bool, window: dict[str, Any], window_ok: bool, min_days: int
) -> list[str]:
    warnings = []
    if not retention_ok:
        warnings.append(
            f"backup retention is {retention} days, below the minimum {min_days}: "
            f"points older than {retention} days cannot be restored"
        )
    if "reaches_back_days" not in window:
        warnings.append("the cluster reports no restorable window: point-in-time restore is not possible")
    elif not window_ok:
        warnings.append(
            f"the restorable window reaches back only {window['reaches_back_days']} "
            f"days (to {window['earliest']}), not {min_days}"
        )
    return warnings


ACTION = Action(
    name=NAME,
    summary="Backup retention, restorable window and recent snapshots of an Aurora cluster.",
    params=(
        DB_CLUSTER,
        Param(
            "min_retention_days",
            int,
            "warn when retention or the restorable window is shorter than this",
            default=DEFAULT_MIN_RETENTION_DAYS,
            minimum=1,
            maximum=35,
        ),
        Param("max_snapshots", int, "snapshots to list, newest first", default=10, minimum=0, maximum=100),
    ),
    run=backup_status,
    iam=(
        IamGrant(("rds:DescribeDBClusters", "rds:DescribeDBClusterSnapshots"), "rds-cluster"),
        IamGrant(("rds:DescribeDBClusterSnapshots",), "rds-cluster-snapshot"),
    ),
    mutating=False,
)
