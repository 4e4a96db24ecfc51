"""Restore the Aurora cluster into a NEW cluster (the guide: never restore production in place).

Exactly one restore point: ``--restore-time`` (ISO-8601 with a timezone, checked against the
source's restorable window here because emulators do not check it), ``--latest`` or
``--snapshot`` (a snapshot of the source). The new cluster copies the source's network,
parameter group, port, log exports and deletion protection: a plain restore would land in
the default security group, unreachable by the services. It is tagged with the incident,
the source and the restore point.

Aurora restores create no DB instance, and a cluster without one accepts no connections, so
a writer instance ``<target>-writer`` is added, of ``--instance-class`` or else the source
writer's class; without either the result warns and cutover will refuse the cluster.

Retry-safe: a target that an earlier run created for the same incident, source and restore
point is resumed (waited for, writer added) instead of refused; any other existing target is
refused. Waits are bounded; when they run out the result says so and a rerun keeps waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from .action import Action, ActionResult, IamCondition, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import DB_CLUSTER_ID, INCIDENT_ID
from .constants import ENV_DB_CLUSTER, TAG_PREFIX
from .exceptions import InvalidArgumentError, NotFoundError, RefusedError
from .params import Param
from .rds_helpers import (
    DEFAULT_WAIT_SECONDS,
    describe_db_cluster,
    find_cluster_snapshot,
    find_db_cluster,
    iso,
    parse_iso_time,
    tag_list,
    tags_of,
    wait_for_status,
    writer_instance_id,
)
from .snapshot_cluster import WAIT_TIMEOUT

NAME = "restore-cluster"
TAG_CREATED_BY = f"{TAG_PREFIX}:created-by"
TAG_INCIDENT = f"{TAG_PREFIX}:incident-id"
TAG_SOURCE = f"{TAG_PREFIX}:restored-from"
TAG_POINT = f"{TAG_PREFIX}:restore-point"
WRITER_SUFFIX = "-writer"
# AWS cluster-id rules (no "--", no trailing "-"), kept 7 short of 63 to leave room for the suffix.
NEW_CLUSTER_ID = r"[a-zA-Z](?!.*--)[a-zA-Z0-9\-]{0,55}(?<!-)"


@dataclass(frozen=True)
class RestorePoint:
    mode: str  # "time", "latest" or "snapshot"
    label: str  # what the new cluster is tagged with, and what a rerun must match
    report: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None
    snapshot: dict[str, Any] | None = None


def restore_cluster(
    clients: AwsClients,
    *,
    source: str,
    target: str,
    incident_id: str,
    restore_time: str | None = None,
    latest: bool = False,
    snapshot: str | None = None,
    instance_class: str | None = None,
    wait_timeout_seconds: int = DEFAULT_WAIT_SECONDS,
    dry_run: bool = False,
) -> ActionResult:
    wanted_time = _validated_arguments(source, target, restore_time, latest, snapshot)
    rds = clients.rds
    source_cluster = describe_db_cluster(rds, source)
    point = _restore_point(rds, source_cluster, wanted_time, snapshot)
    tags = {TAG_CREATED_BY: NAME, TAG_INCIDENT: incident_id, TAG_SOURCE: source, TAG_POINT: point.label}
    existing = find_db_cluster(rds, target)
    if existing is not None:
        _check_resumable(existing, target, tags)
    writer_class = instance_class or _source_writer_class(rds, source_cluster)
    details: dict[str, Any] = {
        "source": source,
        "target": target,
        "incident_id": incident_id,
        "restore_point": point.report,
        "resumed": existing is not None,
        "writer_instance_class": writer_class,
    }
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_change": existing is None
                or (writer_instance_id(existing) is None and writer_class is not None),
                "plan": _printable(_restore_request(source_cluster, target, point, tags)),
            },
        )
    if existing is None:
        _start_restore(rds, source_cluster, target, point, tags)
    return _finish(rds, target, writer_class, tags, wait_timeout_seconds, details, started=existing is None)


def _validated_arguments(
    source: str, target: str, restore_time: str | None, latest: bool, snapshot: str | None
) -> datetime | None:
    chosen = [
        flag
        for flag, given in (("--restore-time", restore_time), ("--latest", latest), ("--snapshot", snapshot))
        if given
    ]
    if len(chosen) != 1:
        raise InvalidArgumentError(
            "give exactly one of --restore-time, --latest, --snapshot"
            + (f" (got {', '.join(chosen)})" if chosen else "")
        )
    wanted_time = parse_iso_time("--restore-time", restore_time) if restore_time else None
    if target == source:
        raise InvalidArgumentError(
            f"--target {target} is the source cluster; restore-cluster never "
            "restores in place: name a new cluster"
        )
    return wanted_time


def _restore_point(
    rds: Any, source: dict[str, Any], wanted_time: datetime | None, snapshot_id: str | None
) -> RestorePoint:
    if snapshot_id is not None:
        return _snapshot_point(rds, source, snapshot_id)
    earliest, latest = source.get("EarliestRestorableTime"), source.get("LatestRestorableTime")
    if earliest is None or latest is None:
        raise RefusedError(
            f"cluster {source['DBClusterIdentifier']} reports no restorable window "
            "(are automated backups on?); restore from a snapshot instead"
        )
    window = {"earliest": iso(earliest), "latest": iso(latest)}
    if wanted_time is None:
        return RestorePoint("latest", "latest", {"mode": "latest", "window": window})
    if not earliest <= wanted_time <= latest:
        raise RefusedError(
            f"--restore-time {iso(wanted_time)} is outside the restorable window "
            f"of {source['DBClusterIdentifier']}: {window['earliest']} to "
            f"{window['latest']}"
        )
    return RestorePoint(
        "time",
        iso(wanted_time) or "",
        {"mode": "time", "time": iso(wanted_time), "window": window},
        time=wanted_time,
    )


def _snapshot_point(rds: Any, source: dict[str, Any], snapshot_id: str) -> RestorePoint:
    found = find_cluster_snapshot(rds, snapshot_id)
    if found is None:
        raise NotFoundError(f"cluster snapshot {snapshot_id} does not exist")
    source_id = source["DBClusterIdentifier"]
    if found.get("DBClusterIdentifier") != source_id:
        raise RefusedError(
            f"snapshot {snapshot_id} is of cluster "
            f"{found.get('DBClusterIdentifier')}, not of --source {source_id}"
        )
    if found.get("Status") != "available":
        raise RefusedError(f"snapshot {snapshot_id} is {found.get('Status')!r}, not available")
    return RestorePoint(
        "snapshot",
        f"snapshot:{snapshot_id}",
        {
            "mode": "snapshot",
            "snapshot": snapshot_id,
            "snapshot_create_time": iso(found.get("SnapshotCreateTime")),
        },
        snapshot=found,
    )


def _check_resumable(existing: dict[str, Any], target: str, tags: dict[str, str]) -> None:
    found = tags_of(existing)
    if any(found.get(key) != tags[key] for key in (TAG_INCIDENT, TAG_SOURCE, TAG_POINT)):
        raise RefusedError(
            f"--target {target} already exists; restore-cluster only restores into "
            "a new cluster (it resumes only its own restore for the same incident, "
            "source and restore point)"
        )


def _source_writer_class(rds: Any, source: dict[str, Any]) -> str | None:
    writer = writer_instance_id(source)
    if writer is None:
        return None
    with aws_call(f"describing writer instance {writer}"):
        instance = rds.describe_db_instances(DBInstanceIdentifier=writer)["DBInstances"][0]
    return cast(str, instance["DBInstanceClass"])


def _copied_settings(source: dict[str, Any]) -> dict[str, Any]:
    """The source's settings a restore would otherwise reset to defaults."""
    scaling = source.get("ServerlessV2ScalingConfiguration") or {}
    settings = {
        "DBSubnetGroupName": source.get("DBSubnetGroup"),
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups") or []],
        "DBClusterParameterGroupName": source.get("DBClusterParameterGroup"),
        "Port": source.get("Port"),
        "DeletionProtection": source.get("DeletionProtection"),
        "EnableCloudwatchLogsExports": source.get("EnabledCloudwatchLogsExports"),
        "CopyTagsToSnapshot": source.get("CopyTagsToSnapshot"),
        "EnableIAMDatabaseAuthentication": source.get("IAMDatabaseAuthenticationEnabled"),
        "ServerlessV2ScalingConfiguration": {
            k: scaling[k] for k in ("MinCapacity", "MaxCapacity") if k in scaling
        },
    }
    return {key: value for key, value in settings.items() if value not in (None, [], {})}


