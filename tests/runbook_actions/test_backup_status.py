"""backup-status: retention, restorable window ("any second in the last 7 days"), snapshots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runbook_actions import backup_status, invoke
from runbook_actions.exceptions import NotFoundError
from runbook_actions.rds_helpers import utc_now
from tests.support.platform_names import DB


def _status(clients, **arguments):
    return invoke("backup-status", clients, {"db_cluster": DB, **arguments})


def test_reports_retention_window_and_snapshots(clients, seeded) -> None:
    details = _status(clients).details
    assert (details["backup_retention_days"], details["retention_ok"]) == (7, True)
    assert details["deletion_protection"] is True
    window = details["restorable_window"]
    assert window["earliest"] <= window["latest"]
    assert window["latest_restorable_lag_seconds"] >= 0
    assert [s["type"] for s in details["recent_snapshots"]] == ["automated"]


def test_a_new_cluster_cannot_yet_honour_the_seven_day_promise(clients, seeded) -> None:
    # moto's earliest restorable time is the cluster's creation: a fresh cluster, as in AWS.
    details = _status(clients).details
    assert details["window_ok"] is False
    assert any("reaches back only" in w for w in details["warnings"])


def test_window_reaching_back_seven_days_is_ok(clients, seeded, monkeypatch) -> None:
    monkeypatch.setattr(backup_status, "utc_now", lambda: utc_now() + timedelta(days=7))
    details = _status(clients).details
    assert details["window_ok"] is True and details["warnings"] == []
    assert details["restorable_window"]["reaches_back_days"] >= 7


@pytest.mark.parametrize(
    "retention, minimum, retention_ok",
    [
        (7, 7, True),
        (3, 7, False),
        (1, 1, True),
        (14, 30, False),
    ],
)
def test_flags_retention_below_the_minimum(clients, seeded, retention, minimum, retention_ok) -> None:
    clients.rds.modify_db_cluster(
        DBClusterIdentifier=DB, BackupRetentionPeriod=retention, ApplyImmediately=True
    )
    result = _status(clients, min_retention_days=minimum)
    assert result.ok is True  # a warning, not a failure
    assert result.details["retention_ok"] is retention_ok
    assert result.details["min_retention_days"] == minimum
    flagged = [w for w in result.details["warnings"] if w.startswith("backup retention")]
    assert bool(flagged) is not retention_ok


def test_snapshots_newest_first_and_bounded(clients, seeded) -> None:
    for name in ("emergency-20261126-0300", "emergency-20261126-0301", "emergency-20261126-0302"):
        clients.rds.create_db_cluster_snapshot(DBClusterIdentifier=DB, DBClusterSnapshotIdentifier=name)
    details = _status(clients, max_snapshots=2).details
    assert details["snapshot_count"] == 4
    assert [s["id"] for s in details["recent_snapshots"]] == [
        "emergency-20261126-0302",
        "emergency-20261126-0301",
    ]


def test_dry_run_reads_the_same(clients, seeded) -> None:
    result = invoke("backup-status", clients, {"db_cluster": DB}, dry_run=True)
    assert (result.dry_run, result.changed, result.details["retention_ok"]) == (True, False, True)


def test_unknown_cluster(clients, seeded) -> None:
    with pytest.raises(NotFoundError, match="no-such-db"):
        _status(clients, db_cluster="no-such-db")
