"""Severity topics and the catalog's alarms, as the real program registers them under mocks."""

from __future__ import annotations

import alarm_catalog
from alarm_catalog import TargetGroupDimensions
from components import tags
from stack_config import Platform
from tests.support.program_harness import ProgramRun, RecordingMocks, statements

TOPIC = "aws:sns/topic:Topic"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _topic_arn_by_severity(run: ProgramRun, region: str | None = None) -> dict[str, str]:
    """The severity topics in the platform's region (None), or in ``region`` (alarms living there)."""
    return {
        t.inputs["tags"][tags.SEVERITY]: t.outputs["arn"]
        for t in run.of_type(TOPIC)
        if t.inputs.get("region") == region
    }


def _catalog(run: ProgramRun, platform: Platform) -> alarm_catalog.Catalog:
    # The same dimensions and load-balancer types the mocked look-up answers with.
    mocks = RecordingMocks(run.stack, platform.region)
    looked_up = {
        s.target_group: TargetGroupDimensions.from_arns(
            f"arn:aws:elasticloadbalancing:{platform.region}:123456789012:targetgroup/{s.target_group}/0123456789abcdef",
            mocks.load_balancer_arn(s.target_group),
        )
        for s in platform.services
        if s.target_group
    }
    return alarm_catalog.expand(platform, target_groups=looked_up)


def test_one_encrypted_topic_per_severity(run: ProgramRun, stack_platform: Platform) -> None:
    # In the platform's region; alarms living elsewhere have their own (test_program_regional_alarms.py).
    topics = [t for t in run.of_type(TOPIC) if "region" not in t.inputs]
    assert sorted(t.inputs["tags"][tags.SEVERITY] for t in topics) == ["P0", "P1", "P2", "P3"]
    key_arns = {k.outputs["arn"] for k in run.of_type("aws:kms/key:Key")}
    for topic in topics:
        severity = topic.inputs["tags"][tags.SEVERITY]
        assert topic.inputs["name"] == stack_platform.notifications.topic_name(severity)
        assert topic.inputs["kmsMasterKeyId"] in key_arns


def test_cloudwatch_and_eventbridge_may_publish_to_every_topic(run: ProgramRun) -> None:
    policies = {p.inputs["arn"]: p.inputs["policy"] for p in run.of_type("aws:sns/topicPolicy:TopicPolicy")}
    key = next(k for k in run.of_type("aws:kms/key:Key") if "incident topics" in k.inputs["description"])
    for topic in (t for t in run.of_type(TOPIC) if "region" not in t.inputs):
        granted = {s["Principal"]["Service"]: s for s in statements(policies[topic.outputs["arn"]])}
        # AWS Backup also publishes to one topic (tests/pulumi/test_program_backup.py).
        assert set(granted) - {"backup.amazonaws.com"} == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
        for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
            statement = granted[service]
            assert statement["Action"] == "sns:Publish"
            assert statement["Resource"] == topic.outputs["arn"]
            assert statement["Condition"]["ArnLike"]["aws:SourceArn"].split(":")[4] == "123456789012"
    # Both services must also be able to use the topics' key, or publishing fails silently.
    services = [s for s in statements(key.inputs["policy"]) if "Service" in s["Principal"]]
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= set(services[0]["Principal"]["Service"])


def test_subscriptions_come_from_config_and_p3_pages_nobody(
    run: ProgramRun, stack_platform: Platform
) -> None:
    arns = _topic_arn_by_severity(run)
    subscriptions = [s for s in run.of_type(SUBSCRIPTION) if "region" not in s.inputs]
    # Email here; the pagers, whose endpoints are secrets, in test_program_paging.py.
    people = sorted(
        (s.inputs["topic"], s.inputs["protocol"], s.inputs["endpoint"])
        for s in subscriptions
        if s.inputs["protocol"] == "email"
    )
    assert people == sorted(
        (arns[s.severity], s.protocol, s.endpoint)
        for s in stack_platform.notifications.subscriptions
        if s.protocol == "email"
    )
    p3 = [s for s in subscriptions if s.inputs["topic"] == arns["P3"]]
    queue = run.one("aws:sqs/queue:Queue", name=stack_platform.notifications.p3_queue_name)
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in p3] == [("sqs", queue.outputs["arn"])]
    assert p3[0].inputs["rawMessageDelivery"] is True
    queue_policy = statements(run.of_type("aws:sqs/queuePolicy:QueuePolicy")[0].inputs["policy"])
    assert queue_policy[0]["Condition"]["ArnEquals"]["aws:SourceArn"] == arns["P3"]


