"""stop-writes on a synthetic cluster of N services: the parallel action against the guide's loop.

Runs in-process on moto's ``mock_aws`` (the same emulator as the server, without HTTP), with
a fresh cluster for every measurement. The guide's way is one ``scale-service --desired 0`` per
service, one after another (the guide's ``aws ecs update-service --desired-count 0`` for each
SERVICE); it is given the service names, as the engineer following the guide types them.
Both variants run with the same modelled latency, and with the same ECS rate limits: none
(to show what concurrency alone buys) or the documented ECS quotas (what AWS would allow).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import boto3
from moto import mock_aws

from runbook_actions import AwsClients, invoke
from runbook_actions.aws import ECS_QUOTAS, PacedClients, RateLimits

from .latency import ModelledLatency
from .rates import rate_summary

REGION = "ap-south-1"
CLUSTER = "bench-cluster"
DESIRED_BEFORE = 2

Variant = Callable[[Any, list[str]], None]


def bench_clients() -> AwsClients:
    """Clients with dummy credentials: whatever the environment holds, nothing reaches AWS."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return AwsClients(region=REGION, endpoint_url=None, session=session)


def seed_cluster(clients: AwsClients, size: int) -> list[str]:
    ecs = clients.ecs
    ecs.create_cluster(clusterName=CLUSTER)
    task_definition = ecs.register_task_definition(
        family="bench", containerDefinitions=[{"name": "app", "image": "bench:1", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    names = [f"service-{index:03d}" for index in range(size)]
    for name in names:
        ecs.create_service(
            cluster=CLUSTER, serviceName=name, taskDefinition=task_definition, desiredCount=DESIRED_BEFORE
        )
    return names


def parallel_stop_writes(clients: Any, names: list[str]) -> None:
    result = invoke("stop-writes", clients, {"cluster": CLUSTER, "incident_id": "BENCH-1"})
    if not result.ok or len(result.details["stopped"]) != len(names):
        raise RuntimeError(f"stop-writes did not stop every service: {result.details.get('failed')}")


def guide_loop(clients: Any, names: list[str]) -> None:
    for name in names:
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": name, "desired": 0})


VARIANTS: dict[str, Variant] = {
    "stop-writes (parallel)": parallel_stop_writes,
    "guide loop (scale-service each)": guide_loop,
}


def measure(
    clients: AwsClients, variant: Variant, size: int, delay_s: float, limits: RateLimits
) -> dict[str, Any]:
    """Wall time of one variant on a fresh cluster of ``size`` services; checks they all stopped."""
    with mock_aws():
        names = seed_cluster(clients, size)
        with ModelledLatency([clients.ecs, clients.ssm], delay_s) as latency:
            started = time.perf_counter()
            variant(PacedClients(clients, limits), names)
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
        measure(clients, variant, size=2, delay_s=0.0, limits=RateLimits(quotas={}))


def compare(
    clients: AwsClients, sizes: list[int], delay_s: float, paced: bool, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Both variants at every size; ``paced`` applies the documented ECS quotas to both."""
    rows = []
    for size in sizes:
        row: dict[str, Any] = {"services": size, "rate_limited": paced}
        for label, variant in VARIANTS.items():
            progress(
                f"stop-writes bench: {size} services, {label}, "
                f"{'documented ECS rate limits' if paced else 'no rate limit'}"
            )
            limits = RateLimits() if paced else RateLimits(quotas={})
            row[label] = measure(clients, variant, size, delay_s, limits)
        row["speed_up"] = round(row[list(VARIANTS)[1]]["wall_s"] / row[list(VARIANTS)[0]]["wall_s"], 1)
        rows.append(row)
    return rows


def _check_all_stopped(clients: AwsClients, names: list[str]) -> None:
    for start in range(0, len(names), 10):
        services = clients.ecs.describe_services(cluster=CLUSTER, services=names[start : start + 10])
        running = [s["serviceName"] for s in services["services"] if s["desiredCount"] != 0]
        if running:
            raise RuntimeError(f"services not stopped by the benchmark run: {', '.join(running)}")
