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

from stack_config import StackConfigError
from stack_config.strict_yaml import load_yaml
from stack_config.typed_mapping import build

from .exceptions import CatalogError
from .render import check_fields
from .rules import RuleTemplate, parse_rule
from .variables import FOR_EACH_SCOPES, NAMED_SERVICE_VARIABLES, SCOPE_VARIABLES
from .vocabulary import (
    COMPARISON_OPERATORS,
    GUIDE_SECTIONS,
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
class MetricSpec:
    namespace: str
    name: str
    statistic: str
    period: int
    dimensions: dict[str, str] = field(default_factory=dict)


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
        _check_period(self.metric.period, self.metric.statistic, self.condition, f"{path}.metric")
        for key, text in (
            ("name", self.name),
            ("description", self.description),
            ("metric.namespace", self.metric.namespace),
            ("metric.name", self.metric.name),
            *((f"metric.dimensions.{k}", v) for k, v in self.metric.dimensions.items()),
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
    name: str
    severity: str
    guide_section: str
    description: str
    statistic: str
    period: int
    condition: Condition


@dataclass(frozen=True)
class LogMetricFilterTemplate:
    """A metric filter and the alarm on its metric. ``pattern`` is literal: filter patterns use braces."""

    id: str
    name: str
    log_group: str
    pattern: str
    metric: FilterMetric
    alarm: FilterAlarm
    for_each: str | None = None
    for_service: str | None = None

    @property
    def placement(self) -> Placement:
        return Placement(self.for_each, self.for_service)

    def validate(self, path: str) -> None:
        allowed = self.placement.variables(path)
        _check_classification(self.alarm.severity, self.alarm.guide_section, {}, {}, f"{path}.alarm")
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


def _threshold_text(condition: Condition, prefix: str = "") -> tuple[tuple[str, str], ...]:
    if isinstance(condition.threshold, str):
        return ((f"{prefix}condition.threshold", condition.threshold),)
    return ()


@dataclass(frozen=True)
class CatalogTemplates:
    metric_alarms: tuple[MetricAlarmTemplate, ...]
    log_metric_filters: tuple[LogMetricFilterTemplate, ...]
    composite_alarms: tuple[CompositeAlarmTemplate, ...]


_SECTIONS = {
    "metricAlarms": MetricAlarmTemplate,
    "logMetricFilters": LogMetricFilterTemplate,
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
        sections["metricAlarms"], sections["logMetricFilters"], sections["compositeAlarms"]
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
