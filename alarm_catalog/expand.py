"""Expand the catalog's templates against one platform into concrete, checked definitions."""

from __future__ import annotations

from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

from stack_config import SEVERITIES, Platform, StackConfigError

from .exceptions import CatalogError
from .model import Catalog, CompositeAlarm, HealthCheck, LogMetricFilter, MetricAlarm
from .render import render, render_pattern
from .rules import expand_rule
from .templates import (
    CATALOG_PATH,
    CatalogTemplates,
    CompositeAlarmTemplate,
    Condition,
    HealthCheckTemplate,
    LogMetricFilterTemplate,
    MetricAlarmTemplate,
    load_templates,
)
from .variables import Item, TargetGroupDimensions, scope_items
from .vocabulary import (
    HEALTH_CHECK_METRIC,
    HEALTH_CHECK_METRICS_REGION,
    HEALTH_CHECK_NAMESPACE,
    MAX_ALARM_DESCRIPTION,
    MAX_ALARM_NAME,
    MAX_FILTER_NAME,
    MAX_FILTER_PATTERN,
    NON_PAGING_SEVERITY,
)

TargetGroups = Mapping[str, TargetGroupDimensions]


def effective_severity(platform: Platform, guide_severity: str, non_production: str | None = None) -> str:
    """The guide classes anything non-production as P3: staging pages nobody, unless an entry
    names its own non-production level (break-glass use reaches the whole account: P0 anywhere)."""
    if platform.production:
        return guide_severity
    return non_production or NON_PAGING_SEVERITY