def _restore_request(
    source: dict[str, Any], target: str, point: RestorePoint, tags: dict[str, str]
) -> dict[str, Any]:
    """The API and arguments of the restore, as planned (dry-run) and as sent."""
    arguments: dict[str, Any] = {
        "DBClusterIdentifier": target,
        **_copied_settings(source),
        "Tags": tag_list(tags),
    }
    if point.snapshot is not None:
        arguments.update(
            SnapshotIdentifier=point.snapshot["DBClusterSnapshotIdentifier"],
            Engine=point.snapshot["Engine"],
            EngineVersion=point.snapshot.get("EngineVersion"),
        )
        return {"api": "restore_db_cluster_from_snapshot", "arguments": _without_none(arguments)}
    arguments["SourceDBClusterIdentifier"] = source["DBClusterIdentifier"]
    if point.time is not None:
        arguments["RestoreToTime"] = point.time
    else:
        arguments["UseLatestRestorableTime"] = True
    return {"api": "restore_db_cluster_to_point_in_time", "arguments": arguments}


def _printable(request: dict[str, Any]) -> dict[str, Any]:
    """The request with times as ISO text, so the result stays plain JSON (Lambda returns it)."""
    arguments = {
        key: iso(value) if isinstance(value, datetime) else value
        for key, value in request["arguments"].items()
    }
    return {**request, "arguments": arguments}


