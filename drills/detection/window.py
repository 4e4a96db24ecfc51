"""One metric alarm evaluation: datapoints -> per-period statistics -> ALARM / OK / INSUFFICIENT_DATA.

CloudWatch's rules, as "Configuring how CloudWatch alarms treat missing data" describes them
(its two worked tables are reproduced row by row in tests/detection):

- Each evaluation looks back over an *evaluation range* longer than ``evaluation_periods``
  (N). AWS does not publish its length; its only worked example uses N + 2 periods, which is
  the default here (``range_extra``).
- With at least N real datapoints in the range, the N most recent real ones are judged and the
  missing-data treatment is ignored: ALARM when ``datapoints_to_alarm`` (M) of them breach.
- With fewer, every real datapoint in the range is used and the shortfall is filled:
  ``breaching`` fills breaching points, ``notBreaching`` good ones. With ``missing`` and
  ``ignore`` nothing is filled: a range without any datapoint gives INSUFFICIENT_DATA
  (``missing``) or keeps the current state (``ignore``); otherwise M real breaching points
  alarm, and so does the "premature alarm" rule: every real point in the range breaches and
  the oldest is at least M periods old (``missing`` goes to ALARM, ``ignore`` keeps its state,
  as the documented tables show).
"""
from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Sequence

from alarm_catalog import MetricAlarm

from .errors import DetectionError

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
DEFAULT_RANGE_EXTRA = 2


@dataclass(frozen=True)
class Outcome:
    """The state one evaluation sets (None: the alarm keeps its state) and why."""

    state: str | None
    reason: str


class Series:
    """The raw datapoints of one metric series, sorted by time, for per-period statistics."""

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        ordered = sorted(points)
        self.times = [t for t, _ in ordered]
        self.values = [v for _, v in ordered]

    def periods(self, end: float, period: float, count: int, statistic: str) -> list[float | None]:
        """The statistic of each period ``[end - (i+1)p, end - ip)``, newest first; None when empty."""
        result: list[float | None] = []
        upper = bisect_left(self.times, end)
        for index in range(count):
            lower = bisect_left(self.times, end - (index + 1) * period, 0, upper)
            result.append(aggregate(self.values[lower:upper], statistic) if upper > lower else None)
            upper = lower
        return result


def aggregate(values: Sequence[float], statistic: str) -> float:
    """CloudWatch's statistic over one period's raw datapoints (pNN by nearest rank)."""
    if statistic == "Sum":
        return math.fsum(values)
    if statistic == "Average":
        return math.fsum(values) / len(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "SampleCount":
        return float(len(values))
    if statistic.startswith("p"):
        return _percentile(values, statistic)
    raise DetectionError(f"statistic {statistic!r} is not modelled (Sum, Average, Minimum, "
                         "Maximum, SampleCount, pNN)")


def _percentile(values: Sequence[float], statistic: str) -> float:
    try:
        fraction = float(statistic[1:]) / 100
    except ValueError:
        raise DetectionError(f"statistic {statistic!r} is not a percentile like p90") from None
    if not 0 < fraction <= 1:
        raise DetectionError(f"statistic {statistic!r}: percentile outside 0..100")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def evaluate_window(values: Sequence[float | None], alarm: MetricAlarm) -> Outcome:
    """The outcome of one evaluation over the evaluation range ``values`` (newest first)."""
    n, m = alarm.evaluation_periods, alarm.datapoints_to_alarm
    real = [(age, alarm.breaches(v)) for age, v in enumerate(values) if v is not None]
    if len(real) >= n:
        breaching = sum(hit for _, hit in real[:n])
        return _judge(breaching, m, f"{breaching} of the {n} most recent datapoints breach")
    treatment = alarm.treat_missing_data
    filled = n - len(real)
    breaching = sum(hit for _, hit in real)
    detail = f"{len(real)} real datapoint(s) in range, {breaching} breaching"
    if treatment == "breaching":
        return _judge(breaching + filled, m, f"{detail}, {filled} missing treated as breaching")
    if treatment == "notBreaching":
        return _judge(breaching, m, f"{detail}, {filled} missing treated as not breaching")
    if treatment not in ("missing", "ignore"):
        raise DetectionError(f"{alarm.name}: treatMissingData {treatment!r} is not modelled")
    if not real:
        return Outcome(INSUFFICIENT_DATA if treatment == "missing" else None,
                       f"no datapoint in the evaluation range (treatMissingData {treatment})")
    if breaching < m and _premature(real, m):
        return Outcome(ALARM if treatment == "missing" else None,
                       f"{detail}; all real datapoints breach and the oldest is "
                       f"{real[-1][0] + 1} periods old (premature-alarm rule, {treatment})")
    return _judge(breaching, m, detail)


def _premature(real: list[tuple[int, bool]], m: int) -> bool:
    return all(hit for _, hit in real) and real[-1][0] + 1 >= m


def _judge(breaching: int, m: int, detail: str) -> Outcome:
    if breaching >= m:
        return Outcome(ALARM, f"{detail} (need {m})")
    return Outcome(OK, f"{detail} (need {m})")
