"""Load ``alarms.yaml`` and validate it whole, before anything is expanded or deployed.

Keys are camelCase, like CloudWatch's API (``comparisonOperator``, ``evaluationPeriods``).
Unknown keys, unknown severities, operators, statistics or guide sections, and template
variables a scope does not offer are all errors that name the entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from stack_config import LOAD_BALANCER_TYPES, StackConfigError
from stack_config.strict_yaml import load_yaml
from stack_config.typed_mapping import build

from .exceptions import CatalogError
from .render import check_fields
from .rules import RuleTemplate, parse_rule
from .variables import FOR_EACH_SCOPES, LOAD_BALANCER_SCOPES, NAMED_SERVICE_VARIABLES, SCOPE_VARIABLES
from .vocabulary import (
    COMPARISON_OPERATORS,
    GUIDE_SECTIONS,
    HEALTH_CHECK_MAX_FAILURE_THRESHOLD,
    HEALTH_CHECK_REQUEST_INTERVALS,
    HIGH_RESOLUTION_PERIODS,
    MAX_EVALUATION_SECONDS,
    SEVERITIES,
    STATISTICS,
    TREAT_MISSING_DATA,
)

CATALOG_PATH = Path(__file__).resolve().parent / "alarms.yaml"


def _one_of(value: Any, allowed: Iterable[str], where: str, what: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise CatalogError(f"{where}: {value!r} is not a known {what} ({', '.join(allowed)})")


@dataclass(frozen=True)
class Condition:
    """When the alarm fires: ``datapointsToAlarm`` of the last ``evaluationPeriods`` breach."""

    comparison_operator: str
    threshold: Any  # a number, or a template such as "{desired_count}"
    evaluation_periods: int
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"

    def validate(self, path: str) -> None:
        _one_of(
            self.comparison_operator,
            COMPARISON_OPERATORS,
            f"{path}.comparisonOperator",
            "comparison operator",
        )
        _one_of(
            self.treat_missing_data, TREAT_MISSING_DATA, f"{path}.treatMissingData", "treatMissingData value"
        )
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float, str)):
            raise CatalogError(
                f"{path}.threshold: expected a number or a {{variable}}, got {self.threshold!r}"
            )
        if not 1 <= self.evaluation_periods <= 100:
            raise CatalogError(f"{path}.evaluationPeriods: {self.evaluation_periods} is outside 1..100")
        if not 1 <= self.datapoints <= self.evaluation_periods:
            raise CatalogError(
                f"{path}.datapointsToAlarm: {self.datapoints_to_alarm} is outside "
                f"1..evaluationPeriods ({self.evaluation_periods})"
            )

    @property
    def datapoints(self) -> int:
        return self.evaluation_periods if self.datapoints_to_alarm is None else self.datapoints_to_alarm


def _check_period(period: int, statistic: str, condition: Condition, path: str) -> None:
    _one_of(statistic, STATISTICS, f"{path}.statistic", "statistic")
    if period not in HIGH_RESOLUTION_PERIODS and (period < 60 or period % 60):
        raise CatalogError(f"{path}.period: {period} s is not 10, 30 or a multiple of 60")
    if period * condition.evaluation_periods > MAX_EVALUATION_SECONDS:
        raise CatalogError(f"{path}: period x evaluationPeriods exceeds one day")


@dataclass(frozen=True)
class LoadBalancerMetric:
    """What one load-balancer type changes in a metric: any of namespace, name, statistic, dimensions."""

    namespace: str | None = None
    name: str | None = None
    statistic: str | None = None
    dimensions: dict[str, str] | None = None


@dataclass(frozen=True)
class MetricSpec:
    """The metric an alarm watches.

    ``byLoadBalancerType`` (web_service and load_balancer scopes): per load-balancer type
    (application, network), what differs from the keys above. An alarm is created only for the
    types listed: a metric one type does not publish (an NLB counts no HTTP status codes) has no
    alarm behind that type.
    """

    statistic: str
    period: int
    namespace: str | None = None
    name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    by_load_balancer_type: dict[str, LoadBalancerMetric] = field(default_factory=dict)

    def for_type(self, load_balancer_type: str | None) -> "MetricSpec | None":
        """The metric behind ``load_balancer_type``; None when the alarm does not exist for it."""
        if not self.by_load_balancer_type:
            return self
        variant = self.by_load_balancer_type.get(load_balancer_type or "")
        if variant is None:
            return None
        return MetricSpec(
            statistic=variant.statistic or self.statistic,
            period=self.period,
            namespace=variant.namespace or self.namespace,
            name=variant.name or self.name,
            dimensions=self.dimensions if variant.dimensions is None else variant.dimensions,
        )

    def variants(self) -> tuple["MetricSpec", ...]:
        """Every concrete metric this spec can stand for (one per listed type, or itself)."""
        if not self.by_load_balancer_type:
            return (self,)
        return tuple(v for t in self.by_load_balancer_type if (v := self.for_type(t)) is not None)

    def check(self, path: str, scope: str | None, condition: "Condition") -> None:
        for kind in self.by_load_balancer_type:
            _one_of(kind, LOAD_BALANCER_TYPES, f"{path}.byLoadBalancerType", "load balancer type")
        if self.by_load_balancer_type and scope not in LOAD_BALANCER_SCOPES:
            raise CatalogError(
                f"{path}.byLoadBalancerType: only templates repeated over "
                f"{' or '.join(sorted(LOAD_BALANCER_SCOPES))} (or forService) sit behind a load balancer"
            )
        for variant in self.variants():
            where = f"{path}.byLoadBalancerType" if self.by_load_balancer_type else path
            for key, value in (("namespace", variant.namespace), ("name", variant.name)):
                if not value:
                    raise CatalogError(f"{where}: metric {key} is missing")
            _check_period(variant.period, variant.statistic, condition, path)

    def texts(self) -> tuple[tuple[str, str], ...]:
        """(key, template text) of every templated field, for the variable check."""
        found: list[tuple[str, str]] = []
        for index, variant in enumerate(self.variants()):
            prefix = "metric" if index == 0 else f"metric.byLoadBalancerType[{index}]"
            found += [
                (f"{prefix}.namespace", variant.namespace or ""),
                (f"{prefix}.name", variant.name or ""),
            ]
            found += [(f"{prefix}.dimensions.{k}", v) for k, v in variant.dimensions.items()]
        return tuple(found)


@dataclass(frozen=True)
class Placement:
    """Where a template repeats: once, ``forEach`` item of a scope, or ``forService`` one service."""

    for_each: str | None
    for_service: str | None

    def variables(self, path: str) -> frozenset[str]:
        if self.for_each is not None and self.for_service is not None:
            raise CatalogError(f"{path}: give forEach or forService, not both")
        if self.for_service is not None:
            return NAMED_SERVICE_VARIABLES
        if self.for_each is not None:
            _one_of(self.for_each, FOR_EACH_SCOPES, f"{path}.forEach", "scope")
        return SCOPE_VARIABLES[self.for_each]


@dataclass(frozen=True)
class MetricAlarmTemplate:
    id: str
    name: str
    severity: str
    guide_section: str
    description: str
    metric: MetricSpec
    condition: Condition
    for_each: str | None = None
    for_service: str | None = None
    # The guide ranks the same symptom differently per service (admin panel slow is P2).
    severity_by_service: dict[str, str] = field(default_factory=dict)
    guide_section_by_service: dict[str, str] = field(default_factory=dict)

    @property
    def placement(self) -> Placement:
        return Placement(self.for_each, self.for_service)

    def validate(self, path: str) -> None:
        allowed = self.placement.variables(path)
        _check_classification(
            self.severity, self.guide_section, self.severity_by_service, self.guide_section_by_service, path
        )
        scope = "web_service" if self.for_service is not None else self.for_each
        self.metric.check(f"{path}.metric", scope, self.condition)
        for key, text in (
            ("name", self.name),
            ("description", self.description),
            *self.metric.texts(),
            *_threshold_text(self.condition),
        ):
            check_fields(text, allowed, f"{path}.{key}")


@dataclass(frozen=True)
class FilterMetric:
    namespace: str
    name: str
    value: str = "1"
    default_value: float | None = None


@dataclass(frozen=True)
class FilterAlarm:
    """The alarm on a filter's metric. ``nonProductionSeverity``: its level on a stack with
    ``production: false`` (P3 when unset, as the guide classes non-production incidents)."""

    name: str
    severity: str
    guide_section: str
    description: str
    statistic: str
    period: int
    condition: Condition
    non_production_severity: str | None = None


@dataclass(frozen=True)
class LogMetricFilterTemplate:
    """A metric filter and the alarm on its metric.

    ``pattern`` is literal (filter patterns use braces) except for the ``{variable}`` fields
    named in ``patternVariables``, which are replaced by their values; a pattern that holds a
    ``{variable}`` of its scope without listing it is refused (it would match the text
    "{variable}").
    """

    id: str
    name: str
    log_group: str
    pattern: str
    metric: FilterMetric
    alarm: FilterAlarm
    for_each: str | None = None
    for_service: str | None = None
    pattern_variables: tuple[str, ...] = ()

    @property
    def placement(self) -> Placement:
        return Placement(self.for_each, self.for_service)

    def validate(self, path: str) -> None:
        allowed = self.placement.variables(path)
        _check_classification(self.alarm.severity, self.alarm.guide_section, {}, {}, f"{path}.alarm")
        _check_non_production(self.alarm, f"{path}.alarm")
        self._check_pattern_variables(allowed, path)
        _check_period(self.alarm.period, self.alarm.statistic, self.alarm.condition, f"{path}.alarm")
        for key, text in (
            ("name", self.name),
            ("logGroup", self.log_group),
            ("metric.namespace", self.metric.namespace),
            ("metric.name", self.metric.name),
            ("alarm.name", self.alarm.name),
            ("alarm.description", self.alarm.description),
            *_threshold_text(self.alarm.condition, "alarm."),
        ):
            check_fields(text, allowed, f"{path}.{key}")

    def _check_pattern_variables(self, allowed: frozenset[str], path: str) -> None:
        listed = set(self.pattern_variables)
        for name in self.pattern_variables:
            if name not in allowed:
                raise CatalogError(
                    f"{path}.patternVariables: unknown template variable {{{name}}} "
                    f"(variables here: {', '.join(sorted(allowed))})"
                )
            if f"{{{name}}}" not in self.pattern:
                raise CatalogError(f"{path}.patternVariables: the pattern does not use {{{name}}}")
        for name in sorted(allowed - listed):
            if f"{{{name}}}" in self.pattern:
                raise CatalogError(
                    f"{path}.pattern: uses {{{name}}} without listing it in patternVariables "
                    "(patterns are literal otherwise, so it would match the text itself)"
                )


@dataclass(frozen=True)
class HealthCheckAlarm(FilterAlarm):
    """The alarm on a health check's status; its level may differ per service, as elsewhere."""

    severity_by_service: dict[str, str] = field(default_factory=dict)
    guide_section_by_service: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheckTemplate:
    """An external Route 53 health check of a URL and the alarm on its ``HealthCheckStatus``.

    Route 53 checkers in several regions request ``url`` every ``requestInterval`` seconds; the
    check is unhealthy after ``failureThreshold`` failures in a row (an HTTP(S) check passes on a
    2xx or 3xx answer). The alarm lives in us-east-1, where Route 53 publishes the metric.
    """

    id: str
    name: str
    url: str
    alarm: HealthCheckAlarm
    request_interval: int = 30
    failure_threshold: int = 3
    for_each: str | None = None
    for_service: str | None = None

    @property
    def placement(self) -> Placement:
        return Placement(self.for_each, self.for_service)

    def validate(self, path: str) -> None:
        allowed = self.placement.variables(path)
        spec = self.alarm
        _check_classification(
            spec.severity, spec.guide_section, spec.severity_by_service, spec.guide_section_by_service, path
        )
        _check_non_production(spec, f"{path}.alarm")
        _check_period(spec.period, spec.statistic, spec.condition, f"{path}.alarm")
        if spec.period < 60:
            raise CatalogError(
                f"{path}.alarm.period: Route 53 publishes one datapoint a minute, not {spec.period} s"
            )
        if self.request_interval not in HEALTH_CHECK_REQUEST_INTERVALS:
            raise CatalogError(f"{path}.requestInterval: {self.request_interval} is not 10 or 30 (seconds)")
        if not 1 <= self.failure_threshold <= HEALTH_CHECK_MAX_FAILURE_THRESHOLD:
            raise CatalogError(
                f"{path}.failureThreshold: {self.failure_threshold} is outside "
                f"1..{HEALTH_CHECK_MAX_FAILURE_THRESHOLD}"
            )
        for key, text in (
            ("name", self.name),
            ("url", self.url),
            ("alarm.name", spec.name),
            ("alarm.description", spec.description),
            *_threshold_text(spec.condition, "alarm."),
        ):
            check_fields(text, allowed, f"{path}.{key}")


