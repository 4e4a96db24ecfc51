"""Log lines -> the datapoints CloudWatch Logs metric filters publish.

Per ingested event: a match publishes ``metric_value`` (a number, or ``$.field`` of a JSON
event); a non-match publishes ``default_value`` when the filter has one, nothing otherwise
(CloudWatch: "the value reported ... when logs are ingested but no matching logs are found";
a minute without any ingested event publishes nothing). Raw per-event datapoints aggregate to
the same Sum, Minimum, Maximum and SampleCount as CloudWatch's per-minute statistic sets.

Steady-state traffic: each group in ``Baseline.busy_log_groups`` ingests one event a minute that
matches no filter, for the whole simulated time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from alarm_catalog import LogMetricFilter

from .baseline import Baseline
from .exceptions import FilterPatternError
from .filter_pattern import compile_pattern, parse_json_event, resolve_selector
from .symptoms import LogLine, SeriesKey, sample_times

Points = dict[SeriesKey, list[tuple[float, float]]]


def filter_series_key(log_filter: LogMetricFilter) -> SeriesKey:
    # The catalog's metric filters publish without dimensions.
    return SeriesKey.of(log_filter.metric_namespace, log_filter.metric_name)


def log_metric_points(
    filters: Iterable[LogMetricFilter],
    log_lines: Iterable[LogLine],
    baseline: Baseline,
    start_s: float,
    until_s: float,
) -> Points:
    """Every datapoint the metric filters publish from ``start_s`` until ``until_s``."""
    by_group: dict[str, list[LogLine]] = defaultdict(list)
    for line in log_lines:
        if line.at_s < until_s:
            by_group[line.log_group].append(line)
    points: Points = defaultdict(list)
    for log_filter in filters:
        series = points[filter_series_key(log_filter)]
        series.extend(filter_datapoints(log_filter, by_group.get(log_filter.log_group, ())))
        if log_filter.default_value is not None and log_filter.log_group in baseline.busy_log_groups:
            # Steady traffic matches no filter: it publishes the default value each minute.
            series.extend(
                (t, float(log_filter.default_value)) for t in sample_times(start_s, until_s, baseline.every_s)
            )
    return points


def filter_datapoints(log_filter: LogMetricFilter, lines: Iterable[LogLine]) -> list[tuple[float, float]]:
    """The datapoints one metric filter publishes for ``lines`` of its log group."""
    pattern = compile_pattern(log_filter.pattern)
    result = []
    for line in lines:
        if pattern.matches(line.message):
            value = metric_value(log_filter, line.message)
            if value is not None:
                result.append((line.at_s, value))
        elif log_filter.default_value is not None:
            result.append((line.at_s, float(log_filter.default_value)))
    return result


def metric_value(log_filter: LogMetricFilter, message: str) -> float | None:
    """A literal metric value, or the number at ``$.field`` of a JSON event (None if not numeric)."""
    spec = log_filter.metric_value.strip()
    if spec.startswith("$."):
        found = resolve_selector(parse_json_event(message), spec)
        return float(found) if isinstance(found, (int, float)) and not isinstance(found, bool) else None
    try:
        return float(spec)
    except ValueError:
        raise FilterPatternError(
            f"metric filter {log_filter.name}: metric value {spec!r} is neither "
            "a number nor a $.json.selector (space-delimited $fields are not "
            "modelled)"
        ) from None
