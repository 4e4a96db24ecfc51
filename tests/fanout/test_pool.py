"""The bounded pool, and ECS clients paced through it: the process's buckets, each attempt and each
page, throttling answers (fake clocks: nothing sleeps for real)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.retries import standard
from moto.core.botocore_stubber import BotocoreStubber

from bench.throttle_model import json_response, throttling_response
from runbook_actions import invoke
from runbook_actions.fanout import (
    RATE_LIMITS,
    BucketQuota,
    PacedClient,
    PacedClients,
    RateLimits,
    fan_out,
    paced,
)
from tests.support.action_cases import SERVICE
from tests.support.platform_names import CLUSTER, DB


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
    assert ecs.limits.quota_for("UpdateService") == BucketQuota(40, 4)  # 80% of ECS's 50 and 5/s


def test_every_action_of_the_process_draws_from_the_same_buckets(clients) -> None:
    limits = RATE_LIMITS.for_client(clients.ecs)
    assert paced(clients.ecs).limits is limits
    assert paced(clients.ecs).limits is limits  # another action, another fan-out: the same buckets


def test_only_calls_through_the_paced_client_take_tokens(clients, seeded, frozen_clock) -> None:
    limits = RateLimits({"service-read": BucketQuota(1, 1)}, clock=frozen_clock, sleep=frozen_clock.sleep)
    ecs = paced(clients.ecs, limits)
    ecs.list_services(cluster=CLUSTER)  # the only token
    for _ in range(3):
        clients.ecs.list_services(cluster=CLUSTER)  # the same boto3 client, called directly
    assert frozen_clock.sleeps == []
    ecs.list_services(cluster=CLUSTER)
    assert frozen_clock.sleeps == [1.0]


def test_each_page_of_a_paced_paginator_takes_a_token(own_clients, frozen_clock, monkeypatch) -> None:
    # moto answers ListServices in one page; here ECS answers three, as it does past 10 services.
    emulate = BotocoreStubber.__call__
    pages = {None: (["a", "b"], "2"), "2": (["c", "d"], "4"), "4": (["e"], None)}

    def answer(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if event_name != "before-send.ecs.ListServices":
            return emulate(stubber, event_name, request, **kwargs)
        arns, token = pages[json.loads(request.body).get("nextToken")]
        return json_response(
            request.url, 200, {"serviceArns": arns, **({"nextToken": token} if token else {})}
        )

    monkeypatch.setattr(BotocoreStubber, "__call__", answer)
    limits = RateLimits({"service-read": BucketQuota(1, 1)}, clock=frozen_clock, sleep=frozen_clock.sleep)
    listed = paced(own_clients.ecs, limits).get_paginator("list_services").paginate(cluster=CLUSTER)
    assert [page["serviceArns"] for page in listed] == [["a", "b"], ["c", "d"], ["e"]]
    assert frozen_clock.sleeps == [1.0, 2.0]


@pytest.fixture
def throttled_twice(monkeypatch) -> list[str]:
    """ECS answers the first two UpdateService attempts ThrottlingException (and does nothing),
    as AWS does; no backoff, so only the buckets wait."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    emulate = BotocoreStubber.__call__
    answered: list[str] = []

    def answer(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if event_name == "before-send.ecs.UpdateService" and len(answered) < 2:
            answered.append(event_name)
            return throttling_response(request.url)
        return emulate(stubber, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", answer)
    return answered


def test_every_attempt_takes_a_token_and_a_throttle_empties_the_bucket(
    own_clients, seeded, frozen_clock, throttled_twice
) -> None:
    limits = RateLimits({"service-modify": BucketQuota(5, 1)}, clock=frozen_clock, sleep=frozen_clock.sleep)
    paced(own_clients.ecs, limits).update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)
    # Attempt 1 takes one of 5 tokens and is throttled: ECS has none, so the 4 left are gone.
    # Attempt 2 waits 1 s for the refill and is throttled; attempt 3 queues behind it: 2 s.
    assert len(throttled_twice) == 2
    assert frozen_clock.sleeps == [1.0, 2.0]


def test_pacing_an_already_paced_client_keeps_the_callers_limits(clients) -> None:
    mine = PacedClient(clients.ecs, RateLimits(quotas={}))
    assert paced(mine) is mine


@pytest.mark.parametrize(
    "action, arguments",
    [
        ("stop-writes", {"cluster": CLUSTER, "db_cluster": DB, "incident_id": "INC-1"}),
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
