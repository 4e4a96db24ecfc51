"""stop-writes, then restore-writes at once, against ECS's modelled throttle: how many services
each way of pacing loses.

``shared buckets`` is how the actions pace today (one set of buckets per account and Region for
the whole process, 80% of ECS's documented rates, botocore's adaptive retries); ``buckets per
action`` is how they paced before issue 13 (fresh, full buckets at the documented quotas for each
action, a token per method call, standard retries). Both on the model's clock
(``bench.model_clock``), ECS's buckets full at the start, every call 50 ms (by default).
"""

from __future__ import annotations

from typing import Any, Callable

import boto3
from botocore.config import Config

from runbook_actions import AwsClients
from runbook_actions.aws import default_config
from runbook_actions.constants import RETRY_MAX_ATTEMPTS

from .model_clock import model_time
from .stats import spread
from .stop_writes import REGION, bench_clients, stop_then_restore
from .throttle_model import PerActionPacing

SHARED, PER_ACTION = "shared buckets (today)", "buckets per action (before issue 13)"


def standard_retry_clients() -> AwsClients:
    """Clients as before issue 13: botocore's standard retries."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    standard = Config(retries={"mode": "standard", "total_max_attempts": RETRY_MAX_ATTEMPTS})
    return AwsClients(REGION, None, session, default_config(REGION).merge(standard))


def lost_services(pacing: str, size: int, latency_s: float) -> dict[str, Any]:
    """One stop-then-restore: the services either action failed or left below their count."""
    clients = bench_clients() if pacing == SHARED else standard_retry_clients()
    with model_time([clients.ssm, clients.ec2, clients.rds], latency_s) as (clock, throttle):
        per_action: Callable[[], Any] = (
            (lambda: clients) if pacing == SHARED else (lambda: PerActionPacing(clients, clock, clock.sleep))
        )
        result = stop_then_restore(clients, size, throttle, per_action)
    failed = set(result["failed"]["stop-writes"]) | set(result["failed"]["restore-writes"])
    return {
        "lost": len(failed | set(result["not_restored"])),
        "errors": result["errors"],
        "throttled": sum(result["throttled"].values()),
        "model_s": result["model_s"],
    }


def measure(size: int, latency_s: float, repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    rows: dict[str, Any] = {"services": size}
    for pacing in (SHARED, PER_ACTION):
        progress(f"stop then restore: {size} services, {pacing}, {repeats} runs")
        runs = [lost_services(pacing, size, latency_s) for _ in range(repeats)]
        rows[pacing] = {
            "lost_services": spread(run["lost"] for run in runs),
            "throttled_requests": spread(run["throttled"] for run in runs),
            "model_s": spread(run["model_s"] for run in runs),
            "errors": sorted({error for run in runs for error in run["errors"].values()}),
        }
    return rows