@dataclass(frozen=True)
class CompositeAlarmTemplate:
    id: str
    name: str
    severity: str
    guide_section: str
    description: str
    rule: Any

    def validate(self, path: str) -> None:
        _check_classification(self.severity, self.guide_section, {}, {}, path)
        for key, text in (("name", self.name), ("description", self.description)):
            check_fields(text, SCOPE_VARIABLES[None], f"{path}.{key}")
        self.parsed_rule(path)

    def parsed_rule(self, path: str) -> RuleTemplate:
        return parse_rule(self.rule, f"{path}.rule", SCOPE_VARIABLES[None])


def _check_classification(
    severity: str,
    section: str,
    severity_by_service: Mapping[str, str],
    section_by_service: Mapping[str, str],
    path: str,
) -> None:
    _one_of(severity, SEVERITIES, f"{path}.severity", "severity")
    _one_of(section, GUIDE_SECTIONS, f"{path}.guideSection", "guide section")
    for service, value in severity_by_service.items():
        _one_of(value, SEVERITIES, f"{path}.severityByService.{service}", "severity")
    for service, value in section_by_service.items():
        _one_of(value, GUIDE_SECTIONS, f"{path}.guideSectionByService.{service}", "guide section")


def _check_non_production(alarm: FilterAlarm, path: str) -> None:
    if alarm.non_production_severity is not None:
        _one_of(alarm.non_production_severity, SEVERITIES, f"{path}.nonProductionSeverity", "severity")


