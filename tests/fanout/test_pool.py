"""The bounded pool, and ECS clients paced through it (fake clocks: nothing sleeps for real)."""

from __future__ import annotations

import threading

import pytest

from runbook_actions import invoke
from runbook_actions.fanout import BucketQuota, PacedClient, PacedClients, RateLimits, fan_out, paced
from tests.support.platform_names import CLUSTER


def test_the_pool_never_runs_more_than_max_workers_at_once() -> None:
    max_workers = 3
    # Every call waits until max_workers calls are in flight together: the pool must reach
    # its bound (or the barrier breaks), and the count shows whether it ever went past it.
    together = threading.Barrier(max_workers, timeout=10)
    lock = threading.Lock()
    in_flight, peak = 0, 0

    def work(item: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        together.wait()
        with lock:
            in_flight -= 1
        return item * 2

    assert fan_out(work, range(12), max_workers=max_workers) == [n * 2 for n in range(12)]
    assert peak == max_workers


def test_the_first_exception_propagates() -> None:
    def work(item: int) -> int:
        if item == 3:
            raise RuntimeError("item 3 failed")
        return item

    with pytest.raises(RuntimeError, match="item 3 failed"):
        fan_out(work, range(6))


def test_a_paced_client_takes_a_token_before_each_api_call(clients, frozen_clock) -> None:
    limits = RateLimits(
        {"task-definition-read": BucketQuota(1, 2)}, clock=frozen_clock, sleep=frozen_clock.sleep
    )
    ecs = paced(clients.ecs, limits)
    for _ in range(3):
        ecs.list_clusters()  # no bucket for its category here: never delayed
        ecs.list_task_definitions()
    assert frozen_clock.sleeps == [0.5, 1.0]


def test_a_paced_client_passes_everything_else_through(clients) -> None:
    ecs = paced(clients.ecs)
    assert ecs.meta is clients.ecs.meta
    assert ecs.exceptions is clients.ecs.exceptions
    assert ecs.get_paginator("list_services").PAGE_ITERATOR_CLS is not None
    assert ecs.limits.quota_for("UpdateService") == BucketQuota(50, 5)


def test_pacing_an_already_paced_client_keeps_the_callers_limits(clients) -> None:
    mine = PacedClient(clients.ecs, RateLimits(quotas={}))
    assert paced(mine) is mine


@pytest.mark.parametrize(
    "action, arguments",
    [
        ("stop-writes", {"cluster": CLUSTER, "incident_id": "INC-1"}),
        ("redeploy-all", {"cluster": CLUSTER}),
    ],
)
def test_fan_out_actions_call_update_service_through_the_pacing(
    clients, seeded, frozen_clock, action, arguments
) -> None:
    limits = RateLimits(
        {"service-modify": BucketQuota(capacity=1, refill_per_second=1)},
        clock=frozen_clock,
        sleep=frozen_clock.sleep,
    )
    result = invoke(action, PacedClients(clients, limits), arguments)
    assert result.ok
    # Five services, one token at a time: the four after the first wait 1, 2, 3 and 4 s.
    assert sorted(frozen_clock.sleeps) == pytest.approx([1.0, 2.0, 3.0, 4.0])
