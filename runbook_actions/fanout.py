"""Run independent AWS calls concurrently: a bounded pool, with ECS calls paced to ECS's rate limits.

ECS throttles each account per Region with token buckets, one per category of actions:
UpdateService, CreateService and DeleteService share the "service modify" bucket (50 calls of
burst, refilled at 5 a second). A P0 fan-out over 200 services spends that burst within a
second; every call beyond it must wait for the refill, or it comes back ThrottlingException.

How the actions stay within it:

- **One set of buckets per ECS endpoint and Region for the whole process** (``RATE_LIMITS``),
  shared by every action and every fan-out, as every caller of the account shares AWS's: a
  restore-writes right after a stop-writes (one drill run, one Lambda container's next
  invocation) finds the bucket as stop-writes left it. When each action started with fresh,
  full buckets, that restore spent a burst the account no longer had, and 37 of 200 services
  failed after 5 attempts (issue 13).
- **Sized below the documented quotas** (``PACING_MARGIN``, 80% of burst and refill): the
  account's bucket also serves others (a deploy pipeline, service auto scaling, a second
  responder, the console), and calls paced exactly at the refill rate arrive unevenly; at 80%
  the account's bucket gains a token a second over this process and keeps 10 of its 50 in hand.
- **Every attempt takes a token, retries included** (botocore's ``before-send`` fires once per
  HTTP attempt), and **a ThrottlingException empties the category's bucket**: AWS just said the
  account has none, whatever this process believed (another process spent them: the CLI runs
  each action in its own process, and each Lambda function has its own containers). The calls
  queued behind it then go out at the paced refill rate, so a process that starts while the
  account's bucket is empty loses a few attempts, not services.
- Only calls made through a paced client (``paced``) draw tokens: the hooks act inside a paced
  call only (a thread-local), so the same boto3 client used directly (seeding an emulator) is
  not slowed.

botocore's adaptive retry mode (``constants.RETRY_MODE``) works beside the buckets, per client
and for all its operations: it stays off until the client's first throttling response, then caps
the client's send rate at 0.7 of the rate it measured and grows it back (CUBIC) as calls succeed.
The buckets are proactive (documented quotas, per category, before any throttle); adaptive mode
is reactive (competition nobody documents). Both wait in ``before-send``, the buckets first, and
a call goes out when both allow it; a throttled attempt is retried after the standard backoff
(up to 5 attempts) and takes a token again.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

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

    def scaled(self, factor: float) -> BucketQuota:
        """This quota with burst and refill multiplied by ``factor`` (the burst rounded down, >= 1)."""
        return BucketQuota(max(1, math.floor(self.capacity * factor)), self.refill_per_second * factor)


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
# The share of each documented quota this process allows itself (see the module docstring):
# service modify becomes 40 of burst and 4 a second, so 200 services take ~40 s from full
# buckets instead of ~30 s, and none is throttled.
PACING_MARGIN = 0.8
PACED_QUOTAS: dict[str, BucketQuota] = {name: q.scaled(PACING_MARGIN) for name, q in ECS_QUOTAS.items()}
# The error codes that mean "this account's bucket is empty" (ECS documents the first).
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


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
            self._refill()
            self._tokens -= 1
            wait = max(0.0, -self._tokens / self.quota.refill_per_second)
        if wait:
            self._sleep(wait)
        return wait

    def drain(self) -> None:
        """No token is left (AWS answered ThrottlingException): the queue already waiting stays."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)

    def _refill(self) -> None:
        now = self._clock()
        refilled = self._tokens + (now - self._updated) * self.quota.refill_per_second
        self._tokens = min(float(self.quota.capacity), refilled)
        self._updated = now


