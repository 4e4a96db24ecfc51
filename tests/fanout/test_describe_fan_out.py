"""describe_services describes its batches of 10 in parallel, on the process's ECS buckets.

On the benchmark's model of AWS's clock (bench/model_clock.py): each call takes 50 ms, so 100
services, 10 batches, take 2 round trips on 8 workers (0.1 s) where one batch after another
took 10 (0.5 s). Model time, not wall time: the machine's load changes nothing here.
"""

from __future__ import annotations

from moto import mock_aws

from bench.model_clock import model_time
from bench.stop_writes import bench_clients
from runbook_actions.aws import BucketQuota, RateLimitRegistry, describe_services, process_pacing

LATENCY_S = 0.05


def seed(clients, size: int) -> list[str]:
    clients.ecs.create_cluster(clusterName="c")
    arn = clients.ecs.register_task_definition(
        family="f", containerDefinitions=[{"name": "a", "image": "a:1", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    names = [f"service-{index:03d}" for index in range(size)]
    for name in names:
        clients.ecs.create_service(cluster="c", serviceName=name, taskDefinition=arn, desiredCount=1)
    return names


def test_a_hundred_services_are_described_in_two_round_trips_in_order() -> None:
    clients = bench_clients()
    with mock_aws():
        names = seed(clients, 100)
        calls: list[str] = []
        clients.ecs.meta.events.register("before-call.ecs.DescribeServices", lambda **_: calls.append("x"))
        with model_time([], LATENCY_S, ecs_quotas={}) as (clock, throttle), throttle.installed():
            started = clock()
            described = describe_services(clients.ecs, "c", names)
            took = clock() - started
    assert [s["serviceName"] for s in described] == names
    assert len(calls) == 10
    assert took <= 2 * LATENCY_S + 1e-9, took


def test_an_unpaced_client_draws_from_the_process_buckets() -> None:
    # The process's buckets as small as can be (1 token, 10 a second): 10 batches then take
    # 0.9 s of model time however many workers run them; unpaced they would take 0.1 s.
    clients = bench_clients()
    with mock_aws():
        names = seed(clients, 100)
        with model_time([], LATENCY_S, ecs_quotas={}) as (clock, throttle), throttle.installed():
            tiny = RateLimitRegistry(
                quotas={"service-read": BucketQuota(1, 10)}, clock=clock, sleep=clock.sleep
            )
            with process_pacing(tiny, clock.pool):
                started = clock()
                describe_services(clients.ecs, "c", names)
                took = clock() - started
    assert took >= 0.9 - 1e-9, took