def _threshold_text(condition: Condition, prefix: str = "") -> tuple[tuple[str, str], ...]:
    if isinstance(condition.threshold, str):
        return ((f"{prefix}condition.threshold", condition.threshold),)
    return ()


@dataclass(frozen=True)
class CatalogTemplates:
    metric_alarms: tuple[MetricAlarmTemplate, ...]
    log_metric_filters: tuple[LogMetricFilterTemplate, ...]
    composite_alarms: tuple[CompositeAlarmTemplate, ...]
    health_checks: tuple[HealthCheckTemplate, ...] = ()


_SECTIONS = {
    "metricAlarms": MetricAlarmTemplate,
    "logMetricFilters": LogMetricFilterTemplate,
    "healthChecks": HealthCheckTemplate,
    "compositeAlarms": CompositeAlarmTemplate,
}
_VERSION = 1


def parse_templates(data: Any, source: str) -> CatalogTemplates:
    """Validate a whole catalog document; the first problem found is raised, naming its entry."""
    if not isinstance(data, Mapping):
        raise CatalogError(f"{source}: expected a mapping at the top level")
    unknown = sorted(set(map(str, data)) - {"version", *_SECTIONS})
    if unknown:
        raise CatalogError(
            f"{source}: unknown top-level key {unknown[0]!r} (allowed: version, {', '.join(_SECTIONS)})"
        )
    if data.get("version") != _VERSION:
        raise CatalogError(f"{source}: version must be {_VERSION}, got {data.get('version')!r}")
    sections = {
        key: _parse_section(data.get(key, []), cls, f"{source}: {key}") for key, cls in _SECTIONS.items()
    }
    _require_unique_ids(sections, source)
    return CatalogTemplates(
        sections["metricAlarms"],
        sections["logMetricFilters"],
        sections["compositeAlarms"],
        sections["healthChecks"],
    )


