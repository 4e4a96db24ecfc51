"""The ``symptoms:`` section of a scenario: a compact format a person writes, validated whole.

::

    symptoms:
      metrics:
        - namespace: ECS/ContainerInsights
          metric: RunningTaskCount
          dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
          for_each: web_service      # or for_service: <name>; repeats the entry per item
          from_s: 0                  # the fault reaches this metric: its steady state stops here
          value: 0                   # reported every every_s (60) from from_s until to_s (horizon)
          # or  points: [[0, 4], [60, 0]]   explicit [t_s, value] datapoints
      logs:
        - log_group: "{service_log_group}"
          for_service: fastify-nova
          at_s: 30                   # the first line
          count: 10                  # lines (default 1) ...
          every_s: 6                 # ... this many seconds apart (needed when count > 1)
          message: "Razorpay API error: 502 Bad Gateway"   # literal, never templated
          # or  event: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey}  (JSON event)
      steady_state:                  # overrides of baseline.DEFAULT_STEADY_STATE
        "AWS/RDS DatabaseConnections": 40

Template variables are the alarm catalog's (``{cluster}``, ``{service}``, ``{desired_count}``,
``{target_group_dimension}``, ``{load_balancer_namespace}``, ``{health_check}``...), per scope:
``for_each: service | web_service | worker_service | load_balancer | public_service | queue`` or
``for_service: <name>``. Entries naming the same series add up; the series' steady state stops at
the earliest ``from_s``. A Route 53 health check's series is ``AWS/Route53 HealthCheckStatus``
with ``{HealthCheckId: "{health_check}"}``: offline, the check's name stands in for its ID.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from alarm_catalog import CatalogError
from alarm_catalog.render import template_fields
from alarm_catalog.variables import (
    FOR_EACH_SCOPES,
    NAMED_SERVICE_VARIABLES,
    SCOPE_VARIABLES,
    TargetGroupDimensions,
    scope_items,
)
from stack_config import Platform, StackConfigError
from stack_config.shapes import require_list, require_mapping

from .exceptions import SymptomError
from .symptoms import Hold, LogLine, MetricSeries, Symptoms

_SECTION_KEYS = {"metrics", "logs", "steady_state"}
_METRIC_KEYS = {
    "name",
    "namespace",
    "metric",
    "dimensions",
    "for_each",
    "for_service",
    "from_s",
    "value",
    "every_s",
    "to_s",
    "points",
}
_LOG_KEYS = {"name", "log_group", "for_each", "for_service", "at_s", "count", "every_s", "message", "event"}
Variables = Mapping[str, Any]


def parse_symptoms(
    data: Any, platform: Platform, target_groups: Mapping[str, TargetGroupDimensions] | None = None
) -> Symptoms:
    """Symptoms from a scenario's ``symptoms`` value; the first problem raises SymptomError.

    ``target_groups`` must be the one the catalog was expanded with, so ALB dimensions agree.
    """
    if data is None:
        return Symptoms()
    _require_mapping(data, "symptoms", _SECTION_KEYS)
    context = _Context(platform, target_groups)
    metrics = [
        series
        for i, raw in enumerate(_list(data.get("metrics", []), "symptoms.metrics"))
        for series in _metric_entry(raw, f"symptoms.metrics[{i}]", context)
    ]
    logs = [
        line
        for i, raw in enumerate(_list(data.get("logs", []), "symptoms.logs"))
        for line in _log_entry(raw, f"symptoms.logs[{i}]", context)
    ]
    return Symptoms(tuple(metrics), tuple(logs), _steady_state(data.get("steady_state", {})))


@dataclass(frozen=True)
class _Context:
    platform: Platform
    target_groups: Mapping[str, TargetGroupDimensions] | None


def _metric_entry(raw: Any, where: str, context: _Context) -> list[MetricSeries]:
    _require_mapping(raw, where, _METRIC_KEYS)
    for key in ("namespace", "metric"):
        if key not in raw:
            raise SymptomError(f"{where}: required key {key!r} is missing")
    if ("value" in raw) == ("points" in raw):
        raise SymptomError(f"{where}: give exactly one of value (held every every_s) or points")
    if "points" in raw and ("every_s" in raw or "to_s" in raw):
        raise SymptomError(f"{where}: every_s and to_s go with value, not with points")
    dimensions = raw.get("dimensions", {}) or {}
    _require_mapping(dimensions, f"{where}.dimensions", None)
    allowed, items = _scope(raw, where, context)
    from_s = _seconds(raw.get("from_s", 0), f"{where}.from_s")
    return [_series(raw, dimensions, from_s, allowed, variables, where) for variables in items]


def _series(
    raw: Mapping[str, Any],
    dimensions: Mapping[str, Any],
    from_s: float,
    allowed: frozenset[str],
    variables: Variables,
    where: str,
) -> MetricSeries:
    def text(value: Any, key: str) -> str:
        return _render(value, allowed, variables, f"{where}.{key}")

    namespace, metric_name = text(raw["namespace"], "namespace"), text(raw["metric"], "metric")
    rendered = {str(k): text(v, f"dimensions.{k}") for k, v in dimensions.items()}
    points = _points(raw.get("points", []), allowed, variables, f"{where}.points")
    hold = _hold(raw, allowed, variables, where)
    try:
        return MetricSeries(
            namespace=namespace,
            metric_name=metric_name,
            dimensions=rendered,
            points=points,
            from_s=from_s,
            hold=hold,
        )
    except SymptomError as error:  # cross-field checks (e.g. a point before from_s)
        raise SymptomError(f"{where}: {error}") from None


def _hold(raw: Mapping[str, Any], allowed: frozenset[str], variables: Variables, where: str) -> Hold | None:
    if "value" not in raw:
        return None
    to_s = raw.get("to_s")
    return Hold(
        value=_number(raw["value"], allowed, variables, f"{where}.value"),
        every_s=_positive(raw.get("every_s", 60), f"{where}.every_s"),
        to_s=None if to_s is None else _seconds(to_s, f"{where}.to_s"),
    )


def _points(
    raw: Any, allowed: frozenset[str], variables: Variables, where: str
) -> tuple[tuple[float, float], ...]:
    points = []
    for i, point in enumerate(_list(raw, where)):
        if not isinstance(point, list) or len(point) != 2:
            raise SymptomError(f"{where}[{i}]: expected [t_s, value], got {point!r}")
        points.append(
            (
                _seconds(point[0], f"{where}[{i}][0]"),
                _number(point[1], allowed, variables, f"{where}[{i}][1]"),
            )
        )
    return tuple(points)


def _log_entry(raw: Any, where: str, context: _Context) -> list[LogLine]:
    _require_mapping(raw, where, _LOG_KEYS)
    for key in ("log_group", "at_s"):
        if key not in raw:
            raise SymptomError(f"{where}: required key {key!r} is missing")
    message = _message(raw, where)
    at_s = _seconds(raw["at_s"], f"{where}.at_s")
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise SymptomError(f"{where}.count: expected a whole number >= 1, got {count!r}")
    if count > 1 and "every_s" not in raw:
        raise SymptomError(f"{where}: every_s is required when count > 1")
    every_s = _positive(raw.get("every_s", 1), f"{where}.every_s")
    allowed, items = _scope(raw, where, context)
    return [
        LogLine(
            _render(raw["log_group"], allowed, variables, f"{where}.log_group"),
            at_s + index * every_s,
            message,
        )
        for variables in items
        for index in range(count)
    ]


def _message(raw: Mapping[str, Any], where: str) -> str:
    if ("message" in raw) == ("event" in raw):
        raise SymptomError(f"{where}: give exactly one of message (text) or event (a JSON object)")
    if "message" in raw:
        if not isinstance(raw["message"], str):
            raise SymptomError(f"{where}.message: expected text, got {raw['message']!r}")
        return raw["message"]
    _require_mapping(raw["event"], f"{where}.event", None)
    return json.dumps(raw["event"], default=str)


def _steady_state(raw: Any) -> dict[str, Any]:
    _require_mapping(raw, "symptoms.steady_state", None)
    for metric, value in raw.items():
        where = f"symptoms.steady_state.{metric}"
        if not isinstance(metric, str) or len(metric.split()) != 2:
            raise SymptomError(f'{where}: keys are "Namespace MetricName"')
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
            raise SymptomError(f'{where}: expected a number, "{{desired_count}}" or null, got {value!r}')
    return dict(raw)


def _scope(raw: Mapping[str, Any], where: str, context: _Context) -> tuple[frozenset[str], list[Variables]]:
    """The variables allowed in an entry and their values for each repetition of it."""
    platform, target_groups = context.platform, context.target_groups
    for_each, for_service = raw.get("for_each"), raw.get("for_service")
    if for_each is not None and for_service is not None:
        raise SymptomError(f"{where}: give for_each or for_service, not both")
    if for_each is not None and for_each not in FOR_EACH_SCOPES:
        raise SymptomError(f"{where}.for_each: {for_each!r} is not one of {', '.join(FOR_EACH_SCOPES)}")
    allowed = NAMED_SERVICE_VARIABLES if for_service is not None else SCOPE_VARIABLES[for_each]
    try:
        items = [item.variables for item in scope_items(platform, for_each, for_service, target_groups)]
    except StackConfigError as error:
        raise SymptomError(f"{where}.for_service: {error}") from None
    # A scope this platform lacks (no public URL on staging) repeats the entry zero times: one
    # scenario serves every stack. Its variables are still checked where the scope has items.
    return allowed, items


def _render(value: Any, allowed: frozenset[str], variables: Variables, where: str) -> str:
    if not isinstance(value, str):
        raise SymptomError(f"{where}: expected text, got {value!r}")
    try:
        fields = template_fields(value, where)
    except CatalogError as error:
        raise SymptomError(str(error)) from None
    for name in sorted(fields):
        if name not in allowed:
            raise SymptomError(
                f"{where}: unknown variable {{{name}}} (variables here: {', '.join(sorted(allowed))})"
            )
        if variables.get(name) is None:
            raise SymptomError(f"{where}: variable {{{name}}} has no value here on this platform")
    return value.format_map(variables)


def _number(value: Any, allowed: frozenset[str], variables: Variables, where: str) -> float:
    if isinstance(value, str):
        rendered = _render(value, allowed, variables, where)
        try:
            value = float(rendered)
        except ValueError:
            raise SymptomError(f"{where}: {rendered!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SymptomError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SymptomError(f"{where}: expected a number of seconds, got {value!r}")
    if value < 0:
        raise SymptomError(f"{where}: {value} is before the fault; symptom times start at 0")
    seconds: float = value  # an int stays an int, as written in the scenario
    return seconds


def _positive(value: Any, where: str) -> float:
    seconds = _seconds(value, where)
    if seconds <= 0:
        raise SymptomError(f"{where}: expected a positive number of seconds, got {value!r}")
    return seconds


def _require_mapping(value: Any, where: str, allowed: set[str] | None) -> None:
    require_mapping(value, where, allowed, SymptomError)


def _list(value: Any, where: str) -> list[Any]:
    return require_list(value, where, SymptomError)
