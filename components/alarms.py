"""Map every alarm-catalog entry to CloudWatch resources, each notifying its severity's topic.

The catalog (``alarm_catalog``) decides what is watched and how loudly; this component only
creates the metric filters, health checks, metric alarms and composite alarms it describes, with
alarm and OK actions on the topic of the entry's severity (P3's topic feeds the issue queue, no
page).

Most alarms live in the platform's region and notify its topics (``topic_arns``). A catalog
alarm with a ``region`` (Route 53's ``HealthCheckStatus``, published only in us-east-1) must be
created in that region, and CloudWatch only notifies SNS topics in the alarm's own region. So
for such regions this component creates a topic per severity used there, encrypted with its own
customer managed key (as the policy pack requires of every topic) and subscribed to the same
endpoints the stack config lists for that severity: the page reaches the same people, as the
native CloudWatch alarm message (which pager integrations parse), not a re-shaped event.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from alarm_catalog import (
    NON_PAGING_SEVERITY,
    Catalog,
    CompositeAlarm,
    HealthCheck,
    LogMetricFilter,
    MetricAlarm,
)
from stack_config import Platform, derived_names

from . import tags
from .arns import AwsAccount
from .iam_documents import key_policy, services_may_publish
from .notifications import subscription_args

ALARM_PUBLISHER = "cloudwatch.amazonaws.com"


@dataclass(frozen=True)
class IncidentAlarmsArgs:
    platform: Platform
    catalog: Catalog
    topic_arns: Mapping[str, pulumi.Input[str]]  # severity -> topic ARN in the platform's region
    # The deploying account: needed for the topics of alarms outside the platform's region.
    account: AwsAccount | None = None


class IncidentAlarms(pulumi.ComponentResource):
    """The catalog's metric filters, health checks, metric alarms and composite alarms."""

    alarm_names: list[str]
    alarm_arns: dict[str, pulumi.Output[str]]
    health_check_ids: dict[str, pulumi.Output[str]]
    # region -> severity -> topic ARN, for the alarms outside the platform's region.
    regional_topic_arns: dict[str, dict[str, pulumi.Output[str]]]

    def __init__(
        self, name: str, args: IncidentAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:IncidentAlarms", name, None, opts)
        self._name = name
        self._args = args
        self._check_topics()
        filters = {f.name: self._create_filter(f) for f in args.catalog.log_metric_filters}
        checks = {c.name: self._create_health_check(c) for c in args.catalog.health_checks}
        self._regional_topics = self._create_regional_topics()
        metric_alarms = {
            a.name: self._create_metric_alarm(
                a, filters.get(a.log_metric_filter or ""), checks.get(a.health_check or "")
            )
            for a in args.catalog.metric_alarms
        }
        composites = {c.name: self._create_composite(c, metric_alarms) for c in args.catalog.composite_alarms}
        self.alarm_names = [*metric_alarms, *composites]
        self.alarm_arns = {name: alarm.arn for name, alarm in {**metric_alarms, **composites}.items()}
        self.health_check_ids = {name: check.id for name, check in checks.items()}
        self.regional_topic_arns = {
            region: {severity: topic.arn for severity, topic in topics.items()}
            for region, topics in self._regional_topics.items()
        }
        self.register_outputs(
            {
                "alarmNames": self.alarm_names,
                "alarmArns": self.alarm_arns,
                "healthCheckIds": self.health_check_ids,
                "regionalTopicArns": self.regional_topic_arns,
            }
        )

    def _check_topics(self) -> None:
        args = self._args
        home = [a for a in args.catalog.alarms if not isinstance(a, MetricAlarm) or a.region is None]
        missing = {a.severity for a in home} - set(args.topic_arns)
        if missing:
            raise ValueError(f"no topic for severity {', '.join(sorted(missing))}")
        away = [a for a in args.catalog.metric_alarms if a.region is not None]
        if away and args.account is None:
            raise ValueError(
                f"alarm {away[0].name} lives in {away[0].region}: IncidentAlarmsArgs.account is "
                "needed to create the topics it notifies there"
            )
        for alarm in away:
            if alarm.severity == NON_PAGING_SEVERITY:
                # P3 feeds the issue queue in the platform's region; nothing listens in another.
                raise ValueError(
                    f"alarm {alarm.name} is {NON_PAGING_SEVERITY} but lives in {alarm.region}, where no "
                    "issue queue listens: give health-check URLs to production stacks only"
                )

    def _opts(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on or [])

    def _tags(self, alarm: MetricAlarm | CompositeAlarm) -> dict[str, str]:
        extra = {tags.SEVERITY: alarm.severity, tags.GUIDE_SECTION: alarm.guide_section}
        if isinstance(alarm, MetricAlarm) and alarm.service:
            extra[tags.SERVICE] = alarm.service
        return {**tags.base_tags(self._args.platform, "alarms"), **extra}

    def _actions(self, severity: str, region: str | None = None) -> list[pulumi.Input[str]]:
        if region is None:
            return [self._args.topic_arns[severity]]
        return [self._regional_topics[region][severity].arn]

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

    def _create_health_check(self, check: HealthCheck) -> aws.route53.HealthCheck:
        """A Route 53 check of the URL from checkers in several regions (Route 53 is global)."""
        service = {tags.SERVICE: check.service} if check.service else {}
        return aws.route53.HealthCheck(
            f"{self._name}-{check.name}",
            type=check.protocol,
            fqdn=check.host,
            port=check.port,
            resource_path=check.resource_path,
            request_interval=check.request_interval,
            failure_threshold=check.failure_threshold,
            # Send the host name in the TLS handshake, as browsers do (SNI), so the right
            # certificate answers when several domains share the address.
            enable_sni=check.protocol == "HTTPS",
            tags={**tags.base_tags(self._args.platform, "alarms"), **service, "Name": check.name},
            opts=self._opts(),
        )

    def _create_regional_topics(self) -> dict[str, dict[str, aws.sns.Topic]]:
        wanted: dict[str, set[str]] = {}
        for alarm in self._args.catalog.metric_alarms:
            if alarm.region is not None:
                wanted.setdefault(alarm.region, set()).add(alarm.severity)
        return {
            region: self._create_topics_in(region, sorted(severities))
            for region, severities in wanted.items()
        }

    def _create_topics_in(self, region: str, severities: list[str]) -> dict[str, aws.sns.Topic]:
        platform = self._args.platform
        assert self._args.account is not None  # _check_topics refused a catalog needing one without
        account = dataclasses.replace(self._args.account, region=region)
        prefix = f"{self._name}-{region}"
        base = tags.base_tags(platform, "alarms")
        # The platform's topic key lives in its region; a key is regional, so this region has its own.
        key = aws.kms.Key(
            f"{prefix}-key",
            description=f"Encrypts the {platform.environment} alarm topics in {region}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(account.root, (ALARM_PUBLISHER,)),
            region=region,
            tags=base,
            opts=self._opts(),
        )
        topics: dict[str, aws.sns.Topic] = {}
        for severity in severities:
            name = platform.notifications.topic_name(severity)
            topic = aws.sns.Topic(
                f"{prefix}-{severity.lower()}",
                name=name,
                display_name=derived_names.topic_display_name(platform, severity, region),
                kms_master_key_id=key.arn,
                region=region,
                tags={**base, tags.SEVERITY: severity},
                opts=self._opts(),
            )
            aws.sns.TopicPolicy(
                f"{prefix}-{severity.lower()}-policy",
                arn=topic.arn,
                # Only this account's alarms in this region may publish.
                policy=services_may_publish(
                    account.sns_topic(name), {ALARM_PUBLISHER: account.arn("cloudwatch", "alarm:*")}
                ),
                region=region,
                opts=self._opts(),
            )
            self._subscribe(topic, severity, region, prefix)
            topics[severity] = topic
        return topics

    def _subscribe(self, topic: aws.sns.Topic, severity: str, region: str, prefix: str) -> None:
        """The endpoints the stack config pages for ``severity``, on this region's topic too."""
        for index, subscription in enumerate(self._args.platform.notifications.subscriptions):
            if subscription.severity != severity:
                continue
            aws.sns.TopicSubscription(
                f"{prefix}-{severity.lower()}-{subscription.protocol}-{index}",
                topic=topic.arn,
                # The same endpoint (a pager's built from its secret, as a Pulumi secret) and delivery.
                **subscription_args(subscription, self._args.platform),
                region=region,
                opts=self._opts(),
            )

    def _create_metric_alarm(
        self,
        alarm: MetricAlarm,
        source: aws.cloudwatch.LogMetricFilter | None,
        check: aws.route53.HealthCheck | None,
    ) -> aws.cloudwatch.MetricAlarm:
        dimensions: dict[str, pulumi.Input[str]] = dict(alarm.dimensions)
        if check is not None:
            # The catalog's HealthCheckId is the check's name, a stand-in for the ID Route 53 gives.
            dimensions["HealthCheckId"] = check.id
        depends_on: list[pulumi.Resource] = [r for r in (source, check) if r is not None]
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{alarm.name}",
            name=alarm.name,
            alarm_description=alarm.description,
            namespace=alarm.namespace,
            metric_name=alarm.metric_name,
            dimensions=dimensions,
            statistic=alarm.statistic,
            period=alarm.period,
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            threshold=alarm.threshold,
            comparison_operator=alarm.comparison_operator,
            treat_missing_data=alarm.treat_missing_data,
            actions_enabled=True,
            alarm_actions=self._actions(alarm.severity, alarm.region),
            ok_actions=self._actions(alarm.severity, alarm.region),
            region=alarm.region,
            tags=self._tags(alarm),
            opts=self._opts(depends_on),
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
