"""The program under mocks: load-balancer types from the look-up, the guide's new symptom alarms,
and the Route 53 health checks whose alarms live in us-east-1 (issue 12, items 3 and 8).

The mocked account is the guide's: storefront's target group behind an NLB, the other web
services behind one shared ALB (tests/support/program_harness.py).
"""

from __future__ import annotations

import pytest

from components import tags
from components.lookups import AwsLookupError
from tests.support.program_harness import ACCOUNT, ProgramRun, program_run, run_program, statements

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PLATFORM = "incident-guardrails:platform"


def _alarms(run: ProgramRun, **inputs) -> list:
    return [a for a in run.of_type(METRIC_ALARM) if all(a.inputs.get(k) == v for k, v in inputs.items())]


def _storefront(config: dict) -> dict:
    return next(s for s in config[PLATFORM]["services"] if s["name"] == "storefront")


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_storefronts_nlb_alarms_use_network_elb_and_the_looked_up_net_dimensions(stack: str) -> None:
    run = program_run(stack)
    assert "aws:lb/getLoadBalancer:getLoadBalancer" in run.invokes
    storefront = [
        a for a in _alarms(run) if a.inputs["dimensions"].get("TargetGroup", "").count("storefront")
    ]
    assert sorted(a.inputs["metricName"] for a in storefront) == ["HealthyHostCount", "UnHealthyHostCount"]
    for alarm in storefront:
        assert alarm.inputs["namespace"] == "AWS/NetworkELB"
        assert alarm.inputs["dimensions"]["LoadBalancer"] == f"net/zelly-{stack}-nlb/fedcba9876543210"
    # No ALB metric is alarmed on the NLB: it would get no data.
    assert not [
        a
        for a in _alarms(run, namespace="AWS/ApplicationELB")
        if a.inputs["dimensions"]["LoadBalancer"].startswith("net/")
    ]


def test_an_undeclared_type_is_taken_from_the_look_up() -> None:
    run = run_program("production", lambda config: _storefront(config).pop("loadBalancerType"))
    names = {a.inputs["name"]: a.inputs["namespace"] for a in _alarms(run)}
    assert names["zelly-production-storefront-no-healthy-hosts"] == "AWS/NetworkELB"
    assert "zelly-production-storefront-target-5xx" not in names


def test_a_declared_type_the_look_up_contradicts_fails_the_preview() -> None:
    def claim_alb(config: dict) -> None:
        _storefront(config)["loadBalancerType"] = "application"

    with pytest.raises(AwsLookupError, match="storefront declares loadBalancerType application.*network"):
        run_program("production", claim_alb)


def test_the_shared_alb_has_one_elb_5xx_alarm_on_p1(run: ProgramRun) -> None:
    alarms = _alarms(run, metricName="HTTPCode_ELB_5XX_Count")
    assert [(a.inputs["namespace"], a.inputs["dimensions"], a.inputs["statistic"]) for a in alarms] == [
        ("AWS/ApplicationELB", {"LoadBalancer": f"app/zelly-{run.stack}/fedcba9876543210"}, "Sum")
    ]
    assert alarms[0].inputs["tags"][tags.SEVERITY] == ("P1" if run.stack == "production" else "P3")


def test_every_service_has_ecs_cpu_and_memory_alarms(run: ProgramRun, stack_platform) -> None:
    for metric in ("CPUUtilization", "MemoryUtilization"):
        alarms = _alarms(run, namespace="AWS/ECS", metricName=metric)
        assert sorted(a.inputs["dimensions"]["ServiceName"] for a in alarms) == sorted(
            stack_platform.service_names
        )
        assert {a.inputs["dimensions"]["ClusterName"] for a in alarms} == {stack_platform.cluster}
        assert {a.inputs["tags"][tags.SEVERITY] for a in alarms} == {
            "P2" if stack_platform.production else "P3"
        }


