"""The guide's P0-B procedure end to end (each step's IAM: tests/safety/test_least_privilege.py)."""

from __future__ import annotations

import json

from runbook_actions import invoke
from tests.support.platform_names import CLUSTER, DB, PARAMETER

RESTORED = "zelly-aurora-restored"
INCIDENT = "INC-20261126-01"
STEPS = [
    ("stop-writes", {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT}),
    ("snapshot-cluster", {"db_cluster": DB, "incident_id": INCIDENT}),
    ("backup-status", {"db_cluster": DB}),
    (
        "restore-cluster",
        {
            "source": DB,
            "target": RESTORED,
            "latest": True,
            "incident_id": INCIDENT,
            "instance_class": "db.r6g.large",
        },
    ),
    ("cutover", {"cluster": CLUSTER, "db_cluster": RESTORED, "endpoint_parameter": PARAMETER}),
    ("restore-writes", {"cluster": CLUSTER, "incident_id": INCIDENT}),
]


def _run_procedure(clients) -> None:
    for name, arguments in STEPS:
        result = invoke(name, clients, arguments)
        assert result.ok, (name, result.details)
        json.dumps(result.to_dict())  # plain JSON: the Lambda handler returns it as is


def test_procedure_ends_with_services_back_on_the_restored_cluster(clients, seeded, platform) -> None:
    _run_procedure(clients)
    restored = clients.rds.describe_db_clusters(DBClusterIdentifier=RESTORED)["DBClusters"][0]
    assert clients.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"] == restored["Endpoint"]
    arns = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"]
    counts = {
        s["serviceName"]: s["desiredCount"]
        for s in clients.ecs.describe_services(cluster=CLUSTER, services=arns)["services"]
    }
    assert counts == {s.name: s.desired_count for s in platform.services}