class RateLimits:
    """One bucket per API category; an operation outside every category is never delayed."""

    def __init__(
        self,
        quotas: Mapping[str, BucketQuota] | None = None,
        categories: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        quotas = PACED_QUOTAS if quotas is None else quotas
        self._categories = dict(ECS_OPERATION_CATEGORIES if categories is None else categories)
        self._buckets = {name: TokenBucket(quota, clock, sleep) for name, quota in quotas.items()}

    def quota_for(self, operation: str) -> BucketQuota | None:
        bucket = self._bucket(operation)
        return bucket.quota if bucket else None

    def acquire(self, operation: str) -> float:
        """Take a token for ``operation`` (e.g. ``UpdateService``); returns the seconds waited."""
        bucket = self._bucket(operation)
        return bucket.acquire() if bucket else 0.0

    def throttled(self, operation: str) -> None:
        """AWS throttled ``operation``: its category's bucket is empty at AWS, so here too."""
        bucket = self._bucket(operation)
        if bucket:
            bucket.drain()

    def _bucket(self, operation: str) -> TokenBucket | None:
        return self._buckets.get(self._categories.get(operation, ""))


class RateLimitRegistry:
    """The process's buckets: one ``RateLimits`` per (ECS endpoint, Region), made on first use.

    The endpoint stands for the account: a process acts for one account (the CLI and each Lambda
    function run as one identity), and an emulator has its own endpoint. Thread-safe; a Lambda
    container keeps it across invocations, as the account's buckets carry over between them.
    """

    def __init__(
        self,
        quotas: Mapping[str, BucketQuota] | None = None,
        categories: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = (quotas, categories, clock, sleep)
        self._limits: dict[tuple[str, str], RateLimits] = {}
        self._lock = threading.Lock()

    def for_client(self, client: Any) -> RateLimits:
        """The buckets of the endpoint and Region ``client`` (a boto3 client) calls."""
        key = (str(client.meta.endpoint_url), str(client.meta.region_name))
        with self._lock:
            limits = self._limits.get(key)
            if limits is None:
                limits = self._limits[key] = RateLimits(*self._settings)
            return limits

    def clear(self) -> None:
        """Forget every bucket: the next call starts from full ones, as a new process would."""
        with self._lock:
            self._limits.clear()


RATE_LIMITS = RateLimitRegistry()
_pool: Callable[..., Any] = ThreadPoolExecutor  # what fan_out runs on (see process_pacing)

# The RateLimits the current thread's paced call draws from (None outside a paced call).
_drawing = threading.local()
_HOOK_ID = "incident-guardrails-pacing"


@contextmanager
def _drawing_from(limits: RateLimits) -> Iterator[None]:
    previous = getattr(_drawing, "limits", None)
    _drawing.limits = limits
    try:
        yield
    finally:
        _drawing.limits = previous


def _take_token(event_name: str, **_: Any) -> None:
    """``before-send``: every HTTP attempt of a paced call waits for its token."""
    limits: RateLimits | None = getattr(_drawing, "limits", None)
    if limits is not None:
        limits.acquire(event_name.rsplit(".", 1)[-1])


def _note_throttling(response: Any = None, operation: Any = None, **_: Any) -> None:
    """``needs-retry``: a throttled attempt of a paced call empties its category's bucket."""
    limits: RateLimits | None = getattr(_drawing, "limits", None)
    if limits is None or not response or operation is None:
        return
    if response[1].get("Error", {}).get("Code") in THROTTLING_CODES:
        limits.throttled(operation.name)


def _install_hooks(client: Any) -> None:
    """Once per boto3 client. ``before-send`` first, so a call waits for its token before any
    other handler answers it (moto's in-process emulator answers there too)."""
    events = client.meta.events
    service = client.meta.service_model.service_id.hyphenize()
    events.register_first(f"before-send.{service}", _take_token, unique_id=f"{_HOOK_ID}-send")
    events.register(f"needs-retry.{service}", _note_throttling, unique_id=f"{_HOOK_ID}-retry")


class PacedClient:
    """A boto3 client whose API calls (each attempt, each page) first take a token from their
    category's bucket in ``limits``.

    Everything else (``meta``, ``exceptions``) is the client's own; ``get_paginator`` gives a
    paginator whose pages are paced.
    """

    def __init__(self, client: Any, limits: RateLimits) -> None:
        self.client = client
        self.limits = limits
        self._operations: Mapping[str, str] = client.meta.method_to_api_mapping
        _install_hooks(client)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name == "get_paginator":
            return lambda operation: _PacedPaginator(attribute(operation), self.limits)
        if name not in self._operations or not callable(attribute):
            return attribute

        def paced_call(*args: Any, **kwargs: Any) -> Any:
            with _drawing_from(self.limits):
                return attribute(*args, **kwargs)

        return paced_call


class _PacedPaginator:
    def __init__(self, paginator: Any, limits: RateLimits) -> None:
        self._paginator, self._limits = paginator, limits

    def paginate(self, **kwargs: Any) -> _PacedPages:
        return _PacedPages(self._paginator.paginate(**kwargs), self._limits)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._paginator, name)


class _PacedPages:
    """Iterating fetches each page inside a paced call (``search`` and the rest are not paced)."""

    def __init__(self, pages: Any, limits: RateLimits) -> None:
        self._pages, self._limits = pages, limits

    def __iter__(self) -> Iterator[Any]:
        pages = iter(self._pages)
        while True:
            with _drawing_from(self._limits):
                page = next(pages, _NO_PAGE)
            if page is _NO_PAGE:
                return
            yield page

    def build_full_result(self) -> Any:
        with _drawing_from(self._limits):
            return self._pages.build_full_result()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pages, name)


_NO_PAGE = object()


def paced(client: Any, limits: RateLimits | None = None) -> Any:
    """``client`` paced by ``limits`` (default: the process's buckets for its endpoint and Region).

    A client that is already paced is returned unchanged, so limits chosen by a caller (a test's
    fake clock, none for a benchmark) win over a helper's default.
    """
    if isinstance(client, PacedClient):
        return client
    return PacedClient(client, limits or RATE_LIMITS.for_client(client))


class PacedClients:
    """An ``AwsClients`` whose ECS client is paced by one ``RateLimits`` chosen by the caller."""

    def __init__(self, clients: Any, limits: RateLimits) -> None:
        self._clients = clients
        self._ecs = paced(clients.ecs, limits)

    def get(self, service: str) -> Any:
        return self._ecs if service == "ecs" else getattr(self._clients, service)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)


@contextmanager
def process_pacing(
    registry: RateLimitRegistry, pool: Callable[..., Any] = ThreadPoolExecutor
) -> Iterator[None]:
    """For the duration, the process's buckets are ``registry`` and fan-outs run on ``pool``
    (a ``ThreadPoolExecutor`` stand-in): how a model of AWS's clock (the benchmark's, the tests')
    puts every wait of the actions on that clock. Not for concurrent use with real actions."""
    global RATE_LIMITS, _pool
    previous = RATE_LIMITS, _pool
    RATE_LIMITS, _pool = registry, pool
    try:
        yield
    finally:
        RATE_LIMITS, _pool = previous


def fan_out(function: Callable[[T], R], items: Iterable[T], max_workers: int = MAX_PARALLEL_CALLS) -> list[R]:
    """``[function(item) for item in items]`` on at most ``max_workers`` threads, in input order.

    The first exception propagates. Pace the clients ``function`` uses (``paced``) when the
    items can outnumber an API's burst.
    """
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with _pool(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(function, items))
