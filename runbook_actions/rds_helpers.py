"""Aurora look-ups, time parsing and a bounded wait, shared by the P0-B database actions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, cast

from .aws_errors import aws_call
from .exceptions import AwsCallError, InvalidArgumentError

# A Lambda runs for at most 900 s; waiting a little less lets the action still report what it
# saw. A rerun of the same command picks the wait up again (the actions are retry-safe).
DEFAULT_WAIT_SECONDS = 840
MAX_WAIT_SECONDS = 6 * 3600
POLL_SECONDS = 15
# States from which a cluster or snapshot will not become available without someone acting.
FAILED_STATUSES = frozenset(
    {
        "failed",
        "deleting",
        "incompatible-restore",
        "incompatible-parameters",
        "inaccessible-encryption-credentials",
        "incompatible-network",
        "stopped",
        "stopping",
    }
)


def utc_now() -> datetime:
    """The current time in UTC (one place, so tests can pin it)."""
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """``2026-11-26T03:00:00Z``-style UTC text, or None."""
    if moment is None:
        return None
    text = moment.astimezone(timezone.utc).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def parse_iso_time(flag: str, text: str) -> datetime:
    """Parse an ISO-8601 time that names its timezone (``Z`` or ``+05:30``); returns UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgumentError(
            f"{flag}: {text!r} is not an ISO-8601 time such as 2026-11-26T03:00:00Z"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A bare time is ambiguous between UTC and the on-call engineer's local time (IST):
        # a 5.5-hour mistake in a restore point is data loss, so ask instead of guessing.
        raise InvalidArgumentError(
            f"{flag}: {text!r} has no timezone; add Z for UTC or an offset such as +05:30"
        )
    return moment.astimezone(timezone.utc)


def find_db_cluster(rds: Any, cluster_id: str) -> dict[str, Any] | None:
    with aws_call(f"describing DB cluster {cluster_id}"):
        try:
            found = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
        except rds.exceptions.DBClusterNotFoundFault:
            return None
    return found[0] if found else None


def describe_db_cluster(rds: Any, cluster_id: str) -> dict[str, Any]:
    """The cluster's description; a missing cluster is a NotFoundError."""
    with aws_call(f"describing DB cluster {cluster_id}"):
        cluster: dict[str, Any] = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        return cluster


def find_cluster_snapshot(rds: Any, snapshot_id: str) -> dict[str, Any] | None:
    with aws_call(f"describing cluster snapshot {snapshot_id}"):
        try:
            found = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot_id)[
                "DBClusterSnapshots"
            ]
        except rds.exceptions.DBClusterSnapshotNotFoundFault:
            return None
    return found[0] if found else None


def writer_instance_id(cluster: dict[str, Any]) -> str | None:
    for member in cluster.get("DBClusterMembers") or []:
        if member.get("IsClusterWriter"):
            return cast(str, member["DBInstanceIdentifier"])
    return None


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource.get("TagList") or []}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@dataclass(frozen=True)
class WaitOutcome:
    status: str
    ready: bool
    waited_seconds: int


def wait_for_status(
    read_status: Callable[[], str],
    *,
    what: str,
    timeout_seconds: int,
    poll_seconds: float = POLL_SECONDS,
    ready: str = "available",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> WaitOutcome:
    """Poll until ``ready``, a failed state (AwsCallError) or the timeout (``ready=False``).

    A timeout is not an error: the resource is still being built, and the caller reports
    that a rerun will keep waiting.
    """
    started = clock()
    while True:
        status = read_status()
        waited = int(clock() - started)
        if status == ready:
            return WaitOutcome(status, True, waited)
        if status in FAILED_STATUSES:
            raise AwsCallError(f"{what} is {status!r}; it will not become {ready} on its own")
        remaining = timeout_seconds - (clock() - started)
        if remaining <= 0:
            return WaitOutcome(status, False, waited)
        sleep(min(poll_seconds, remaining))
