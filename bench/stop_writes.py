"""stop-writes on a synthetic cluster of N services: the parallel action against the guide's loop.

Runs in-process on moto's ``mock_aws`` (the same emulator as the server, without HTTP), with
a fresh cluster for every measurement. The guide's way is one ``scale-service --desired 0`` per
service, one after another (the guide's ``aws ecs update-service --desired-count 0`` for each
SERVICE); it is given the service names, as the engineer following the guide types them.
Both variants run with the same modelled latency, and with the same ECS rate limits: none
(to show what concurrency alone buys) or the process's shared buckets the actions use (the
documented ECS quotas less a 20% margin; emptied before each measurement, as a fresh account's).

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
from runbook_actions.aws import ECS_QUOTAS, RATE_LIMITS, PacedClients, RateLimits
from targets.seed_network import seed_network

from .latency import ModelledLatency
from .rates import rate_summary
from .throttle_model import EcsThrottle

REGION = "ap-south-1"
CLUSTER = "bench-cluster"
DB_CLUSTER = "bench-db"
INCIDENT = "BENCH-1"
DESIRED_BEFORE = 2

Variant = Callable[[Any, list[str]], None]


def bench_clients() -> AwsClients:
    """Clients with dummy credentials: whatever the environment holds, nothing reaches AWS."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return AwsClients(region=REGION, endpoint_url=None, session=session)


def seed_cluster(clients: AwsClients, size: int) -> list[str]:
    """``size`` services in application subnets, and the database stop-writes fences."""
    network = seed_network(clients.ec2, clients.rds, region=REGION, name=DB_CLUSTER)
    clients.rds.create_db_cluster(
        DBClusterIdentifier=DB_CLUSTER,
        Engine="aurora-mysql",
        MasterUsername="bench",
        MasterUserPassword="bench-password",
        DBSubnetGroupName=network.db_subnet_group,
    )
    ecs = clients.ecs
    ecs.create_cluster(clusterName=CLUSTER)
    task_definition = ecs.register_task_definition(
        family="bench", containerDefinitions=[{"name": "app", "image": "bench:1", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    names = [f"service-{index:03d}" for index in range(size)]
    for name in names:
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=DESIRED_BEFORE,
            networkConfiguration=network.awsvpc(),
        )
    return names


def parallel_stop_writes(clients: Any, names: list[str]) -> None:
    result = invoke(
        "stop-writes", clients, {"cluster": CLUSTER, "db_cluster": DB_CLUSTER, "incident_id": INCIDENT}
    )
    if not result.ok or len(result.details["stopped"]) != len(names):
        raise RuntimeError(f"stop-writes did not stop every service: {result.details.get('failed')}")


def guide_loop(clients: Any, names: list[str]) -> None:
    for name in names:
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": name, "desired": 0})


VARIANTS: dict[str, Variant] = {
    "stop-writes (parallel)": parallel_stop_writes,
    "guide loop (scale-service each)": guide_loop,
}


def measure(clients: AwsClients, variant: Variant, size: int, delay_s: float, paced: bool) -> dict[str, Any]:
    """Wall time of one variant on a fresh cluster of ``size`` services; checks they all stopped.

    Paced: the actions' own pacing, the process's buckets, emptied first (a fresh account's are
    full). Not paced: no rate limit at all.
    """
    with mock_aws():
        names = seed_cluster(clients, size)
        RATE_LIMITS.clear()
        action_clients = clients if paced else PacedClients(clients, RateLimits(quotas={}))
        with ModelledLatency([clients.ecs, clients.ssm], delay_s) as latency:
            started = time.perf_counter()
            variant(action_clients, names)
            wall = time.perf_counter() - started
        _check_all_stopped(clients, names)
    return {
        "wall_s": round(wall, 3),
        "api_calls": len(latency.calls),
        "update_service": rate_summary(latency.times_of("UpdateService"), ECS_QUOTAS["service-modify"]),
    }


def warm_up(clients: AwsClients) -> None:
    """One small unmeasured run of each variant, so no measurement pays for first imports."""
    for variant in VARIANTS.values():
        measure(clients, variant, size=2, delay_s=0.0, paced=False)


def compare(
    clients: AwsClients, sizes: list[int], delay_s: float, paced: bool, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Both variants at every size; ``paced`` paces both with the actions' shared buckets."""
    rows = []
    for size in sizes:
        row: dict[str, Any] = {"services": size, "rate_limited": paced}
        for label, variant in VARIANTS.items():
            progress(
                f"stop-writes bench: {size} services, {label}, "
                f"{'paced by the shared buckets' if paced else 'no rate limit'}"
            )
            row[label] = measure(clients, variant, size, delay_s, paced)
        row["speed_up"] = round(row[list(VARIANTS)[1]]["wall_s"] / row[list(VARIANTS)[0]]["wall_s"], 1)
        rows.append(row)
    return rows


def _check_all_stopped(clients: AwsClients, names: list[str]) -> None:
    running = [name for name, count in _desired_counts(clients, names).items() if count != 0]
    if running:
        raise RuntimeError(f"services not stopped by the benchmark run: {', '.join(running)}")


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
            "stop-writes": {"cluster": CLUSTER, "db_cluster": DB_CLUSTER, "incident_id": INCIDENT},
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
