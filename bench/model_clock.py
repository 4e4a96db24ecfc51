"""AWS's clock, modelled: every wait of a run (the modelled latency of each call, ECS's buckets,
the actions' own buckets, the fan-out's workers, botocore's retry back-off) on one virtual clock.

A run's model time is then what the model says AWS would take, on any machine and under any
load; its wall time here is only the CPU it costs. botocore's adaptive retry limiter keeps real
time, which the clock cannot see: it stays off unless ECS throttles.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from types import SimpleNamespace
from typing import Any, Iterator, Mapping
from unittest import mock

import botocore.endpoint

from runbook_actions.aws import ECS_QUOTAS, BucketQuota, RateLimitRegistry, process_pacing

from .latency import ModelledLatency
from .throttle_model import EcsThrottle
from .virtual_time import VirtualClock


@contextmanager
def model_time(
    other_clients: list[Any], latency_s: float, ecs_quotas: Mapping[str, BucketQuota] = ECS_QUOTAS
) -> Iterator[tuple[VirtualClock, EcsThrottle]]:
    """The clock and ECS's modelled throttle (``ecs_quotas``; ``{}``: latency only; the caller
    installs it once its set-up is done), with the process's buckets fresh (a new process).
    ``other_clients`` (not ECS) wait ``latency_s`` per call. The calling thread takes part in the
    clock."""
    clock = VirtualClock()
    throttle = EcsThrottle(quotas=ecs_quotas, latency_s=latency_s, clock=clock, sleep=clock.sleep)
    with ExitStack() as stack:
        stack.enter_context(process_pacing(RateLimitRegistry(clock=clock, sleep=clock.sleep), clock.pool))
        stack.enter_context(mock.patch.object(botocore.endpoint, "time", SimpleNamespace(sleep=clock.sleep)))
        stack.enter_context(ModelledLatency(other_clients, latency_s, sleep=clock.sleep))
        stack.enter_context(clock.participant())
        yield clock, throttle
