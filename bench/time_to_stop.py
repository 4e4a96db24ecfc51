"""Time to writes stopped, on a model of AWS's clock: stop-writes against a one-call-per-service
loop, at any number of services, with and without ECS's throttle.

Both run in-process on moto (``mock_aws``, a fresh account per run) and on a virtual clock
(``bench.virtual_time``): every AWS call waits the modelled latency, ECS's buckets are modelled
in front of the emulator (``bench.throttle_model``: 50 of burst refilled at 5 a second for
``UpdateService``; a request finding its bucket empty is answered ``ThrottlingException``), and
the actions' own buckets, the fan-out's workers and botocore's retry back-off all wait on the
same clock. So the times are what the model says AWS would take, whatever else loads this
machine; the CPU time beside them is what the run cost here.

Two moments per run: **writes fenced** (stop-writes' last network ACL entry created: from then
on no application subnet reaches the database port) and **services at zero** (the last
successful ``UpdateService`` to 0). The loop has no fence: its writes stop only with its last
service. The loop is the guide's line as a script would run it, one ``update_service`` per
service, one after another, botocore's standard retries (a throttled call is retried up to 3
attempts and then counted as failed, and the loop goes on, as a shell loop would).
"""

from __future__ import annotations

from typing import Any, Callable

import boto3
from botocore.config import Config
from moto import mock_aws

from runbook_actions import invoke
from runbook_actions.aws import ECS_QUOTAS, PacedClients, RateLimits

from .model_clock import model_time
from .stats import spread, timed
from .stop_writes import APP_CIDRS, CLUSTER, DB_CLUSTER, INCIDENT, REGION, bench_clients, seed_cluster
from .virtual_time import VirtualClock

STOP_WRITES, LOOP = "stop-writes", "one call per service"


class Moments:
    """When (by the model's clock) the fence went up and the last service reached 0."""

    def __init__(self, ec2: Any, ecs: Any, clock: VirtualClock) -> None:
        self._clock, self.started = clock, clock()
        self.fenced: float | None = None
        self.at_zero: float | None = None
        self.updated = 0
        ec2.meta.events.register("after-call.ec2.CreateNetworkAclEntry", self._on_fence)
        ecs.meta.events.register("after-call.ecs.UpdateService", self._on_update)

    def _on_fence(self, http_response: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            self.fenced = self._clock() - self.started

    def _on_update(self, http_response: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            self.at_zero, self.updated = self._clock() - self.started, self.updated + 1


def script_client() -> Any:
    """The ECS client a script would make: botocore's standard retries, no pacing of its own."""
    return boto3.client(
        "ecs",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(region_name=REGION, retries={"mode": "standard"}),
    )


def one_call_per_service(ecs: Any, names: list[str]) -> int:
    """The guide's line per service; returns how many services it failed to scale."""
    failed = 0
    for name in names:
        try:
            ecs.update_service(cluster=CLUSTER, service=name, desiredCount=0)
        except ecs.exceptions.ClientError:
            failed += 1
    return failed


def stop_writes(clients: Any, names: list[str]) -> int:
    arguments = {
        "cluster": CLUSTER,
        "db_cluster": DB_CLUSTER,
        "incident_id": INCIDENT,
        "app_cidr": list(APP_CIDRS),
    }
    result = invoke("stop-writes", clients, arguments)
    return len(result.details.get("failed", [])) + len(result.details.get("not_stopped", []))


def run_once(variant: str, size: int, latency_s: float, throttled: bool) -> dict[str, Any]:
    clients = bench_clients()
    with mock_aws():
        names = seed_cluster(clients, size)
        loop_ecs = script_client()
        quotas = ECS_QUOTAS if throttled else {}
        with (
            model_time([clients.ssm, clients.ec2, clients.rds], latency_s, quotas) as (clock, throttle),
            throttle.installed(),
        ):
            # Not throttled: the actions' own pacing off too, to show what the fan-out alone does.
            action_clients = clients if throttled else PacedClients(clients, RateLimits(quotas={}))
            moments = Moments(clients.ec2, clients.ecs if variant == STOP_WRITES else loop_ecs, clock)
            if variant == STOP_WRITES:
                failed, cost = timed(lambda: stop_writes(action_clients, names))
            else:
                failed, cost = timed(lambda: one_call_per_service(loop_ecs, names))
            total = clock() - moments.started
    return {
        "writes_fenced_s": moments.fenced,
        "services_at_zero_s": moments.at_zero,
        "whole_run_s": total,
        "failed": failed,
        "cpu_s": cost.cpu_s,
    }


def measure(
    sizes: list[int], latency_s: float, repeats: int, progress: Callable[[str], None]
) -> list[dict[str, Any]]:
    rows = []
    for throttled in (False, True):
        for size in sizes:
            row: dict[str, Any] = {"services": size, "ecs_throttle_modelled": throttled}
            for variant in (STOP_WRITES, LOOP):
                progress(
                    f"time to writes stopped: {size} services, {variant}, {'throttled' if throttled else 'no throttle'}"
                )
                runs = [run_once(variant, size, latency_s, throttled) for _ in range(repeats)]
                row[variant] = _summary(runs)
            rows.append(row)
    return rows


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for key in ("writes_fenced_s", "services_at_zero_s", "whole_run_s", "cpu_s"):
        values = [run[key] for run in runs if run[key] is not None]
        summary[key] = spread(values) if values else None
    summary["failed"] = spread(run["failed"] for run in runs)
    return summary
