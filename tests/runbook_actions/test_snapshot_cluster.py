"""snapshot-cluster: emergency-YYYYMMDD-HHMM (UTC), waits for it, safe to retry within the minute."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from runbook_actions import cli, invoke, snapshot_cluster
from runbook_actions.clients import AwsClients
from runbook_actions.exceptions import AwsCallError, NotFoundError, RefusedError
from tests.support.platform_names import DB

PINNED = datetime(2026, 11, 26, 3, 7, 42, tzinfo=timezone.utc)
NAME = "emergency-20261126-0307"
IST = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(snapshot_cluster, "utc_now", lambda: PINNED)


def _manual_snapshots(clients, cluster: str = DB) -> list[dict]:
    return clients.rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster, SnapshotType="manual")[
        "DBClusterSnapshots"
    ]


def _create_other_cluster(clients, name: str = "zelly-aurora-staging") -> None:
    clients.rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-pass1",
    )


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 1, 2, 3, 4, 59, tzinfo=timezone.utc), "emergency-20260102-0304"),
        # The guide's $(date ...) uses the host's zone; the action always names in UTC.
        (datetime(2026, 1, 2, 8, 34, tzinfo=IST).astimezone(timezone.utc), "emergency-20260102-0304"),
    ],
)
def test_snapshot_name_is_utc_to_the_minute(moment, expected) -> None:
    assert snapshot_cluster.snapshot_name(moment) == expected


def test_takes_the_snapshot_and_waits_until_available(clients, seeded) -> None:
    result = invoke("snapshot-cluster", clients, {"db_cluster": DB, "incident_id": "INC-1"})
    assert (result.ok, result.changed, result.details["reused"]) == (True, True, False)
    assert (result.details["snapshot"], result.details["status"]) == (NAME, "available")
    [snapshot] = _manual_snapshots(clients)
    assert snapshot["DBClusterSnapshotIdentifier"] == NAME and snapshot["Status"] == "available"
    tags = {
        t["Key"]: t["Value"]
        for t in clients.rds.list_tags_for_resource(ResourceName=snapshot["DBClusterSnapshotArn"])["TagList"]
    }
    assert tags == {
        "incident-guardrails:created-by": "snapshot-cluster",
        "incident-guardrails:incident-id": "INC-1",
    }


def test_retry_in_the_same_minute_reuses_the_snapshot(clients, seeded) -> None:
    invoke("snapshot-cluster", clients, {"db_cluster": DB})
    again = invoke("snapshot-cluster", clients, {"db_cluster": DB})
    assert (again.ok, again.changed, again.details["reused"], again.details["status"]) == (
        True,
        False,
        True,
        "available",
    )
    assert [s["DBClusterSnapshotIdentifier"] for s in _manual_snapshots(clients)] == [NAME]


def test_snapshot_created_by_a_concurrent_run_is_reused(clients, seeded, aws_hooks) -> None:
    other_run = AwsClients(region=clients.region)  # another engineer, same minute

    def race(params, **_):
        if not _manual_snapshots(other_run):
            other_run.rds.create_db_cluster_snapshot(DBClusterIdentifier=DB, DBClusterSnapshotIdentifier=NAME)

    aws_hooks.on(clients.rds, "before-parameter-build.rds.CreateDBClusterSnapshot", race)
    result = invoke("snapshot-cluster", clients, {"db_cluster": DB})
    assert (result.ok, result.changed, result.details["reused"]) == (True, False, True)
    assert len(_manual_snapshots(clients)) == 1


def test_same_name_for_another_cluster_is_refused(clients, seeded) -> None:
    _create_other_cluster(clients)
    clients.rds.create_db_cluster_snapshot(
        DBClusterIdentifier="zelly-aurora-staging", DBClusterSnapshotIdentifier=NAME
    )
    with pytest.raises(RefusedError, match="belongs to cluster zelly-aurora-staging"):
        invoke("snapshot-cluster", clients, {"db_cluster": DB})
    assert _manual_snapshots(clients) == []


def test_dry_run_takes_no_snapshot(clients, seeded) -> None:
    result = invoke("snapshot-cluster", clients, {"db_cluster": DB}, dry_run=True)
    assert (result.changed, result.details["would_change"], result.details["snapshot"]) == (False, True, NAME)
    assert _manual_snapshots(clients) == []


def test_unknown_cluster(clients, seeded) -> None:
    with pytest.raises(NotFoundError, match="no-such-db"):
        invoke("snapshot-cluster", clients, {"db_cluster": "no-such-db"})


def test_wait_is_bounded_and_a_rerun_keeps_waiting(clients, seeded, monkeypatch) -> None:
    # moto makes snapshots available at once; a slow one is simulated by the status read only.
    monkeypatch.setattr(snapshot_cluster, "_status", lambda rds, name: "creating")
    result = invoke("snapshot-cluster", clients, {"db_cluster": DB, "wait_timeout_seconds": 0})
    assert (result.ok, result.changed) == (False, True) and "rerun" in result.details["note"]
    monkeypatch.undo()
    monkeypatch.setattr(snapshot_cluster, "utc_now", lambda: PINNED + timedelta(seconds=10))
    rerun = invoke("snapshot-cluster", clients, {"db_cluster": DB})
    assert (rerun.ok, rerun.changed, rerun.details["reused"]) == (True, False, True)


def test_failed_snapshot_is_an_error(clients, seeded, monkeypatch) -> None:
    monkeypatch.setattr(snapshot_cluster, "_status", lambda rds, name: "failed")
    with pytest.raises(AwsCallError, match=f"cluster snapshot {NAME} is 'failed'"):
        invoke("snapshot-cluster", clients, {"db_cluster": DB})


def test_cli_prints_the_snapshot(clients, seeded, capsys) -> None:
    code = cli.main(["snapshot-cluster", "--db-cluster", DB])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["details"]["snapshot"] == NAME and printed["ok"] is True


def test_db_cluster_comes_from_the_environment(clients, seeded, monkeypatch) -> None:
    assert (
        invoke("snapshot-cluster", clients, {}, environ={"ZELLY_DB_CLUSTER": DB}).details["db_cluster"] == DB
    )
