"""stop-writes, then restore-writes at once, at 200 services against ECS's throttle: 0 failures.

ECS is modelled in front of the in-process emulator (bench/throttle_model.py): the service-modify
bucket of 50 refilled at 5/s (and the other documented buckets), full at the start and shared by
every request; each attempt takes 50 ms; a request that finds its bucket empty is answered 400
ThrottlingException "Rate exceeded" and does nothing.

On a virtual clock (bench/virtual_time.py): the model, the process's buckets, the 50 ms
and botocore's retry backoff all wait on it, and the fan-out's 8 workers take part in it, so the
~90 s the two actions take on the model's clock run in a few seconds of CPU, and a loaded machine
changes nothing the model sees. botocore's adaptive limiter keeps real time; it stays off unless
AWS throttles.

The second test runs the same scenario with the pacing the actions had before (buckets of their
own per action, full at the documented quotas, a token per method call; standard retries): it
loses services (24 to 37 of 200 in runs so far), so the first test would fail without the change.

The third is the command line's case: each action in its own process, so restore-writes starts
with full buckets of its own while another process has left the account's bucket empty. Its
first calls are throttled, empty its buckets, and the rest wait their turn: nothing is lost.
Standard retries there: adaptive mode's limiter would slow it further, but in real time, which
the virtual clock cannot see.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Iterator

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config

from bench.stop_writes import REGION, bench_clients, stop_then_restore
from bench.throttle_model import EcsThrottle, PerActionPacing
from bench.virtual_time import VirtualClock
from runbook_actions import AwsClients, fanout
from runbook_actions.aws import RateLimitRegistry, default_config, process_pacing
from runbook_actions.constants import RETRY_MAX_ATTEMPTS

SERVICES = 200
LATENCY_S = 0.05


@pytest.fixture
def clock(monkeypatch) -> Iterator[VirtualClock]:
    """Every wait of the scenario on one virtual clock; the process's buckets fresh (a new process)."""
    clock = VirtualClock()
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=clock.sleep))
    with process_pacing(RateLimitRegistry(clock=clock, sleep=clock.sleep), clock.pool):
        yield clock


def run(clock: VirtualClock, clients: AwsClients, action_clients: Callable[[], Any]) -> dict[str, Any]:
    throttle = EcsThrottle(latency_s=LATENCY_S, clock=clock, sleep=clock.sleep)
    with clock.participant():
        return stop_then_restore(clients, SERVICES, throttle, action_clients)


def test_stop_then_restore_at_200_services_loses_none_with_the_shared_buckets(clock) -> None:
    clients = bench_clients()  # the production settings: adaptive retries, 5 attempts
    result = run(clock, clients, lambda: clients)
    assert (result["errors"], result["not_restored"]) == ({}, [])
    assert result["failed"] == {"stop-writes": [], "restore-writes": []}
    # Paced, not retried: ECS never had to say no. (160 calls after a burst of 40, at 4/s; then
    # 200 more at 4/s from the bucket stop-writes left empty.)
    assert result["throttled"] == {}
    assert result["model_s"] >= (2 * SERVICES - 40) / 4


def standard_retries() -> AwsClients:
    """Clients as before issue 13: botocore's standard retries, 5 attempts."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    standard = Config(retries={"mode": "standard", "total_max_attempts": RETRY_MAX_ATTEMPTS})
    return AwsClients(REGION, None, session, default_config(REGION).merge(standard))


def test_with_buckets_per_action_as_before_the_same_scenario_loses_services(clock) -> None:
    clients = standard_retries()
    result = run(clock, clients, lambda: PerActionPacing(clients, clock, clock.sleep))
    assert result["throttled"]["UpdateService"] > 0
    assert result["failed"]["restore-writes"], result


def test_a_new_process_finding_the_account_bucket_empty_loses_no_service(clock) -> None:
    clients = standard_retries()

    def new_process() -> AwsClients:
        fanout.RATE_LIMITS.clear()  # full buckets of its own
        return clients

    # stop-writes in another process spends the account's bucket to the last token (paced as before)
    actions = iter([lambda: PerActionPacing(clients, clock, clock.sleep), new_process])
    result = run(clock, clients, lambda: next(actions)())
    assert result["throttled"]["UpdateService"] > 0
    assert (result["errors"], result["not_restored"]) == ({}, [])
    assert result["failed"] == {"stop-writes": [], "restore-writes": []}
