"""Map every alarm-catalog entry to CloudWatch resources, each notifying its severity's topic.

The catalog (``alarm_catalog``) decides what is watched and how loudly; this component only
creates the metric filters, metric alarms and composite alarms it describes, with alarm and
OK actions on the topic of the entry's severity (P3's topic feeds the issue queue, no page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from alarm_catalog import Catalog, CompositeAlarm, LogMetricFilter, MetricAlarm
from stack_config import Platform

from . import tags


@dataclass(frozen=True)
class IncidentAlarmsArgs:
    platform: Platform
    catalog: Catalog
    topic_arns: Mapping[str, pulumi.Input[str]]  # severity -> topic ARN


class IncidentAlarms(pulumi.ComponentResource):
    """The catalog's metric filters, metric alarms and composite alarms."""

    alarm_names: list[str]
    alarm_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: IncidentAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:IncidentAlarms", name, None, opts)
        self._name = name
        self._args = args
        missing = {a.severity for a in args.catalog.alarms} - set(args.topic_arns)
        if missing:
            raise ValueError(f"no topic for severity {', '.join(sorted(missing))}")
        filters = {f.name: self._create_filter(f) for f in args.catalog.log_metric_filters}
        metric_alarms = {
            a.name: self._create_metric_alarm(a, filters.get(a.log_metric_filter or ""))
            for a in args.catalog.metric_alarms
        }
        composites = {c.name: self._create_composite(c, metric_alarms) for c in args.catalog.composite_alarms}
        self.alarm_names = [*metric_alarms, *composites]
        self.alarm_arns = {name: alarm.arn for name, alarm in {**metric_alarms, **composites}.items()}
        self.register_outputs({"alarmNames": self.alarm_names, "alarmArns": self.alarm_arns})

    def _opts(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on or [])

    def _tags(self, alarm: MetricAlarm | CompositeAlarm) -> dict[str, str]:
        extra = {tags.SEVERITY: alarm.severity, tags.GUIDE_SECTION: alarm.guide_section}
        if isinstance(alarm, MetricAlarm) and alarm.service:
            extra[tags.SERVICE] = alarm.service
        return {**tags.base_tags(self._args.platform, "alarms"), **extra}

    def _actions(self, severity: str) -> list[pulumi.Input[str]]:
        return [self._args.topic_arns[severity]]

    def _create_filter(self, log_filter: LogMetricFilter) -> aws.cloudwatch.LogMetricFilter:
        default = log_filter.default_value
        transformation = aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
            name=log_filter.metric_name,
            namespace=log_filter.metric_namespace,
            value=log_filter.metric_value,
            # A 0 when logs flow without a match keeps the metric continuous for the alarm.
            default_value=None if default is None else f"{default:g}",
        )
        return aws.cloudwatch.LogMetricFilter(
            f"{self._name}-{log_filter.name}",
            name=log_filter.name,
            log_group_name=log_filter.log_group,
            pattern=log_filter.pattern,
            metric_transformation=transformation,
            opts=self._opts(),
        )

    def _create_metric_alarm(
        self, alarm: MetricAlarm, source: aws.cloudwatch.LogMetricFilter | None
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{alarm.name}",
            name=alarm.name,
            alarm_description=alarm.description,
            namespace=alarm.namespace,
            metric_name=alarm.metric_name,
            dimensions=dict(alarm.dimensions),
            statistic=alarm.statistic,
            period=alarm.period,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            threshold=alarm.threshold,
            comparison_operator=alarm.comparison_operator,
            treat_missing_data=alarm.treat_missing_data,
            actions_enabled=True,
            alarm_actions=self._actions(alarm.severity),
            ok_actions=self._actions(alarm.severity),
            tags=self._tags(alarm),
            opts=self._opts([source] if source else None),
        )

    def _create_composite(
        self, composite: CompositeAlarm, metric_alarms: Mapping[str, aws.cloudwatch.MetricAlarm]
    ) -> aws.cloudwatch.CompositeAlarm:
        # CloudWatch rejects a rule naming an alarm that does not exist yet.
        children = [metric_alarms[name] for name in composite.alarm_names]
        return aws.cloudwatch.CompositeAlarm(
            f"{self._name}-{composite.name}",
            alarm_name=composite.name,
            alarm_description=composite.description,
            alarm_rule=composite.expression,
            actions_enabled=True,
            alarm_actions=self._actions(composite.severity),
            ok_actions=self._actions(composite.severity),
            tags=self._tags(composite),
            opts=self._opts(children),
        )