def _without_none(arguments: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in arguments.items() if value is not None}


def _start_restore(
    rds: Any, source: dict[str, Any], target: str, point: RestorePoint, tags: dict[str, str]
) -> None:
    request = _restore_request(source, target, point, tags)
    with aws_call(f"restoring {source['DBClusterIdentifier']} into new cluster {target}"):
        getattr(rds, request["api"])(**request["arguments"])


def _finish(
    rds: Any,
    target: str,
    writer_class: str | None,
    tags: dict[str, str],
    timeout: int,
    details: dict[str, Any],
    started: bool,
) -> ActionResult:
    """Wait for the cluster, then make sure it has a writer instance, within one time budget."""
    cluster_wait = wait_for_status(
        lambda: _cluster_status(rds, target), what=f"cluster {target}", timeout_seconds=timeout
    )
    cluster = describe_db_cluster(rds, target)
    details.update(
        status=cluster.get("Status"),
        endpoint=cluster.get("Endpoint"),
        reader_endpoint=cluster.get("ReaderEndpoint"),
        db_cluster_arn=cluster.get("DBClusterArn"),
        tags=tags_of(cluster),
    )
    if not cluster_wait.ready:
        details["note"] = f"{target} is still {cluster_wait.status}; rerun the same command to keep waiting"
        return ActionResult(NAME, ok=False, changed=started, dry_run=False, details=details)
    remaining = max(0, timeout - cluster_wait.waited_seconds)
    writer, created, ready = _ensure_writer(rds, cluster, writer_class, tags, remaining)
    details["writer_instance"] = writer
    if writer is None:
        details["warnings"] = [
            "no writer instance: the source has none and --instance-class was "
            "not given; the cluster accepts no connections and cutover will "
            "refuse it until one is added"
        ]
    elif not ready:
        details["note"] = f"writer {writer['id']} is still {writer['status']}; rerun to keep waiting"
    return ActionResult(NAME, ok=ready, changed=started or created, dry_run=False, details=details)


def _cluster_status(rds: Any, cluster_id: str) -> str:
    found = find_db_cluster(rds, cluster_id)
    return found.get("Status", "unknown") if found else "missing"