def expand(
    platform: Platform, target_groups: TargetGroups | None = None, templates: CatalogTemplates | None = None
) -> Catalog:
    """Every alarm and metric filter of ``platform``.

    ``target_groups`` maps target-group names to the CloudWatch dimensions and load-balancer
    type AWS gave them (the Pulumi program looks them up); missing ones get
    ``TargetGroupDimensions.placeholder`` of the service's declared ``loadBalancerType``.
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
    checks: list[HealthCheck] = []
    for check_template in templates.health_checks:
        for check, alarm in _health_checks(check_template, platform, target_groups):
            checks.append(check)
            metric_alarms.append(alarm)
    composites = [_composite(t, platform, target_groups) for t in templates.composite_alarms]
    catalog = Catalog(tuple(metric_alarms), tuple(filters), tuple(composites), tuple(checks))
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
        load_balancer_type = variables.get("load_balancer_type")
        if template.metric.by_load_balancer_type and load_balancer_type is None:
            raise CatalogError(f"{where}: service {item.service} has no load balancer (no targetGroup)")
        metric = template.metric.for_type(load_balancer_type)
        if metric is None:
            continue  # the metric does not exist behind this type of load balancer
        guide_severity, guide_section = _classification(
            item,
            template.severity,
            template.guide_section,
            template.severity_by_service,
            template.guide_section_by_service,
        )
        yield MetricAlarm(
            name=render(template.name, variables, f"{where}.name"),
            severity=effective_severity(platform, guide_severity),
            guide_severity=guide_severity,
            guide_section=guide_section,
            description=render(template.description, variables, f"{where}.description"),
            namespace=render(metric.namespace or "", variables, f"{where}.metric.namespace"),
            metric_name=render(metric.name or "", variables, f"{where}.metric.name"),
            dimensions={
                key: render(value, variables, f"{where}.metric.dimensions.{key}")
                for key, value in metric.dimensions.items()
            },
            statistic=metric.statistic,
            period=metric.period,
            **_condition(template.condition, variables, where),
            template=template.id,
            service=item.service,
        )


def _classification(
    item: Item,
    severity: str,
    section: str,
    severity_by_service: Mapping[str, str],
    section_by_service: Mapping[str, str],
) -> tuple[str, str]:
    """The guide's level and section for an item: its service's, or the most severe of the
    services behind a shared load balancer (and that service's section)."""
    services = item.services or ((item.service,) if item.service else ())
    if not services:
        return severity, section
    levels = [(severity_by_service.get(s, severity), s) for s in services]
    level, service = min(levels, key=lambda pair: SEVERITIES.index(pair[0]))
    return level, section_by_service.get(service, section)


def _health_checks(
    template: HealthCheckTemplate, platform: Platform, target_groups: TargetGroups | None
) -> Iterator[tuple[HealthCheck, MetricAlarm]]:
    where = f"healthChecks ({template.id})"
    spec = template.alarm
    for item in _items(template, platform, target_groups, where):
        variables = item.variables
        url = render(template.url, variables, f"{where}.url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CatalogError(f"{where}.url: {url!r} is not an http(s) URL")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        check = HealthCheck(
            name=render(template.name, variables, f"{where}.name"),
            url=url,
            protocol=parts.scheme.upper(),
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 80),
            resource_path=path,
            request_interval=template.request_interval,
            failure_threshold=template.failure_threshold,
            alarm_name=render(spec.name, variables, f"{where}.alarm.name"),
            template=template.id,
            service=item.service,
        )
        guide_severity, guide_section = _classification(
            item, spec.severity, spec.guide_section, spec.severity_by_service, spec.guide_section_by_service
        )
        alarm = MetricAlarm(
            name=check.alarm_name,
            severity=effective_severity(platform, guide_severity, spec.non_production_severity),
            guide_severity=guide_severity,
            guide_section=guide_section,
            description=render(spec.description, variables, f"{where}.alarm.description"),
            namespace=HEALTH_CHECK_NAMESPACE,
            metric_name=HEALTH_CHECK_METRIC,
            # The check's ID exists once Route 53 creates it: the program puts it here; offline
            # (drills, the detection replay) the check's name stands in for it.
            dimensions={"HealthCheckId": check.name},
            statistic=spec.statistic,
            period=spec.period,
            **_condition(spec.condition, variables, f"{where}.alarm"),
            template=template.id,
            service=item.service,
            region=HEALTH_CHECK_METRICS_REGION,
            health_check=check.name,
        )
        yield check, alarm


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
            pattern=render_pattern(
                template.pattern, template.pattern_variables, variables, f"{where}.pattern"
            ),
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
            severity=effective_severity(platform, spec.severity, spec.non_production_severity),
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
        if len(alarm.description) > MAX_ALARM_DESCRIPTION:
            raise CatalogError(
                f"{alarm.template}: alarm {alarm.name}'s description is {len(alarm.description)} "
                f"characters; CloudWatch takes at most {MAX_ALARM_DESCRIPTION}"
            )
    check_names = [check.name for check in catalog.health_checks]
    if len(set(check_names)) != len(check_names):
        raise CatalogError(f"healthChecks: two health checks share a name ({', '.join(check_names)})")
    seen: set[str] = set()
    for log_filter in catalog.log_metric_filters:
        if log_filter.name in seen or len(log_filter.name) > MAX_FILTER_NAME:
            raise CatalogError(
                f"{log_filter.template}: metric filter name {log_filter.name!r} is duplicated or too long"
            )
        if len(log_filter.pattern) > MAX_FILTER_PATTERN:
            raise CatalogError(
                f"{log_filter.template}: metric filter {log_filter.name} has a pattern of "
                f"{len(log_filter.pattern)} characters; CloudWatch Logs takes at most {MAX_FILTER_PATTERN}"
            )
        seen.add(log_filter.name)
    regions = {alarm.name: alarm.region for alarm in catalog.metric_alarms}
    for composite in catalog.composite_alarms:
        missing = [name for name in composite.alarm_names if name not in regions]
        if missing:
            raise CatalogError(
                f"compositeAlarms ({composite.template}): rule refers to "
                f"{missing[0]!r}, which is not a metric alarm of this catalog"
            )
        elsewhere = [name for name in composite.alarm_names if regions[name] is not None]
        if elsewhere:
            # A composite alarm's rule can only name alarms of its own account and region.
            raise CatalogError(
                f"compositeAlarms ({composite.template}): rule refers to {elsewhere[0]!r}, "
                f"which lives in {regions[elsewhere[0]]}, not in the platform's region"
            )
