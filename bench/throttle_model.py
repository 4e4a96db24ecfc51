"""ECS's request throttling, modelled where the emulator receives each request; and the pacing
the actions had before issue 13, to compare with.

ECS keeps one token bucket per category of actions for each account and Region
(``runbook_actions.aws.ECS_QUOTAS``: UpdateService, CreateService and DeleteService share the
service-modify bucket, 50 of burst refilled at 5 a second). A request that finds its bucket
empty is answered as ECS documents, HTTP 400 ``ThrottlingException`` "Rate exceeded", and does
nothing. ``EcsThrottle`` stands in front of moto's in-process emulator (its botocore
``before-send`` stubber, as tests/resilience does for injected failures), so every HTTP attempt,
retries included, meets the buckets, and botocore parses the answer as it would AWS's.

Time is a ``clock`` and a ``sleep`` given by the caller (real time by default; the tests give
a virtual clock); each ECS attempt takes ``latency_s``, half before the bucket is checked, half
after.

Shared by the benchmark and the tests (tests may import bench; bench never imports tests).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber

from runbook_actions.aws import ECS_OPERATION_CATEGORIES, ECS_QUOTAS, BucketQuota, PacedClient, RateLimits

ECS_EVENT = "before-send.ecs."


class _Bucket:
    """The account's side: a call takes a token or is refused; nothing waits."""

    def __init__(self, quota: BucketQuota, now: float) -> None:
        self.quota, self.tokens, self.updated = quota, float(quota.capacity), now

    def take(self, now: float) -> bool:
        refill = (now - self.updated) * self.quota.refill_per_second
        self.tokens, self.updated = min(float(self.quota.capacity), self.tokens + refill), now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def json_response(url: str, status: int, document: dict[str, Any]) -> AWSResponse:
    """An answer of a JSON 1.1 protocol service (ECS's)."""
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse(url, status, headers, _Body(json.dumps(document).encode()))


def throttling_response(url: str) -> AWSResponse:
    """ECS's answer to a throttled request."""
    return json_response(url, 400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


class EcsThrottle:
    """The account's ECS buckets, full when installed; counts what it admitted and throttled."""

    def __init__(
        self,
        quotas: Mapping[str, BucketQuota] = ECS_QUOTAS,
        categories: Mapping[str, str] = ECS_OPERATION_CATEGORIES,
        latency_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._quotas, self._categories = quotas, categories
        self._latency_s, self._clock, self._sleep = latency_s, clock, sleep
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.admitted: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    def now(self) -> float:
        return self._clock()

    def admit(self, operation: str) -> bool:
        with self._lock:
            category = self._categories.get(operation)
            bucket = self._buckets.get(category or "")
            if bucket is None and category in self._quotas:
                bucket = self._buckets[category] = _Bucket(self._quotas[category], self._clock())
            admitted = bucket is None or bucket.take(self._clock())
            (self.admitted if admitted else self.throttled)[operation] += 1
            return admitted

    @contextmanager
    def installed(self) -> Iterator[EcsThrottle]:
        """ECS requests meet the buckets (full now) before moto's emulator sees them."""
        self._buckets.clear()
        emulate = BotocoreStubber.__call__
        model = self

        def throttled_first(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            if not event_name.startswith(ECS_EVENT):
                return emulate(stubber, event_name, request, **kwargs)
            model._sleep(model._latency_s / 2)
            admitted = model.admit(event_name[len(ECS_EVENT) :])
            response = emulate(stubber, event_name, request, **kwargs) if admitted else None
            model._sleep(model._latency_s / 2)
            return response if admitted else throttling_response(request.url)

        BotocoreStubber.__call__ = throttled_first  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BotocoreStubber.__call__ = emulate  # type: ignore[method-assign]


class _PerCallPaced(PacedClient):
    """The ECS client as actions paced it before issue 13: a token per method call from buckets
    of its own (retries, pages and throttling answers unseen)."""

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        operation = self.client.meta.method_to_api_mapping.get(name)
        if operation is None or not callable(attribute):
            return attribute

        def paced_call(*args: Any, **kwargs: Any) -> Any:
            self.limits.acquire(operation)
            return attribute(*args, **kwargs)

        return paced_call


class PerActionPacing:
    """Clients paced as before issue 13, for one action: fresh, full buckets at the documented
    quotas for this action alone. Make one per action run."""

    def __init__(
        self,
        clients: Any,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clients = clients
        self._ecs = _PerCallPaced(clients.ecs, RateLimits(ECS_QUOTAS, clock=clock, sleep=sleep))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._ecs if name == "ecs" else getattr(self._clients, name)