def _ensure_writer(
    rds: Any, cluster: dict[str, Any], instance_class: str | None, tags: dict[str, str], timeout: int
) -> tuple[dict[str, Any] | None, bool, bool]:
    """(writer description, created now?, available?) for the restored cluster."""
    target = cluster["DBClusterIdentifier"]
    instance_id = writer_instance_id(cluster)
    created = False
    if instance_id is None:
        if instance_class is None:
            return None, False, True
        instance_id = target + WRITER_SUFFIX
        with aws_call(f"adding writer instance {instance_id} to {target}"):
            rds.create_db_instance(
                DBInstanceIdentifier=instance_id,
                DBClusterIdentifier=target,
                Engine=cluster["Engine"],
                DBInstanceClass=instance_class,
                PubliclyAccessible=False,
                Tags=tag_list(tags),
            )
        created = True
    outcome = wait_for_status(
        lambda: _instance_status(rds, instance_id),
        what=f"writer instance {instance_id}",
        timeout_seconds=timeout,
    )
    return {"id": instance_id, "status": outcome.status}, created, outcome.ready


def _instance_status(rds: Any, instance_id: str) -> str:
    with aws_call(f"describing DB instance {instance_id}"):
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        except rds.exceptions.DBInstanceNotFoundFault:
            return "missing"
    return found[0].get("DBInstanceStatus", "unknown") if found else "missing"


ACTION = Action(
    name=NAME,
    summary="Restore an Aurora cluster into a NEW cluster (point in time, latest or snapshot), "
    "tag it with the incident, add a writer and wait until it is available.",
    params=(
        Param(
            "source", str, "cluster to restore from", required=True, env=ENV_DB_CLUSTER, pattern=DB_CLUSTER_ID
        ),
        Param(
            "target", str, "identifier of the NEW cluster to create", required=True, pattern=NEW_CLUSTER_ID
        ),
        INCIDENT_ID,
        Param(
            "restore_time", str, "restore to this time, ISO-8601 with timezone (e.g. 2026-11-26T02:55:00Z)"
        ),
        Param("latest", bool, "restore to the latest restorable time", default=False),
        Param(
            "snapshot",
            str,
            "restore from this cluster snapshot of the source",
            pattern=r"[a-zA-Z][a-zA-Z0-9\-:]{0,254}",
        ),
        Param(
            "instance_class",
            str,
            "writer instance class (default: the source writer's)",
            pattern=r"db\.[a-z0-9]+(\.[a-z0-9]+)?",
        ),
        WAIT_TIMEOUT,
    ),
    run=restore_cluster,
    iam=(
        IamGrant(
            (
                "rds:DescribeDBClusters",
                "rds:RestoreDBClusterToPointInTime",
                "rds:RestoreDBClusterFromSnapshot",
                "rds:AddTagsToResource",
                "rds:CreateDBInstance",
            ),
            "rds-cluster",
        ),
        IamGrant(
            ("rds:DescribeDBClusterSnapshots", "rds:RestoreDBClusterFromSnapshot"), "rds-cluster-snapshot"
        ),
        IamGrant(
            ("rds:DescribeDBInstances", "rds:CreateDBInstance", "rds:AddTagsToResource"), "rds-db-instance"
        ),
        IamGrant(
            ("rds:RestoreDBClusterToPointInTime", "rds:RestoreDBClusterFromSnapshot", "rds:CreateDBInstance"),
            "rds-subnet-group",
        ),
        IamGrant(
            ("rds:RestoreDBClusterToPointInTime", "rds:RestoreDBClusterFromSnapshot"),
            "rds-cluster-parameter-group",
        ),
        # A required resource type of both restores: the (source's) option group.
        IamGrant(
            ("rds:RestoreDBClusterToPointInTime", "rds:RestoreDBClusterFromSnapshot"), "rds-option-group"
        ),
        # A cluster encrypted with a customer-managed key: RDS creates a grant on the key for the
        # restored cluster, in the caller's name. Granted only when the stack config names the key.
        IamGrant(
            ("kms:CreateGrant", "kms:DescribeKey"),
            "rds-kms-key",
            IamCondition("StringEquals", "kms:ViaService", via_service="rds"),
        ),
    ),
    mutating=True,
)