def _parse_section(entries: Any, cls: type, where: str) -> tuple[Any, ...]:
    if not isinstance(entries, list):
        raise CatalogError(f"{where}: expected a list of entries")
    return tuple(_parse_entry(raw, cls, f"{where}[{index}]") for index, raw in enumerate(entries))


def _parse_entry(raw: Any, cls: type, where: str) -> Any:
    entry_id = raw.get("id") if isinstance(raw, Mapping) else None
    path = f"{where} ({entry_id})" if isinstance(entry_id, str) else where
    try:
        return build(cls, raw, path)
    except StackConfigError as error:
        raise CatalogError(str(error)) from None


def _require_unique_ids(sections: Mapping[str, tuple[Any, ...]], source: str) -> None:
    seen: set[str] = set()
    for key, entries in sections.items():
        for entry in entries:
            if entry.id in seen:
                raise CatalogError(f"{source}: {key}: duplicate template id {entry.id!r}")
            seen.add(entry.id)


def load_templates(path: Path = CATALOG_PATH) -> CatalogTemplates:
    """Read and validate the catalog file (cached per path: the file is read-only data)."""
    return _load_cached(Path(path).resolve())


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> CatalogTemplates:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: catalog file not found") from None
    except yaml.YAMLError as error:
        # One line: YAML errors quote the offending line over several.
        raise CatalogError(f"{path.name}: not valid YAML ({' '.join(str(error).split())})") from None
    return parse_templates(data, path.name)
