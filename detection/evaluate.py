"""Which catalog alarms a fault's symptoms set off, and when, in simulated seconds.

Time runs from the fault (t = 0) to ``horizon_s``. Before the fault every alarm is OK and
every metric reports its steady state (``Baseline``). Metric alarms are evaluated once a
minute (every 10 s for periods under a minute), as CloudWatch does, on a sliding window that
ends at the evaluation time (CloudWatch's default ``SlidingWindow``): at time T the newest
period is ``[T - period, T)``, and when it is empty the range reaches back from the newest
earlier window that held data (window.py, ``sliding_range``). ``window="wall_clock"`` aligns
periods to multiples of the period instead (complete periods only). Composite alarms follow
their children at once: a composite's state at T is its rule over its children's states at T.

Not modelled (results are therefore lower bounds on real detection times): metric publishing
delay, alarm evaluation latency, notification delivery.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from alarm_catalog import PAGING_SEVERITIES, Catalog, CompositeAlarm, MetricAlarm
from stack_config import Platform

from .baseline import NO_STEADY_STATE, Baseline, steady_state
from .exceptions import DetectionError
from .log_metrics import filter_series_key, log_metric_points
from .symptoms import SeriesKey, Symptoms, sample_times
from .window import ALARM, DEFAULT_RANGE_EXTRA, OK, Outcome, Series, evaluate_window, sliding_range

WINDOWS = ("sliding", "wall_clock")
_EMPTY = Series(())


@dataclass(frozen=True)
class Firing:
    """An alarm going to ALARM: the page it sends (its severity's topic) and the guide section."""

    alarm_name: str
    severity: str
    guide_section: str
    at_s: float
    kind: str  # "metric" | "composite"

    @property
    def pages(self) -> bool:
        """P3 notifies the issue queue, not a person."""
        return self.severity in PAGING_SEVERITIES


@dataclass(frozen=True)
class Transition:
    alarm_name: str
    at_s: float
    old_state: str
    new_state: str
    reason: str


@dataclass(frozen=True)
class Detection:
    """The result: every state change and every firing, in simulated seconds after the fault.

    ``unbaselined``: metric alarms evaluated without any steady state (missing data unless a
    symptom reports the metric). ``unwatched``: symptom series and log groups no catalog alarm
    or metric filter watches (a typo, or a symptom the catalog does not cover).
    """

    horizon_s: float
    transitions: tuple[Transition, ...]
    fired: tuple[Firing, ...]
    unbaselined: tuple[str, ...] = ()
    unwatched: tuple[str, ...] = ()
    alarm_names: frozenset[str] = field(default=frozenset(), repr=False)

    def first_page(self, severity: str | None = None) -> Firing | None:
        """The earliest firing that notifies ``severity``'s topic (any paging one when None)."""
        for firing in self.fired:
            if (firing.severity == severity) if severity else firing.pages:
                return firing
        return None

    def first_firing(self, alarm_name: str) -> Firing | None:
        self._check(alarm_name)
        return next((f for f in self.fired if f.alarm_name == alarm_name), None)

    def state_at(self, alarm_name: str, t_s: float) -> str:
        """The alarm's state at ``t_s`` (OK before its first transition)."""
        self._check(alarm_name)
        state = OK
        for transition in self.transitions:
            if transition.at_s > t_s:
                break
            if transition.alarm_name == alarm_name:
                state = transition.new_state
        return state

    def _check(self, alarm_name: str) -> None:
        if alarm_name not in self.alarm_names:
            raise DetectionError(f"no catalog alarm is named {alarm_name!r}")


def detect(
    platform: Platform,
    catalog: Catalog,
    symptoms: Symptoms,
    *,
    horizon_s: float,
    window: str = "sliding",
    range_extra: int = DEFAULT_RANGE_EXTRA,
) -> Detection:
    """``evaluate_detection`` with the platform's steady state and the scenario's overrides."""
    baseline = steady_state(catalog, platform, symptoms.steady_state)
    return evaluate_detection(
        catalog, symptoms, horizon_s=horizon_s, baseline=baseline, window=window, range_extra=range_extra
    )


def evaluate_detection(
    catalog: Catalog,
    symptoms: Symptoms,
    *,
    horizon_s: float,
    baseline: Baseline | None = None,
    window: str = "sliding",
    range_extra: int = DEFAULT_RANGE_EXTRA,
) -> Detection:
    """Evaluate every catalog alarm from the fault (t = 0) to ``horizon_s``.

    ``baseline`` None means no steady state at all: every metric without a symptom is missing.
    """
    _check_options(horizon_s, window, range_extra)
    baseline = NO_STEADY_STATE if baseline is None else baseline
    start_s = -_lookback(catalog.metric_alarms, range_extra, baseline.every_s)
    series = _build_series(catalog, symptoms, baseline, start_s, horizon_s)
    run = _Run(catalog, series, window, range_extra)
    for tick in _ticks(catalog.metric_alarms, horizon_s):
        run.evaluate(tick)
    return Detection(
        horizon_s=horizon_s,
        transitions=tuple(run.transitions),
        fired=tuple(sorted(run.firings, key=lambda f: (f.at_s, f.alarm_name))),
        unbaselined=baseline.unbaselined,
        unwatched=_unwatched(catalog, symptoms),
        alarm_names=frozenset(catalog.names),
    )


class _Run:
    """The alarm states of one evaluation, advanced tick by tick."""

    def __init__(
        self, catalog: Catalog, series: dict[SeriesKey, Series], window: str, range_extra: int
    ) -> None:
        self.catalog, self.series, self.window, self.range_extra = catalog, series, window, range_extra
        self.states = {name: OK for name in catalog.names}
        self.transitions: list[Transition] = []
        self.firings: list[Firing] = []

    def evaluate(self, tick: float) -> None:
        for alarm in self.catalog.metric_alarms:
            if tick % _cadence(alarm) == 0:
                self._set(alarm, tick, self._metric_outcome(alarm, tick), "metric")
        for composite in self.catalog.composite_alarms:
            holds = composite.evaluate(self.states)
            outcome = Outcome(
                ALARM if holds else OK,
                f"rule {'holds' if holds else 'does not hold'}: {composite.expression}",
            )
            self._set(composite, tick, outcome, "composite")

    def _metric_outcome(self, alarm: MetricAlarm, tick: float) -> Outcome:
        key = SeriesKey.of(alarm.namespace, alarm.metric_name, alarm.dimensions)
        series, count = self.series.get(key, _EMPTY), alarm.evaluation_periods + self.range_extra
        if self.window == "sliding":
            values = sliding_range(series, tick, alarm.period, count, alarm.statistic, _cadence(alarm))
        else:
            end = (tick // alarm.period) * alarm.period
            values = series.periods(end, alarm.period, count, alarm.statistic)
        return evaluate_window(values, alarm)

    def _set(self, alarm: MetricAlarm | CompositeAlarm, tick: float, outcome: Outcome, kind: str) -> None:
        old = self.states[alarm.name]
        if outcome.state is None or outcome.state == old:
            return
        self.states[alarm.name] = outcome.state
        self.transitions.append(Transition(alarm.name, tick, old, outcome.state, outcome.reason))
        if outcome.state == ALARM:
            self.firings.append(Firing(alarm.name, alarm.severity, alarm.guide_section, tick, kind))


def _check_options(horizon_s: float, window: str, range_extra: int) -> None:
    if (
        isinstance(horizon_s, bool)
        or not isinstance(horizon_s, (int, float))
        or not math.isfinite(horizon_s)
        or horizon_s <= 0
    ):
        raise DetectionError(f"horizon_s: expected a positive number of seconds, got {horizon_s!r}")
    if window not in WINDOWS:
        raise DetectionError(f"window: {window!r} is not one of {', '.join(WINDOWS)}")
    if isinstance(range_extra, bool) or not isinstance(range_extra, int) or range_extra < 0:
        raise DetectionError(f"range_extra: expected a whole number >= 0, got {range_extra!r}")


def _cadence(alarm: MetricAlarm) -> int:
    """CloudWatch evaluates high-resolution alarms every 10 s, the others every minute."""
    return 10 if alarm.period < 60 else 60


def _ticks(alarms: Iterable[MetricAlarm], horizon_s: float) -> range:
    step = min((_cadence(a) for a in alarms), default=60)
    return range(step, int(horizon_s) + 1, step)


def _lookback(alarms: Iterable[MetricAlarm], range_extra: int, every_s: int) -> int:
    """How far before the fault the steady state must reach: the longest evaluation range."""
    longest = max(((a.evaluation_periods + range_extra) * a.period for a in alarms), default=0)
    return math.ceil(longest / every_s) * every_s + every_s


def _build_series(
    catalog: Catalog, symptoms: Symptoms, baseline: Baseline, start_s: float, horizon_s: float
) -> dict[SeriesKey, Series]:
    points: dict[SeriesKey, list[tuple[float, float]]] = defaultdict(list)
    steady_until: dict[SeriesKey, float] = {}
    for symptom in symptoms.metrics:
        points[symptom.key].extend(symptom.datapoints(horizon_s))
        steady_until[symptom.key] = min(steady_until.get(symptom.key, horizon_s), symptom.from_s)
    for key, value in baseline.values.items():
        until = steady_until.get(key, horizon_s)
        points[key].extend((t, value) for t in sample_times(start_s, until, baseline.every_s))
    for key, found in log_metric_points(
        catalog.log_metric_filters, symptoms.log_lines, baseline, start_s, horizon_s
    ).items():
        points[key].extend(found)
    return {key: Series(found) for key, found in points.items()}


def _unwatched(catalog: Catalog, symptoms: Symptoms) -> tuple[str, ...]:
    watched = {SeriesKey.of(a.namespace, a.metric_name, a.dimensions) for a in catalog.metric_alarms}
    watched |= {filter_series_key(f) for f in catalog.log_metric_filters}
    groups = {f.log_group for f in catalog.log_metric_filters}
    found = [f"metric {key}" for key in sorted(symptoms.series_keys() - watched)]
    found += [
        f"log group {group}" for group in sorted({line.log_group for line in symptoms.log_lines} - groups)
    ]
    return tuple(found)
