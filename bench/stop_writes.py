"""A synthetic platform of N services for stop-writes, and a stop-then-restore on it.

Runs in-process on moto's ``mock_aws`` (the same emulator as the server, without HTTP), with
a fresh account for every run: ``seed_cluster`` creates the network (``targets.seed_network``),
the Aurora cluster stop-writes fences and N services in the application subnets.

``stop_then_restore`` runs stop-writes then restore-writes against ECS's throttle modelled in
front of the emulator (``bench.throttle_model``): the shared buckets, or each action with buckets
of its own as before issue 13; it counts the services that failed.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import boto3
from moto import mock_aws

from runbook_actions import AwsClients, RunbookError, invoke
from targets.seed_network import seed_network

from .throttle_model import EcsThrottle

REGION = "ap-south-1"
CLUSTER = "bench-cluster"
DB_CLUSTER = "bench-db"
INCIDENT = "BENCH-1"
DESIRED_BEFORE = 2
APP_CIDRS = ("10.0.1.0/24", "10.0.2.0/24")  # the services' subnets, as a stack config names them


def bench_clients() -> AwsClients:
    """Clients with dummy credentials: whatever the environment holds, nothing reaches AWS."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return AwsClients(region=REGION, endpoint_url=None, session=session)


def seed_cluster(clients: AwsClients, size: int) -> list[str]:
    """``size`` services in application subnets, and the database stop-writes fences."""
    network = seed_network(clients.ec2, clients.rds, region=REGION, name=DB_CLUSTER, app_cidrs=APP_CIDRS)
    clients.rds.create_db_cluster(
        DBClusterIdentifier=DB_CLUSTER,
        Engine="aurora-mysql",
        MasterUsername="bench",
        MasterUserPassword="bench-password",
        DBSubnetGroupName=network.db_subnet_group,
    )
    return create_services(clients.ecs, CLUSTER, size, networkConfiguration=network.awsvpc())


def create_services(ecs: Any, cluster: str, size: int, **service_settings: Any) -> list[str]:
    """A cluster of ``size`` services of one task definition, each at ``DESIRED_BEFORE``."""
    ecs.create_cluster(clusterName=cluster)
    task_definition = ecs.register_task_definition(
        family="bench", containerDefinitions=[{"name": "app", "image": "bench:1", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    names = [f"service-{index:03d}" for index in range(size)]
    for name in names:
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=DESIRED_BEFORE,
            **service_settings,
        )
    return names


def stop_then_restore(
    clients: AwsClients, size: int, throttle: EcsThrottle, action_clients: Callable[[], Any]
) -> dict[str, Any]:
    """stop-writes, then restore-writes at once, on a fresh cluster of ``size`` services, with
    ECS's throttle modelled by ``throttle`` (full buckets at the start). ``action_clients()``
    gives each action its clients: ``clients`` itself for the shared buckets, or a fresh
    ``PerActionPacing`` for buckets of its own. Reports the services each action failed."""
    with mock_aws():
        names = seed_cluster(clients, size)
        arguments = {
            "stop-writes": {
                "cluster": CLUSTER,
                "db_cluster": DB_CLUSTER,
                "incident_id": INCIDENT,
                "app_cidr": list(APP_CIDRS),
            },
            "restore-writes": {"cluster": CLUSTER, "incident_id": INCIDENT},
        }
        with throttle.installed():
            started, model_started = time.perf_counter(), throttle.now()
            outcomes = {
                action: _run(action, action_clients(), arguments[action]) for action in STOP_THEN_RESTORE
            }
            wall, model = time.perf_counter() - started, throttle.now() - model_started
        counts = _desired_counts(clients, names)
    return {
        "services": size,
        "wall_s": round(wall, 3),
        "model_s": round(model, 3),  # by the throttle's clock: the wall time, unless a test gave another
        "failed": {action: outcome["failed"] for action, outcome in outcomes.items()},
        "errors": {action: outcome["error"] for action, outcome in outcomes.items() if outcome["error"]},
        "not_restored": sorted(name for name, count in counts.items() if count != DESIRED_BEFORE),
        "throttled": dict(throttle.throttled),
        "admitted": dict(throttle.admitted),
    }


STOP_THEN_RESTORE = ("stop-writes", "restore-writes")


def _run(action: str, clients: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    try:
        result = invoke(action, clients, arguments)
    except RunbookError as error:
        return {"failed": [], "error": str(error)}
    return {"failed": sorted(f["service"] for f in result.details.get("failed", [])), "error": None}


def _desired_counts(clients: AwsClients, names: list[str]) -> dict[str, int]:
    counts = {}
    for start in range(0, len(names), 10):
        services = clients.ecs.describe_services(cluster=CLUSTER, services=names[start : start + 10])
        counts.update({s["serviceName"]: s["desiredCount"] for s in services["services"]})
    return counts
