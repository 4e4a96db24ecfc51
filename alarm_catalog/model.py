"""The concrete alarm definitions of one platform, as the Pulumi program and the drills read them.

Every value is final: names, dimensions and thresholds are already expanded against the
platform, so a reader needs no template logic, only these dataclasses.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Callable, Mapping, Union

from .exceptions import CatalogError

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass(frozen=True)
class MetricAlarm:
    """One single-metric, static-threshold CloudWatch alarm.

    ``severity`` is the topic the alarm notifies on this platform; ``guide_severity`` is the
    level the guide gives the symptom in production (they differ on non-production platforms,
    which the guide classes as P3). ``region`` is None for the platform's region, else the
    region the metric is published in (us-east-1 for Route 53 health checks), where the alarm
    must be created. ``health_check`` names the catalog health check whose status it watches:
    its ``HealthCheckId`` dimension is then a stand-in the program replaces with the real ID.
    """

    name: str
    severity: str
    guide_severity: str
    guide_section: str
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str
    template: str
    service: str | None = None
    log_metric_filter: str | None = None
    region: str | None = None
    health_check: str | None = None

    def breaches(self, value: float) -> bool:
        """Whether one datapoint of the statistic breaches the threshold."""
        return _COMPARE[self.comparison_operator](value, self.threshold)


@dataclass(frozen=True)
class LogMetricFilter:
    """A metric filter that turns matching log lines into the metric one catalog alarm watches."""

    name: str
    log_group: str
    pattern: str
    metric_namespace: str
    metric_name: str
    metric_value: str
    default_value: float | None
    alarm_name: str
    template: str
    service: str | None = None


@dataclass(frozen=True)
class HealthCheck:
    """An external Route 53 health check of one URL, and the name of the alarm on its status.

    ``protocol`` is Route 53's type (HTTPS or HTTP); ``host``, ``port`` and ``resource_path`` are
    the URL's parts (the path keeps any query string, as Route 53's ResourcePath does).
    """

    name: str
    url: str
    protocol: str
    host: str
    port: int
    resource_path: str
    request_interval: int
    failure_threshold: int
    alarm_name: str
    template: str
    service: str | None = None


@dataclass(frozen=True)
class AlarmState:
    """``ALARM("name")``: true while the named catalog alarm is in ALARM."""

    alarm: str

    def expression(self) -> str:
        return f'ALARM("{self.alarm}")'

    def evaluate(self, states: Mapping[str, str]) -> bool:
        return states.get(self.alarm) == "ALARM"

    def alarm_names(self) -> tuple[str, ...]:
        return (self.alarm,)


@dataclass(frozen=True)
class AllOf:
    """True when every child is true (``AND``)."""

    children: tuple["RuleNode", ...]
    keyword = "AND"

    def expression(self) -> str:
        return _join(self.keyword, self.children)

    def evaluate(self, states: Mapping[str, str]) -> bool:
        return all(child.evaluate(states) for child in self.children)

    def alarm_names(self) -> tuple[str, ...]:
        return tuple(name for child in self.children for name in child.alarm_names())


@dataclass(frozen=True)
class AnyOf:
    """True when at least one child is true (``OR``)."""

    children: tuple["RuleNode", ...]
    keyword = "OR"

    def expression(self) -> str:
        return _join(self.keyword, self.children)

    def evaluate(self, states: Mapping[str, str]) -> bool:
        return any(child.evaluate(states) for child in self.children)

    def alarm_names(self) -> tuple[str, ...]:
        return tuple(name for child in self.children for name in child.alarm_names())


RuleNode = Union[AlarmState, AllOf, AnyOf]


def _join(keyword: str, children: tuple[RuleNode, ...]) -> str:
    parts = [
        child.expression()
        if isinstance(child, AlarmState) or len(child.children) == 1
        else f"({child.expression()})"
        for child in children
    ]
    return f" {keyword} ".join(parts)


@dataclass(frozen=True)
class CompositeAlarm:
    """An alarm over other catalog alarms' states, e.g. "every web service is down"."""

    name: str
    severity: str
    guide_severity: str
    guide_section: str
    description: str
    rule: RuleNode
    template: str

    @property
    def expression(self) -> str:
        """The AlarmRule text CloudWatch evaluates."""
        return self.rule.expression()

    @property
    def alarm_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.rule.alarm_names()))

    def evaluate(self, states: Mapping[str, str]) -> bool:
        """Whether the rule holds for ``{alarm name: "OK" | "ALARM" | "INSUFFICIENT_DATA"}``."""
        return self.rule.evaluate(states)


Alarm = Union[MetricAlarm, CompositeAlarm]


@dataclass(frozen=True)
class Catalog:
    """Every alarm, metric filter and health check of one platform."""

    metric_alarms: tuple[MetricAlarm, ...]
    log_metric_filters: tuple[LogMetricFilter, ...]
    composite_alarms: tuple[CompositeAlarm, ...]
    health_checks: tuple[HealthCheck, ...] = ()
    _by_name: dict[str, Alarm] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Alarm] = {}
        alarms: tuple[Alarm, ...] = (*self.metric_alarms, *self.composite_alarms)
        for alarm in alarms:
            if alarm.name in index:
                raise CatalogError(
                    f"two catalog alarms are named {alarm.name!r} "
                    f"(templates {index[alarm.name].template!r} and {alarm.template!r})"
                )
            index[alarm.name] = alarm
        object.__setattr__(self, "_by_name", index)

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        return (*self.metric_alarms, *self.composite_alarms)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def by_name(self, name: str) -> Alarm:
        try:
            return self._by_name[name]
        except KeyError:
            raise CatalogError(f"no catalog alarm is named {name!r}") from None

    def for_service(self, service: str) -> tuple[MetricAlarm, ...]:
        return tuple(a for a in self.metric_alarms if a.service == service)
