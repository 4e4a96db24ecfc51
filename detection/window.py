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

Sliding windows (``sliding_range``): the alarm evaluates every minute, and each evaluation's
newest period ``[T - period, T)`` is one datapoint, so for periods longer than the cadence
successive datapoints overlap. The range's datapoints are spaced one period apart back from
the *most recent real* one: the newest window, ending at an evaluation minute at or before T,
that held data. When ``[T - period, T)`` is empty, reaching back exactly one period instead
would skip the windows in between and judge again data that those later windows had already
seen slide out (a burst of events: ALARM, OK, ALARM again with nothing new). On a fixed grid
(one-minute periods, or ``wall_clock``) the two are the same.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Sequence

from alarm_catalog import MetricAlarm

from .exceptions import DetectionError

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

    def newest_window_end(self, end: float, period: float, step: float) -> float | None:
        """The latest multiple of ``step`` at or before ``end`` whose period
        ``[e - period, e)`` holds a datapoint; None when no datapoint is before ``end``.

        ``end`` must be a multiple of ``step`` and ``period`` at least ``step``."""
        newest = bisect_left(self.times, end) - 1
        if newest < 0:
            return None
        # Every window ending in (t, t + period] holds the point at t; take the latest such end.
        return min(end, math.floor((self.times[newest] + period) / step) * step)


def sliding_range(
    series: Series, end: float, period: float, count: int, statistic: str, step: float
) -> list[float | None]:
    """A sliding-window alarm's evaluation range at ``end`` (``count`` periods, newest first).

    The datapoints are spaced one period apart back from the newest window that held data (see
    the module docstring); each keeps its age in whole periods before ``end``, and only periods
    wholly inside ``[end - count * period, end)`` count.
    """
    anchor = series.newest_window_end(end, period, step)
    if anchor is None:
        return [None for _ in range(count)]
    lag = int((end - anchor) // period)
    fitting = int((anchor - (end - count * period)) // period)
    missing: list[float | None] = [None] * lag
    values = missing + series.periods(anchor, period, max(fitting, 0), statistic)
    return values + [None] * (count - len(values))


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
    raise DetectionError(
        f"statistic {statistic!r} is not modelled (Sum, Average, Minimum, Maximum, SampleCount, pNN)"
    )


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
        return Outcome(
            INSUFFICIENT_DATA if treatment == "missing" else None,
            f"no datapoint in the evaluation range (treatMissingData {treatment})",
        )
    if breaching < m and _premature(real, m):
        return Outcome(
            ALARM if treatment == "missing" else None,
            f"{detail}; all real datapoints breach and the oldest is "
            f"{real[-1][0] + 1} periods old (premature-alarm rule, {treatment})",
        )
    return _judge(breaching, m, detail)


def _premature(real: list[tuple[int, bool]], m: int) -> bool:
    return all(hit for _, hit in real) and real[-1][0] + 1 >= m


def _judge(breaching: int, m: int, detail: str) -> Outcome:
    if breaching >= m:
        return Outcome(ALARM, f"{detail} (need {m})")
    return Outcome(OK, f"{detail} (need {m})")
