"""The platform's steady state: what each watched metric reports when nothing is wrong.

The evaluator needs it before the fault (t < 0), so alarms look back over normal data rather
than missing data, and after it for every metric the fault leaves alone. It is data, in one
table: change it here, or per scenario in the ``steady_state:`` part of ``symptoms`` (keys are
``"Namespace MetricName"``; values a number, ``"{desired_count}"`` of the alarm's service, or
null for "publishes nothing when healthy").

A metric with no entry has no steady state: its alarms see missing data throughout (how that
counts depends on their treatMissingData), and ``Baseline.unbaselined`` names them so a report
can say the result rests on that.

Log-filter metrics have no entry: their steady state is log traffic. Every log group a metric
filter watches is taken to ingest non-matching events every minute (``busy_log_groups``), so a
filter with a default value reports it each minute, as CloudWatch does for a busy log group.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from typing import Mapping

from alarm_catalog import Catalog, MetricAlarm
from stack_config import Platform

from .exceptions import SymptomError
from .symptoms import SeriesKey, SteadyStateOverrides

STEADY_STATE_EVERY_S = 60  # every watched metric publishes one datapoint a minute

DEFAULT_STEADY_STATE: Mapping[str, "float | str | None"] = {
    # Container Insights reports each service every minute; a healthy one runs what it asks for.
    "ECS/ContainerInsights RunningTaskCount": "{desired_count}",
    # AWS/ECS service utilization, a minute at a time: comfortably below the alarms.
    "AWS/ECS CPUUtilization": 30,
    "AWS/ECS MemoryUtilization": 50,
    # One load-balancer target per task, every one healthy, behind an ALB or an NLB.
    "AWS/ApplicationELB HealthyHostCount": "{desired_count}",
    "AWS/ApplicationELB UnHealthyHostCount": 0,
    "AWS/NetworkELB HealthyHostCount": "{desired_count}",
    "AWS/NetworkELB UnHealthyHostCount": 0,
    # The ALB publishes 5xx counts only for minutes that had one: nothing when healthy.
    "AWS/ApplicationELB HTTPCode_Target_5XX_Count": None,
    "AWS/ApplicationELB HTTPCode_ELB_5XX_Count": None,
    # Route 53 reports each health check every minute: 1 while the URL answers 2xx/3xx.
    "AWS/Route53 HealthCheckStatus": 1,
    # The services' connection pools keep connections open.
    "AWS/RDS DatabaseConnections": 20,
    "AWS/RDS CPUUtilization": 20,
    "AWS/RDS FreeableMemory": 2 * 1024**3,
    # The events-consumer keeps up: a handful of jobs waiting at any time.
    "Zelly/Queues WaitingJobs": 10,
}


@dataclass(frozen=True)
class Baseline:
    """Concrete steady state for one catalog: a value per series, reported every ``every_s``."""

    values: Mapping[SeriesKey, float] = field(default_factory=dict)
    busy_log_groups: frozenset[str] = frozenset()
    unbaselined: tuple[str, ...] = ()
    every_s: int = STEADY_STATE_EVERY_S


NO_STEADY_STATE = Baseline()  # every metric missing unless a symptom reports it


def steady_state(
    catalog: Catalog,
    platform: Platform,
    overrides: SteadyStateOverrides | None = None,
    table: Mapping[str, "float | str | None"] = DEFAULT_STEADY_STATE,
) -> Baseline:
    """The steady state of every series ``catalog`` watches on ``platform``.

    ``overrides`` (a scenario's) win over ``table`` (the platform's defaults).
    """
    table = {**table, **(overrides or {})}
    _check_overrides(overrides or {}, catalog)
    values: dict[SeriesKey, float] = {}
    unbaselined: list[str] = []
    for alarm in catalog.metric_alarms:
        if alarm.log_metric_filter is not None:
            continue
        metric = metric_label(alarm)
        if metric not in table:
            unbaselined.append(alarm.name)
            continue
        value = table[metric]
        if value is not None:
            key = SeriesKey.of(alarm.namespace, alarm.metric_name, alarm.dimensions)
            values[key] = _value(value, alarm, platform)
    busy = frozenset(f.log_group for f in catalog.log_metric_filters)
    return Baseline(values, busy, tuple(unbaselined))


def metric_label(alarm: MetricAlarm) -> str:
    """The steady-state table's key for an alarm's metric: ``"Namespace MetricName"``."""
    return f"{alarm.namespace} {alarm.metric_name}"


def _check_overrides(overrides: SteadyStateOverrides, catalog: Catalog) -> None:
    watched = {metric_label(a) for a in catalog.metric_alarms if a.log_metric_filter is None}
    for metric, value in overrides.items():
        if metric not in watched:
            raise SymptomError(
                f"steady_state: no catalog alarm watches {metric!r} (watched: {', '.join(sorted(watched))})"
            )
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
            raise SymptomError(
                f'steady_state.{metric}: expected a number, "{{desired_count}}" or null, got {value!r}'
            )


def _value(spec: "float | str", alarm: MetricAlarm, platform: Platform) -> float:
    if not isinstance(spec, str):
        return _finite(spec, alarm)
    variables = {}
    if alarm.service is not None:
        variables["desired_count"] = platform.service(alarm.service).desired_count
    fields = {name for _, name, _, _ in string.Formatter().parse(spec) if name is not None}
    missing = sorted(fields - set(variables))
    if missing:
        raise SymptomError(
            f"steady_state.{metric_label(alarm)}: {{{missing[0]}}} has no value for "
            f"alarm {alarm.name} (only {{desired_count}} of a per-service alarm)"
        )
    try:
        return _finite(float(spec.format_map(variables)), alarm)
    except ValueError:
        raise SymptomError(f"steady_state.{metric_label(alarm)}: {spec!r} is not a number") from None


def _finite(value: float, alarm: MetricAlarm) -> float:
    if not math.isfinite(float(value)):
        raise SymptomError(f"steady_state.{metric_label(alarm)}: {value!r} is not a finite number")
    return float(value)
