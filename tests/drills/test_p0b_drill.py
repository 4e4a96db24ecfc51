"""The P0-B drill end to end, its order checks, its clean-up, and broken remediations."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.support.platform_names import DB, PARAMETER

pytestmark = pytest.mark.emulator


def _rds_and_ssm(endpoint: str):
    kwargs = dict(
        endpoint_url=endpoint,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return boto3.client("rds", **kwargs), boto3.client("ssm", **kwargs)


def test_p0b_passes_in_the_guides_order_and_cleans_up(run_drill, moto_server, tmp_path: Path) -> None:
    finished = run_drill.in_process("p0-b")
    assert finished.returncode == 0, finished.stderr
    report = json.loads((tmp_path / "p0-b.json").read_text())
    order = [
        s["ref"]
        for s in report["timeline"]
        if s["phase"] == "procedure" and s["kind"] == "action" and s["ref"] != "post-status"
    ]
    assert order == [
        "stop-writes",
        "snapshot-cluster",
        "backup-status",
        "restore-cluster",
        "cutover",
        "restore-writes",
    ]
    checks = {c["name"]: c["status"] for c in report["checks"]}
    for name in (
        "writes were stopped before the snapshot",
        "the original cluster is untouched (no restore in place)",
        "the new cluster is available and restored before the corruption",
        "every service back at its recorded count on its good revision",
    ):
        assert checks[name] == "passed", name
    restore = next(s for s in report["timeline"] if s["ref"] == "restore-cluster")
    assert restore["result"]["details"]["target"] != restore["result"]["details"]["source"]
    # The clean-up left only the production cluster, pointing the services back at it.
    rds, ssm = _rds_and_ssm(moto_server.endpoint_url)
    clusters = [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]]
    assert clusters == [DB]
    endpoint = ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    assert endpoint.startswith(f"{DB}.cluster-")
    assert rds.describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"] == []


def _snapshot_before_stopping_writes(data: dict) -> None:
    steps = data["procedure"]
    snapshot = next(s for s in steps if s.get("action") == "snapshot-cluster")
    steps.remove(snapshot)
    steps.insert(0, snapshot)


def _restore_after_the_corruption(data: dict) -> None:
    step = next(s for s in data["procedure"] if s.get("action") == "restore-cluster")
    step["args"]["restore_time"] = "{corruption_time}"


def _skip_restore_writes(data: dict) -> None:
    data["procedure"] = [s for s in data["procedure"] if s.get("action") != "restore-writes"]


def _restore_in_place(data: dict) -> None:
    step = next(s for s in data["procedure"] if s.get("action") == "restore-cluster")
    step["args"]["target"] = "{db_cluster}"


@pytest.mark.parametrize(
    "change, failing_check, detail",
    [
        (
            _snapshot_before_stopping_writes,
            "writes were stopped before the snapshot",
            "before stop-writes finished",
        ),
        (
            _restore_after_the_corruption,
            "the new cluster is available and restored before the corruption",
            "is not before",
        ),
        (
            _skip_restore_writes,
            "every service back at its recorded count on its good revision",
            "fastify-nova desired 0, expected 4",
        ),
        (_restore_in_place, "restore to a new cluster just before the corruption", "source"),
    ],
)
def test_broken_remediation_is_caught(
    run_drill, tmp_path: Path, change, failing_check: str, detail: str
) -> None:
    finished = run_drill.in_process("p0-b", change)
    assert finished.returncode == 1
    report = json.loads((tmp_path / "p0-b.json").read_text())
    failed = {c["name"]: c["detail"] for c in report["checks"] if c["status"] == "failed"}
    failed.update({s["name"]: s["detail"] for s in report["timeline"] if s["status"] == "failed"})
    assert failing_check in failed, failed
    assert detail in failed[failing_check]
