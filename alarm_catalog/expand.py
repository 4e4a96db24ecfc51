"""Expand the catalog's templates against one platform into concrete, checked definitions."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from stack_config import Platform, StackConfigError

from .exceptions import CatalogError
from .model import Catalog, CompositeAlarm, LogMetricFilter, MetricAlarm
from .render import render
from .rules import expand_rule
from .templates import (
    CATALOG_PATH,
    CatalogTemplates,
    CompositeAlarmTemplate,
    Condition,
    LogMetricFilterTemplate,
    MetricAlarmTemplate,
    load_templates,
)
from .variables import Item, TargetGroupDimensions, scope_items
from .vocabulary import MAX_ALARM_NAME, MAX_FILTER_NAME, NON_PAGING_SEVERITY

TargetGroups = Mapping[str, TargetGroupDimensions]


def effective_severity(platform: Platform, guide_severity: str) -> str:
    """The guide classes anything non-production as P3: staging pages nobody."""
    return guide_severity if platform.production else NON_PAGING_SEVERITY


def expand(
    platform: Platform, target_groups: TargetGroups | None = None, templates: CatalogTemplates | None = None
) -> Catalog:
    """Every alarm and metric filter of ``platform``.

    ``target_groups`` maps target-group names to the CloudWatch dimension values AWS gave them
    (the Pulumi program looks them up); missing ones get ``TargetGroupDimensions.placeholder``.
    """
    templates = templates or load_templates(CATALOG_PATH)
    metric_alarms = [
        alarm for t in templates.metric_alarms for alarm in _metric_alarms(t, platform, target_groups)
    ]
    filters: list[LogMetricFilter] = []
    for template in templates.log_metric_filters:
        for log_filter, alarm in _log_metric_filters(template, platform, target_groups):
            filters.append(log_filter)
            metric_alarms.append(alarm)
    composites = [_composite(t, platform, target_groups) for t in templates.composite_alarms]
    catalog = Catalog(tuple(metric_alarms), tuple(filters), tuple(composites))
    _check_whole(catalog)
    return catalog


def _items(template: Any, platform: Platform, target_groups: TargetGroups | None, where: str) -> list[Item]:
    try:
        return list(scope_items(platform, template.for_each, template.for_service, target_groups))
    except StackConfigError as error:
        raise CatalogError(f"{where}: forService: {error}") from None


def _metric_alarms(
    template: MetricAlarmTemplate, platform: Platform, target_groups: TargetGroups | None
) -> Iterator[MetricAlarm]:
    where = f"metricAlarms ({template.id})"
    for item in _items(template, platform, target_groups, where):
        variables = item.variables
        guide_severity = template.severity_by_service.get(item.service or "", template.severity)
        yield MetricAlarm(
            name=render(template.name, variables, f"{where}.name"),
            severity=effective_severity(platform, guide_severity),
            guide_severity=guide_severity,
            guide_section=template.guide_section_by_service.get(item.service or "", template.guide_section),
            description=render(template.description, variables, f"{where}.description"),
            namespace=render(template.metric.namespace, variables, f"{where}.metric.namespace"),
            metric_name=render(template.metric.name, variables, f"{where}.metric.name"),
            dimensions={
                key: render(value, variables, f"{where}.metric.dimensions.{key}")
                for key, value in template.metric.dimensions.items()
            },
            statistic=template.metric.statistic,
            period=template.metric.period,
            **_condition(template.condition, variables, where),
            template=template.id,
            service=item.service,
        )


def _log_metric_filters(
    template: LogMetricFilterTemplate, platform: Platform, target_groups: TargetGroups | None
) -> Iterator[tuple[LogMetricFilter, MetricAlarm]]:
    where = f"logMetricFilters ({template.id})"
    spec = template.alarm
    for item in _items(template, platform, target_groups, where):
        variables = item.variables
        log_filter = LogMetricFilter(
            name=render(template.name, variables, f"{where}.name"),
            log_group=render(template.log_group, variables, f"{where}.logGroup"),
            pattern=template.pattern,
            metric_namespace=render(template.metric.namespace, variables, f"{where}.metric.namespace"),
            metric_name=render(template.metric.name, variables, f"{where}.metric.name"),
            metric_value=template.metric.value,
            default_value=template.metric.default_value,
            alarm_name=render(spec.name, variables, f"{where}.alarm.name"),
            template=template.id,
            service=item.service,
        )
        alarm = MetricAlarm(
            name=log_filter.alarm_name,
            severity=effective_severity(platform, spec.severity),
            guide_severity=spec.severity,
            guide_section=spec.guide_section,
            description=render(spec.description, variables, f"{where}.alarm.description"),
            namespace=log_filter.metric_namespace,
            metric_name=log_filter.metric_name,
            dimensions={},
            statistic=spec.statistic,
            period=spec.period,
            **_condition(spec.condition, variables, f"{where}.alarm"),
            template=template.id,
            service=item.service,
            log_metric_filter=log_filter.name,
        )
        yield log_filter, alarm


def _condition(condition: Condition, variables: Mapping[str, Any], where: str) -> dict[str, Any]:
    return {
        "evaluation_periods": condition.evaluation_periods,
        "datapoints_to_alarm": condition.datapoints,
        "threshold": _threshold(condition.threshold, variables, f"{where}.condition.threshold"),
        "comparison_operator": condition.comparison_operator,
        "treat_missing_data": condition.treat_missing_data,
    }


def _threshold(raw: Any, variables: Mapping[str, Any], where: str) -> float:
    if not isinstance(raw, str):
        return float(raw)
    text = render(raw, variables, where)
    try:
        return float(text)
    except ValueError:
        raise CatalogError(f"{where}: {raw!r} expands to {text!r}, which is not a number") from None


def _composite(
    template: CompositeAlarmTemplate, platform: Platform, target_groups: TargetGroups | None
) -> CompositeAlarm:
    where = f"compositeAlarms ({template.id})"
    variables = next(scope_items(platform, None, None, target_groups)).variables

    def items_of(scope: str) -> list[Item]:
        return list(scope_items(platform, scope, None, target_groups))

    return CompositeAlarm(
        name=render(template.name, variables, f"{where}.name"),
        severity=effective_severity(platform, template.severity),
        guide_severity=template.severity,
        guide_section=template.guide_section,
        description=render(template.description, variables, f"{where}.description"),
        rule=expand_rule(template.parsed_rule(where), variables, items_of, f"{where}.rule"),
        template=template.id,
    )


def _check_whole(catalog: Catalog) -> None:
    """Cross-entry checks: name limits, unique filter names, composites referencing real alarms."""
    for alarm in catalog.alarms:
        if len(alarm.name) > MAX_ALARM_NAME:
            raise CatalogError(
                f"{alarm.template}: alarm name {alarm.name!r} is longer than {MAX_ALARM_NAME} characters"
            )
    seen: set[str] = set()
    for log_filter in catalog.log_metric_filters:
        if log_filter.name in seen or len(log_filter.name) > MAX_FILTER_NAME:
            raise CatalogError(
                f"{log_filter.template}: metric filter name {log_filter.name!r} is duplicated or too long"
            )
        seen.add(log_filter.name)
    metric_names = {alarm.name for alarm in catalog.metric_alarms}
    for composite in catalog.composite_alarms:
        missing = [name for name in composite.alarm_names if name not in metric_names]
        if missing:
            raise CatalogError(
                f"compositeAlarms ({composite.template}): rule refers to "
                f"{missing[0]!r}, which is not a metric alarm of this catalog"
            )
