"""What a series of call times says about the rate they were made at."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from runbook_actions.aws import BucketQuota


def rate_summary(times: list[float], quota: BucketQuota) -> dict[str, Any]:
    """Calls per second overall and after the burst, and the most calls in any one second.

    A token bucket that starts full allows at most ``capacity + refill`` calls in any one
    second (the burst, then what refills during that second): ``within_quota`` checks that.
    """
    times = sorted(times)
    bound = quota.capacity + quota.refill_per_second
    summary: dict[str, Any] = {
        "calls": len(times),
        "max_calls_in_any_second": _peak(times),
        "quota_bound_per_second": bound,
    }
    summary["within_quota"] = summary["max_calls_in_any_second"] <= bound
    if len(times) > 1 and times[-1] > times[0]:
        summary["calls_per_s"] = round((len(times) - 1) / (times[-1] - times[0]), 2)
    after_burst = times[quota.capacity - 1 :]
    if len(after_burst) > 1 and after_burst[-1] > after_burst[0]:
        summary["calls_per_s_after_burst"] = round(
            (len(after_burst) - 1) / (after_burst[-1] - after_burst[0]), 2
        )
    return summary


def _peak(times: list[float]) -> int:
    """The most calls whose times fall within one second of the first of them."""
    return max((bisect_left(times, start + 1.0) - index for index, start in enumerate(times)), default=0)
