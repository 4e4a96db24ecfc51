"""The token bucket, the documented ECS quotas and the paced ones, and the process's registry of
buckets, on a fake clock (nothing sleeps for real)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from runbook_actions.fanout import (
    ECS_QUOTAS,
    PACED_QUOTAS,
    PACING_MARGIN,
    BucketQuota,
    RateLimitRegistry,
    RateLimits,
    TokenBucket,
)


def _call_times(bucket: TokenBucket, clock, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        bucket.acquire()
        times.append(clock())
    return times


def test_burst_is_free_then_calls_follow_the_refill_rate(clock) -> None:
    bucket = TokenBucket(BucketQuota(capacity=8, refill_per_second=2), clock, clock.sleep)
    times = _call_times(bucket, clock, 20)
    assert times[:8] == [0.0] * 8  # the whole burst at once
    assert times[8:] == pytest.approx([0.5 * n for n in range(1, 13)])  # then one per refill


def test_no_window_ever_holds_more_calls_than_the_bucket_allows(clock) -> None:
    quota = BucketQuota(capacity=10, refill_per_second=4)
    times = _call_times(TokenBucket(quota, clock, clock.sleep), clock, 60)
    for first in range(len(times)):
        for last in range(first, len(times)):
            allowed = quota.capacity + (times[last] - times[first]) * quota.refill_per_second
            assert last - first + 1 <= allowed + 1e-9


def test_an_idle_bucket_refills_only_to_its_capacity(clock) -> None:
    bucket = TokenBucket(BucketQuota(capacity=3, refill_per_second=1), clock, clock.sleep)
    _call_times(bucket, clock, 3)
    clock.now += 1000
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.0, pytest.approx(1.0)]


def test_concurrent_callers_each_reserve_their_own_place_in_the_queue(frozen_clock) -> None:
    bucket = TokenBucket(BucketQuota(capacity=4, refill_per_second=2), frozen_clock, frozen_clock.sleep)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 4 from the burst; the 12 others wait 0.5 s, 1.0 s, ... 6.0 s: none shares a slot.
    assert sorted(frozen_clock.sleeps) == pytest.approx([0.5 * n for n in range(1, 13)])


def test_the_paced_quotas_keep_a_margin_below_every_documented_one() -> None:
    assert PACING_MARGIN == 0.8
    assert PACED_QUOTAS["service-modify"] == BucketQuota(capacity=40, refill_per_second=4)
    for name, documented in ECS_QUOTAS.items():
        paced = PACED_QUOTAS[name]
        assert paced.capacity <= 0.8 * documented.capacity
        assert paced.refill_per_second == pytest.approx(0.8 * documented.refill_per_second)


def test_two_hundred_update_service_calls_take_the_paced_refill_time(clock) -> None:
    limits = RateLimits(clock=clock, sleep=clock.sleep)
    for _ in range(200):
        limits.acquire("UpdateService")
    # "Service modify actions": bucket 50, refill 5 per second; paced at 80%: 40, 4 per second.
    assert clock() == pytest.approx((200 - 40) / 4)


def test_actions_of_one_category_share_its_bucket(frozen_clock) -> None:
    limits = RateLimits(clock=frozen_clock, sleep=frozen_clock.sleep)
    for _ in range(40):
        limits.acquire("UpdateService")
    assert limits.acquire("CreateService") == pytest.approx(1 / 4)
    assert limits.acquire("DescribeServices") == 0.0  # another category, another bucket


def test_a_throttle_empties_the_bucket_and_keeps_the_queue(frozen_clock) -> None:
    bucket = TokenBucket(BucketQuota(capacity=10, refill_per_second=2), frozen_clock, frozen_clock.sleep)
    bucket.acquire()
    bucket.drain()  # AWS said the account has no token left: the 9 this bucket held are gone
    assert bucket.acquire() == pytest.approx(0.5)
    bucket.acquire()  # a queue of two now: a throttle does not give their places away
    bucket.drain()
    assert bucket.acquire() == pytest.approx(1.5)


def test_one_registry_gives_one_set_of_buckets_per_endpoint_and_region(frozen_clock) -> None:
    registry = RateLimitRegistry(clock=frozen_clock, sleep=frozen_clock.sleep)

    def client(endpoint: str, region: str) -> SimpleNamespace:
        return SimpleNamespace(meta=SimpleNamespace(endpoint_url=endpoint, region_name=region))

    aws = registry.for_client(client("https://ecs.ap-south-1.amazonaws.com", "ap-south-1"))
    assert registry.for_client(client("https://ecs.ap-south-1.amazonaws.com", "ap-south-1")) is aws
    assert registry.for_client(client("https://ecs.eu-west-1.amazonaws.com", "eu-west-1")) is not aws
    assert registry.for_client(client("http://127.0.0.1:5000", "ap-south-1")) is not aws
    registry.clear()
    assert registry.for_client(client("https://ecs.ap-south-1.amazonaws.com", "ap-south-1")) is not aws


def test_threads_asking_at_once_all_get_the_same_buckets() -> None:
    registry = RateLimitRegistry()
    client = SimpleNamespace(meta=SimpleNamespace(endpoint_url="https://ecs", region_name="ap-south-1"))
    together = threading.Barrier(8, timeout=10)
    found = []

    def ask() -> None:
        together.wait()
        found.append(registry.for_client(client))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and all(limits is found[0] for limits in found)


def test_operations_outside_every_category_are_never_delayed(frozen_clock) -> None:
    limits = RateLimits(quotas={}, clock=frozen_clock, sleep=frozen_clock.sleep)
    assert [limits.acquire("UpdateService") for _ in range(500)] == [0.0] * 500
    assert frozen_clock.sleeps == []


@pytest.mark.parametrize(
    "capacity, refill, message",
    [
        (0, 5, "bucket capacity must be at least 1, not 0"),
        (10, 0, "bucket refill rate must be above 0 per second, not 0"),
    ],
)
def test_an_impossible_quota_is_refused_naming_the_value(capacity, refill, message) -> None:
    with pytest.raises(ValueError, match=message):
        BucketQuota(capacity, refill)
