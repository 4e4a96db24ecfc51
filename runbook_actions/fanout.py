"""Run independent AWS calls concurrently: a bounded pool, with ECS calls paced to ECS's rate limits.

ECS throttles each account per Region with token buckets. A P0 fan-out over 200 services would
spend UpdateService's burst of 50 within a second, and the other 150 calls would come back as
ThrottlingException and lean on the SDK's retries (5 attempts, then a failure to rerun by hand).
A paced client spends the burst, then waits for refills, so every call goes through first time.

The buckets of a paced client start full and belong to that client: the real buckets are shared
by every caller in the account and Region, which no client can see, so pacing keeps one run
within the documented rates and the SDK's standard retries absorb throttling caused by others.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, TypeVar

from .constants import MAX_PARALLEL_CALLS

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BucketQuota:
    """``capacity`` calls at once (the burst rate), refilled at ``refill_per_second`` (sustained)."""

    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"bucket capacity must be at least 1, not {self.capacity}")
        if self.refill_per_second <= 0:
            raise ValueError(f"bucket refill rate must be above 0 per second, not {self.refill_per_second}")


# Source: "Request throttling for the Amazon ECS API", Amazon ECS API Reference, table "Request
# token bucket sizes and refill rates" (per account and Region; every action of a category
# draws from the category's one bucket). Only the categories the runbook actions call are here.
ECS_QUOTAS: dict[str, BucketQuota] = {
    "service-modify": BucketQuota(capacity=50, refill_per_second=5),
    "service-read": BucketQuota(capacity=100, refill_per_second=20),
    "tag-modify": BucketQuota(capacity=20, refill_per_second=10),
    "tag-read": BucketQuota(capacity=50, refill_per_second=20),
    "task-definition-modify": BucketQuota(capacity=20, refill_per_second=1),
    "task-definition-read": BucketQuota(capacity=50, refill_per_second=20),
}
ECS_OPERATION_CATEGORIES: dict[str, str] = {
    "CreateService": "service-modify",
    "DeleteService": "service-modify",
    "UpdateService": "service-modify",
    "DescribeServices": "service-read",
    "ListServices": "service-read",
    "TagResource": "tag-modify",
    "UntagResource": "tag-modify",
    "ListTagsForResource": "tag-read",
    "RegisterTaskDefinition": "task-definition-modify",
    "DeregisterTaskDefinition": "task-definition-modify",
    "DescribeTaskDefinition": "task-definition-read",
    "ListTaskDefinitions": "task-definition-read",
    "ListTaskDefinitionFamilies": "task-definition-read",
}


class TokenBucket:
    """A thread-safe token bucket: a call takes a token, or waits until the refill brings one.

    Each caller reserves its token under the lock (the count may go below zero: that is the
    queue) and sleeps outside it, so waiting callers are served in order and none holds the lock.
    """

    def __init__(
        self,
        quota: BucketQuota,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.quota = quota
        self._clock, self._sleep = clock, sleep
        self._tokens = float(quota.capacity)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting if there is none; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            refilled = self._tokens + (now - self._updated) * self.quota.refill_per_second
            self._tokens = min(float(self.quota.capacity), refilled) - 1
            self._updated = now
            wait = max(0.0, -self._tokens / self.quota.refill_per_second)
        if wait:
            self._sleep(wait)
        return wait


class RateLimits:
    """One bucket per API category; an operation outside every category is never delayed."""

    def __init__(
        self,
        quotas: Mapping[str, BucketQuota] | None = None,
        categories: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        quotas = ECS_QUOTAS if quotas is None else quotas
        self._categories = dict(ECS_OPERATION_CATEGORIES if categories is None else categories)
        self._buckets = {name: TokenBucket(quota, clock, sleep) for name, quota in quotas.items()}

    def quota_for(self, operation: str) -> BucketQuota | None:
        bucket = self._buckets.get(self._categories.get(operation, ""))
        return bucket.quota if bucket else None

    def acquire(self, operation: str) -> float:
        """Take a token for ``operation`` (e.g. ``UpdateService``); returns the seconds waited."""
        bucket = self._buckets.get(self._categories.get(operation, ""))
        return bucket.acquire() if bucket else 0.0


class PacedClient:
    """A boto3 client whose API methods first take a token from their category's bucket.

    Everything else (``meta``, ``exceptions``, ``get_paginator``) is the client's own.
    """

    def __init__(self, client: Any, limits: RateLimits) -> None:
        self.client = client
        self.limits = limits
        self._operations: Mapping[str, str] = client.meta.method_to_api_mapping

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        operation = self._operations.get(name)
        if operation is None or not callable(attribute):
            return attribute

        def paced_call(*args: Any, **kwargs: Any) -> Any:
            self.limits.acquire(operation)
            return attribute(*args, **kwargs)

        return paced_call


def paced(client: Any, limits: RateLimits | None = None) -> Any:
    """``client`` paced by ``limits`` (default: fresh buckets at the documented ECS quotas).

    A client that is already paced is returned unchanged, so limits chosen by a caller (shared
    across several actions, or none for a benchmark) win over a helper's default.
    """
    if isinstance(client, PacedClient):
        return client
    return PacedClient(client, limits or RateLimits())


class PacedClients:
    """An ``AwsClients`` whose ECS client is paced by one ``RateLimits``.

    Actions run with it share those buckets, as the actions of one account share AWS's.
    """

    def __init__(self, clients: Any, limits: RateLimits) -> None:
        self._clients = clients
        self._ecs = paced(clients.ecs, limits)

    def get(self, service: str) -> Any:
        return self._ecs if service == "ecs" else getattr(self._clients, service)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)


def fan_out(function: Callable[[T], R], items: Iterable[T], max_workers: int = MAX_PARALLEL_CALLS) -> list[R]:
    """``[function(item) for item in items]`` on at most ``max_workers`` threads, in input order.

    The first exception propagates. Pace the clients ``function`` uses (``paced``) when the
    items can outnumber an API's burst.
    """
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(function, items))