def test_every_catalog_alarm_exists_with_its_catalog_definition(
    run: ProgramRun, stack_platform: Platform
) -> None:
    catalog = _catalog(run, stack_platform)
    registered = {a.inputs["name"]: a.inputs for a in run.of_type(METRIC_ALARM)}
    assert set(registered) == {a.name for a in catalog.metric_alarms}
    for alarm in catalog.metric_alarms:
        inputs = registered[alarm.name]
        assert (inputs["namespace"], inputs["metricName"], inputs["statistic"]) == (
            alarm.namespace,
            alarm.metric_name,
            alarm.statistic,
        )
        if alarm.health_check:
            # The program puts the ID Route 53 gave the check where the catalog has its name.
            host = next(c.host for c in catalog.health_checks if c.name == alarm.health_check)
            check = run.one("aws:route53/healthCheck:HealthCheck", fqdn=host)
            assert inputs["dimensions"] == {"HealthCheckId": f"{check.name}-id"}
        else:
            assert inputs["dimensions"] == dict(alarm.dimensions)
        assert (inputs["threshold"], inputs["comparisonOperator"], inputs["period"]) == (
            alarm.threshold,
            alarm.comparison_operator,
            alarm.period,
        )
        assert (inputs["evaluationPeriods"], inputs["datapointsToAlarm"], inputs["treatMissingData"]) == (
            alarm.evaluation_periods,
            alarm.datapoints_to_alarm,
            alarm.treat_missing_data,
        )
    composites = {c.inputs["alarmName"]: c.inputs for c in run.of_type(COMPOSITE)}
    assert {name: c["alarmRule"] for name, c in composites.items()} == {
        c.name: c.expression for c in catalog.composite_alarms
    }


def test_every_alarm_notifies_the_topic_of_its_severity_on_alarm_and_ok(run: ProgramRun) -> None:
    alarms = run.of_type(METRIC_ALARM) + run.of_type(COMPOSITE)
    assert len(alarms) > 30
    for alarm in alarms:
        # ...in the alarm's own region: CloudWatch notifies only topics there.
        arns = _topic_arn_by_severity(run, alarm.inputs.get("region"))
        severity = alarm.inputs["tags"][tags.SEVERITY]
        assert alarm.inputs["alarmActions"] == [arns[severity]], alarm.name
        assert alarm.inputs["okActions"] == [arns[severity]], alarm.name
        assert alarm.inputs["actionsEnabled"] is True


def test_every_service_has_a_running_tasks_alarm_on_a_topic(
    run: ProgramRun, stack_platform: Platform
) -> None:
    arns = _topic_arn_by_severity(run)
    wanted = {"P0", "P1", "P2"} if stack_platform.production else {"P3"}
    for service in stack_platform.services:
        running = [
            a
            for a in run.of_type(METRIC_ALARM)
            if a.inputs["metricName"] == "RunningTaskCount"
            and a.inputs["dimensions"] == {"ClusterName": stack_platform.cluster, "ServiceName": service.name}
        ]
        assert running, service.name
        assert {a.inputs["tags"][tags.SEVERITY] for a in running} <= wanted
        assert all(a.inputs["alarmActions"][0] in {arns[s] for s in wanted} for a in running)


def test_log_metric_filters_feed_their_alarms(run: ProgramRun, stack_platform: Platform) -> None:
    catalog = _catalog(run, stack_platform)
    filters = {f.inputs["name"]: f.inputs for f in run.of_type(FILTER)}
    assert set(filters) == {f.name for f in catalog.log_metric_filters}
    for log_filter in catalog.log_metric_filters:
        inputs = filters[log_filter.name]
        assert inputs["logGroupName"] == log_filter.log_group
        assert inputs["pattern"] == log_filter.pattern
        transformation = inputs["metricTransformation"]
        alarm = run.one(METRIC_ALARM, name=log_filter.alarm_name)
        assert (transformation["namespace"], transformation["name"]) == (
            alarm.inputs["namespace"],
            alarm.inputs["metricName"],
        )
    cloudtrail = [f for f in filters.values() if f["logGroupName"] == stack_platform.cloudtrail_log_group]
    # The six CIS-style security filters, the break-glass page and the pager-subscription changes.
    assert len(cloudtrail) == 8


def test_alb_alarms_use_the_looked_up_dimensions(run: ProgramRun) -> None:
    alarm = next(
        a for a in run.of_type(METRIC_ALARM) if a.inputs["metricName"] == "HTTPCode_Target_5XX_Count"
    )
    assert alarm.inputs["dimensions"]["TargetGroup"].endswith("/0123456789abcdef")
    assert alarm.inputs["dimensions"]["LoadBalancer"] == f"app/zelly-{run.stack}/fedcba9876543210"
    assert "aws:lb/getTargetGroup:getTargetGroup" in run.invokes