def test_route53_checks_each_public_url_and_its_alarm_lives_in_us_east_1() -> None:
    run = program_run("production")
    checks = {c.inputs["fqdn"]: c for c in run.of_type(HEALTH_CHECK)}
    assert set(checks) == {"api.zelly.in", "app.zelly.in"}
    api = checks["api.zelly.in"].inputs
    assert (api["type"], api["port"], api["resourcePath"], api["enableSni"]) == (
        "HTTPS",
        443,
        "/health",
        True,
    )
    assert (api["requestInterval"], api["failureThreshold"]) == (30, 3)
    assert api["tags"]["Name"] == "zelly-production-fastify-nova-public-health"
    alarm = run.one(METRIC_ALARM, name="zelly-production-fastify-nova-public-endpoint-down").inputs
    assert (alarm["region"], alarm["namespace"], alarm["metricName"]) == (
        "us-east-1",
        "AWS/Route53",
        "HealthCheckStatus",
    )
    # The check's ID as Route 53 returns it (the mocks: "<logical name>-id").
    assert alarm["dimensions"] == {"HealthCheckId": f"{checks['api.zelly.in'].name}-id"}
    assert alarm["tags"][tags.SEVERITY] == "P1"


def test_us_east_1_alarms_notify_an_encrypted_topic_there_that_pages_the_same_people() -> None:
    run = program_run("production")
    platform_config = run.config[PLATFORM]
    topics = [t for t in run.of_type(TOPIC) if t.inputs.get("region") == "us-east-1"]
    assert [t.inputs["tags"][tags.SEVERITY] for t in topics] == ["P1"]  # only the severities used there
    topic = topics[0]
    assert (
        topic.outputs["arn"]
        == f"arn:aws:sns:us-east-1:{ACCOUNT}:{platform_config['notifications']['topicPrefix']}-p1"
    )
    for alarm in _alarms(run, region="us-east-1"):
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.outputs["arn"]]
    # Encrypted with a customer managed key of that region, which CloudWatch may use.
    key = next(
        k for k in run.of_type("aws:kms/key:Key") if k.outputs["arn"] == topic.inputs["kmsMasterKeyId"]
    )
    assert key.inputs["region"] == "us-east-1"
    services = [s for s in statements(key.inputs["policy"]) if "Service" in s["Principal"]]
    assert services[0]["Principal"]["Service"] == ["cloudwatch.amazonaws.com"]
    # Only this account's alarms in us-east-1 may publish.
    policy = run.one("aws:sns/topicPolicy:TopicPolicy", arn=topic.outputs["arn"]).inputs
    assert policy["region"] == "us-east-1"
    (statement,) = statements(policy["policy"])
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert (
        statement["Condition"]["ArnLike"]["aws:SourceArn"]
        == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"
    )
    # The email addresses the stack config pages for P1, subscribed to this topic too (its
    # pagers, whose endpoints are secrets: test_program_paging.py).
    subscribed = sorted(
        (s.inputs["protocol"], s.inputs["endpoint"])
        for s in run.of_type(SUBSCRIPTION)
        if s.inputs["topic"] == topic.outputs["arn"] and s.inputs["protocol"] == "email"
    )
    wanted = sorted(
        (s["protocol"], s["endpoint"])
        for s in platform_config["notifications"]["subscriptions"]
        if s["severity"] == "P1" and s["protocol"] == "email"
    )
    assert subscribed == wanted and wanted
    assert all(
        s.inputs["region"] == "us-east-1"
        for s in run.of_type(SUBSCRIPTION)
        if s.inputs["topic"] == topic.outputs["arn"]
    )


def test_staging_has_no_health_checks_and_nothing_outside_its_region() -> None:
    run = program_run("staging")
    assert run.of_type(HEALTH_CHECK) == []
    assert not [a for a in run.of_type(METRIC_ALARM) if "region" in a.inputs]
    assert not [t for t in run.of_type(TOPIC) if "region" in t.inputs]


def test_a_non_production_health_check_is_refused_rather_than_paging_nobody() -> None:
    # Staging is P3 throughout; P3 feeds the issue queue in the platform's region only.
    def add_url(config: dict) -> None:
        _storefront(config)["healthCheckUrl"] = "https://staging.zelly.in/"

    with pytest.raises(ValueError, match="is P3 but lives in us-east-1"):
        run_program("staging", add_url)
