"""restore-cluster: only into a NEW cluster, one restore point, window checked here, retry-safe."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest

from runbook_actions import cli, invoke, restore_cluster
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from tests.support.platform_names import DB

SOURCE = DB
TARGET = "zelly-aurora-restored"
INCIDENT = "INC-20261126-01"
BASE = {"source": SOURCE, "target": TARGET, "incident_id": INCIDENT}
LATEST = {**BASE, "latest": True, "instance_class": "db.r6g.large"}


def _cluster(clients, name: str = TARGET) -> dict:
    return clients.rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]


def _cluster_ids(clients) -> set[str]:
    return {c["DBClusterIdentifier"] for c in clients.rds.describe_db_clusters()["DBClusters"]}


def _window(clients):
    source = _cluster(clients, SOURCE)
    return source["EarliestRestorableTime"], source["LatestRestorableTime"]


def _iso(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def test_latest_restores_into_a_new_tagged_cluster_with_a_writer(clients, seeded) -> None:
    result = invoke("restore-cluster", clients, LATEST)
    assert (result.ok, result.changed, result.details["status"]) == (True, True, "available")
    restored = _cluster(clients)
    assert restored["Status"] == "available" and result.details["endpoint"] == restored["Endpoint"]
    assert {t["Key"]: t["Value"] for t in restored["TagList"]} == {
        "incident-guardrails:created-by": "restore-cluster",
        "incident-guardrails:incident-id": INCIDENT,
        "incident-guardrails:restored-from": SOURCE,
        "incident-guardrails:restore-point": "latest",
    }
    assert restored["DBClusterMembers"] == [
        {
            "DBInstanceIdentifier": f"{TARGET}-writer",
            "IsClusterWriter": True,
            "DBClusterParameterGroupStatus": "in-sync",
            "PromotionTier": 1,
        }
    ]
    assert result.details["writer_instance"] == {"id": f"{TARGET}-writer", "status": "available"}
    assert _cluster(clients, SOURCE)["Status"] == "available"  # the source is never touched


def test_new_cluster_keeps_the_sources_protection_and_audit_log(clients, seeded) -> None:
    invoke("restore-cluster", clients, LATEST)
    restored = _cluster(clients)
    assert restored["DeletionProtection"] is True
    assert restored["EnabledCloudwatchLogsExports"] == ["audit"]
    assert restored["DBSubnetGroup"] == _cluster(clients, SOURCE)["DBSubnetGroup"]


def test_point_in_time_inside_the_window(clients, seeded) -> None:
    earliest, _ = _window(clients)
    result = invoke("restore-cluster", clients, {**BASE, "restore_time": _iso(earliest)})
    assert result.ok and result.details["restore_point"]["mode"] == "time"
    tags = {t["Key"]: t["Value"] for t in _cluster(clients)["TagList"]}
    assert tags["incident-guardrails:restore-point"] == result.details["restore_point"]["time"]


def test_from_a_snapshot_of_the_source(clients, seeded) -> None:
    clients.rds.create_db_cluster_snapshot(
        DBClusterIdentifier=SOURCE, DBClusterSnapshotIdentifier="emergency-20261126-0307"
    )
    result = invoke("restore-cluster", clients, {**BASE, "snapshot": "emergency-20261126-0307"})
    assert result.ok and result.details["restore_point"]["snapshot"] == "emergency-20261126-0307"
    assert _cluster(clients)["Engine"] == _cluster(clients, SOURCE)["Engine"]


def test_writer_class_defaults_to_the_source_writers(clients, seeded) -> None:
    # The seeded writer is a db.r6g.large; make the source's writer class distinctive.
    clients.rds.modify_db_instance(
        DBInstanceIdentifier=f"{SOURCE}-writer", DBInstanceClass="db.r6g.xlarge", ApplyImmediately=True
    )
    result = invoke("restore-cluster", clients, {**BASE, "latest": True})
    assert result.details["writer_instance_class"] == "db.r6g.xlarge"
    [writer] = clients.rds.describe_db_instances(DBInstanceIdentifier=f"{TARGET}-writer")["DBInstances"]
    assert (writer["DBInstanceClass"], writer["DBClusterIdentifier"]) == ("db.r6g.xlarge", TARGET)


@pytest.fixture
def source_without_writer(clients, seeded) -> None:
    """The seeded source has a writer instance; these cases need one that has none."""
    clients.rds.delete_db_instance(DBInstanceIdentifier=f"{SOURCE}-writer", SkipFinalSnapshot=True)


def test_without_any_writer_class_it_warns(clients, source_without_writer) -> None:
    result = invoke("restore-cluster", clients, {**BASE, "latest": True})
    assert result.ok and result.details["writer_instance"] is None
    assert "cutover will refuse" in result.details["warnings"][0]


def test_rerun_resumes_its_own_restore(clients, seeded) -> None:
    invoke("restore-cluster", clients, LATEST)
    again = invoke("restore-cluster", clients, LATEST)
    assert (again.ok, again.changed, again.details["resumed"]) == (True, False, True)
    assert _cluster_ids(clients) == {SOURCE, TARGET}


def test_rerun_adds_a_missing_writer(clients, source_without_writer) -> None:
    invoke("restore-cluster", clients, {**BASE, "latest": True})
    again = invoke("restore-cluster", clients, LATEST)
    assert (again.changed, again.details["resumed"]) == (True, True)
    assert again.details["writer_instance"]["id"] == f"{TARGET}-writer"


def test_wait_is_bounded_and_a_rerun_keeps_waiting(clients, seeded, monkeypatch) -> None:
    # moto makes clusters available at once; a slow restore is simulated by the status read only.
    monkeypatch.setattr(restore_cluster, "_cluster_status", lambda rds, name: "creating")
    result = invoke("restore-cluster", clients, {**LATEST, "wait_timeout_seconds": 0})
    assert (result.ok, result.changed) == (False, True) and "rerun" in result.details["note"]
    monkeypatch.undo()
    rerun = invoke("restore-cluster", clients, LATEST)
    assert (rerun.ok, rerun.details["resumed"]) == (True, True)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({**BASE}, InvalidArgumentError, "exactly one of --restore-time, --latest, --snapshot"),
        ({**BASE, "latest": True, "snapshot": "s1"}, InvalidArgumentError, r"\(got --latest, --snapshot\)"),
        (
            {**BASE, "latest": True, "restore_time": "2026-11-26T03:00:00Z"},
            InvalidArgumentError,
            "exactly one",
        ),
        ({**BASE, "restore_time": "2026-11-26T03:00:00"}, InvalidArgumentError, "has no timezone"),
        ({**BASE, "restore_time": "yesterday"}, InvalidArgumentError, "not an ISO-8601 time"),
        ({**BASE, "latest": True, "target": SOURCE}, InvalidArgumentError, "never restores in place"),
        ({**BASE, "latest": True, "target": "bad--name"}, InvalidArgumentError, "--target"),
        ({**BASE, "latest": True, "target": "ends-with-"}, InvalidArgumentError, "--target"),
        ({**BASE, "latest": True, "target": "x" * 57}, InvalidArgumentError, "--target"),
        ({**BASE, "latest": True, "source": "no-such-db"}, NotFoundError, "no-such-db"),
        ({**BASE, "snapshot": "no-such-snapshot"}, NotFoundError, "no-such-snapshot does not exist"),
        ({**BASE, "latest": True, "incident_id": None}, InvalidArgumentError, "--incident-id is required"),
    ],
)
def test_bad_arguments_are_refused(clients, seeded, arguments, error, message) -> None:
    arguments = {k: v for k, v in arguments.items() if v is not None}
    with pytest.raises(error, match=message):
        invoke("restore-cluster", clients, arguments)
    assert _cluster_ids(clients) == {SOURCE}


@pytest.mark.parametrize("offset", [timedelta(seconds=-1), timedelta(days=-3)])
def test_restore_time_before_the_window_is_refused(clients, seeded, offset) -> None:
    earliest, _ = _window(clients)
    with pytest.raises(RefusedError, match="outside the restorable window"):
        invoke("restore-cluster", clients, {**BASE, "restore_time": _iso(earliest + offset)})
    assert _cluster_ids(clients) == {SOURCE}


def test_restore_time_after_the_window_is_refused(clients, seeded) -> None:
    _, latest = _window(clients)
    later = (latest + timedelta(hours=1)).astimezone(timezone(timedelta(hours=5, minutes=30)))
    with pytest.raises(RefusedError, match="outside the restorable window"):
        invoke("restore-cluster", clients, {**BASE, "restore_time": later.isoformat()})
    assert _cluster_ids(clients) == {SOURCE}


def test_existing_target_not_from_this_restore_is_refused(clients, seeded) -> None:
    clients.rds.create_db_cluster(
        DBClusterIdentifier=TARGET,
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-pass1",
    )
    with pytest.raises(RefusedError, match=f"--target {TARGET} already exists"):
        invoke("restore-cluster", clients, LATEST)


def test_existing_target_of_another_restore_point_is_refused(clients, seeded) -> None:
    invoke("restore-cluster", clients, LATEST)
    earliest, _ = _window(clients)
    with pytest.raises(RefusedError, match="already exists"):
        invoke("restore-cluster", clients, {**BASE, "restore_time": _iso(earliest)})


def test_snapshot_of_another_cluster_is_refused(clients, seeded) -> None:
    clients.rds.create_db_cluster(
        DBClusterIdentifier="zelly-aurora-staging",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-pass1",
    )
    clients.rds.create_db_cluster_snapshot(
        DBClusterIdentifier="zelly-aurora-staging", DBClusterSnapshotIdentifier="staging-snap"
    )
    with pytest.raises(RefusedError, match="is of cluster zelly-aurora-staging"):
        invoke("restore-cluster", clients, {**BASE, "snapshot": "staging-snap"})


def test_dry_run_validates_and_reports_the_plan(clients, seeded) -> None:
    earliest, _ = _window(clients)
    result = invoke(
        "restore-cluster",
        clients,
        {**BASE, "restore_time": _iso(earliest), "instance_class": "db.r6g.large"},
        dry_run=True,
    )
    assert (result.changed, result.details["would_change"]) == (False, True)
    plan = result.details["plan"]
    assert plan["api"] == "restore_db_cluster_to_point_in_time"
    assert plan["arguments"]["SourceDBClusterIdentifier"] == SOURCE
    assert plan["arguments"]["RestoreToTime"] == result.details["restore_point"]["time"]
    json.dumps(result.to_dict())  # plain JSON, as the Lambda returns it
    assert _cluster_ids(clients) == {SOURCE}


@pytest.mark.parametrize("writer_class, would_change", [(None, False), ("db.r6g.large", True)])
def test_dry_run_of_a_rerun_reports_only_the_missing_writer(
    clients, source_without_writer, writer_class, would_change
) -> None:
    invoke("restore-cluster", clients, {**BASE, "latest": True})
    arguments = {**BASE, "latest": True, "instance_class": writer_class}
    result = invoke("restore-cluster", clients, {k: v for k, v in arguments.items() if v}, dry_run=True)
    assert (result.details["resumed"], result.details["would_change"]) == (True, would_change)
    assert _cluster(clients)["DBClusterMembers"] == []


def test_dry_run_still_refuses(clients, seeded) -> None:
    with pytest.raises(RefusedError, match="outside the restorable window"):
        invoke("restore-cluster", clients, {**BASE, "restore_time": "2020-01-01T00:00:00Z"}, dry_run=True)


def test_cli_restores(clients, seeded, capsys) -> None:
    code = cli.main(
        [
            "restore-cluster",
            "--source",
            SOURCE,
            "--target",
            TARGET,
            "--latest",
            "--incident-id",
            INCIDENT,
            "--instance-class",
            "db.r6g.large",
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["ok"] and printed["details"]["target"] == TARGET
