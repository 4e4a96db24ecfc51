"""The guide's P0-B procedure end to end, and each step's API calls against its declared IAM."""
from __future__ import annotations

import json

import pytest

from runbook_actions import get_action, invoke

CLUSTER = "zelly-production"
DB = "zelly-aurora-production"
RESTORED = "zelly-aurora-restored"
INCIDENT = "INC-20261126-01"
PARAMETER = "/zelly/production/database/endpoint"
STEPS = [
    ("stop-writes", {"cluster": CLUSTER, "incident_id": INCIDENT}),
    ("snapshot-cluster", {"db_cluster": DB, "incident_id": INCIDENT}),
    ("backup-status", {"db_cluster": DB}),
    ("restore-cluster", {"source": DB, "target": RESTORED, "latest": True, "incident_id": INCIDENT,
                         "instance_class": "db.r6g.large"}),
    ("cutover", {"cluster": CLUSTER, "db_cluster": RESTORED, "endpoint_parameter": PARAMETER}),
    ("restore-writes", {"cluster": CLUSTER, "incident_id": INCIDENT}),
]


def _run_procedure(clients, aws_hooks, dry_run: bool = False) -> dict[str, set[str]]:
    calls_by_step = {}
    for name, arguments in STEPS:
        calls = aws_hooks.record_calls(clients.ecs, clients.ssm, clients.rds)
        result = invoke(name, clients, arguments, dry_run=dry_run)
        assert result.ok, (name, result.details)
        json.dumps(result.to_dict())  # plain JSON: the Lambda handler returns it as is
        calls_by_step[name] = set(calls)
        aws_hooks.remove_all()
    return calls_by_step


def test_procedure_ends_with_services_back_on_the_restored_cluster(clients, seeded, aws_hooks,
                                                                    platform) -> None:
    _run_procedure(clients, aws_hooks)
    restored = clients.rds.describe_db_clusters(DBClusterIdentifier=RESTORED)["DBClusters"][0]
    assert clients.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"] == restored["Endpoint"]
    arns = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"]
    counts = {s["serviceName"]: s["desiredCount"]
              for s in clients.ecs.describe_services(cluster=CLUSTER, services=arns)["services"]}
    assert counts == {s.name: s.desired_count for s in platform.services}


@pytest.mark.parametrize("dry_run", [False, True])
def test_every_api_call_is_declared_in_the_actions_iam(clients, seeded, aws_hooks, dry_run) -> None:
    if dry_run:  # the dry-run of a later step needs the earlier steps' real effects
        _run_procedure(clients, aws_hooks)
    for name, calls in _run_procedure(clients, aws_hooks, dry_run=dry_run).items():
        declared = {action for grant in get_action(name).iam for action in grant.actions}
        assert calls and calls <= declared, (name, sorted(calls - declared))
