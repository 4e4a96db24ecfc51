"""The guide's symptoms that had no alarm (issue 12, item 8): ECS CPU and memory per service, the
load balancer's own 5xx, and an external health check of the public URLs."""

from __future__ import annotations

import copy

import pytest

from alarm_catalog import CatalogError, expand, load_templates, parse_templates
from alarm_catalog.templates import CATALOG_PATH
from stack_config import load_platform
from stack_config.strict_yaml import load_yaml


@pytest.fixture(scope="module")
def production():
    platform = load_platform("production")
    return platform, expand(platform)


@pytest.mark.parametrize(
    ("template", "metric", "statistic", "period", "threshold", "periods"),
    [
        ("service-cpu-high", "CPUUtilization", "Average", 300, 85, 3),
        ("service-memory-high", "MemoryUtilization", "Average", 60, 90, 5),
    ],
)
def test_every_service_has_ecs_cpu_and_memory_alarms_at_p2(
    production, template, metric, statistic, period, threshold, periods
) -> None:
    platform, catalog = production
    alarms = {a.service: a for a in catalog.metric_alarms if a.template == template}
    assert set(alarms) == set(platform.service_names)
    sections = {}
    for service, alarm in alarms.items():
        assert (alarm.namespace, alarm.metric_name, alarm.statistic, alarm.period) == (
            "AWS/ECS",
            metric,
            statistic,
            period,
        )
        assert alarm.dimensions == {"ClusterName": platform.cluster, "ServiceName": service}
        assert (alarm.threshold, alarm.comparison_operator) == (threshold, "GreaterThanOrEqualToThreshold")
        assert alarm.evaluation_periods == alarm.datapoints_to_alarm == periods
        # AWS/ECS reports nothing for a service without running tasks: not a breach.
        assert alarm.treat_missing_data == "missing"
        # "Single service degraded": P2.
        assert alarm.severity == "P2"
        sections[service] = alarm.guide_section
    assert sections["orion-backend"] == "P2-admin-slow"  # "Admin panel (orion) slow: check CPU/memory"
    assert sections["events-consumer"] == "P2-analytics-delayed"
    assert sections["fastify-nova"] == "P0-A"  # "if memory/CPU spike caused the crash, scale up first"


def test_the_public_urls_get_a_route53_health_check_with_its_alarm_in_us_east_1(production) -> None:
    platform, catalog = production
    checks = {c.service: c for c in catalog.health_checks}
    assert set(checks) == {"fastify-nova", "customer-panel"}
    api = checks["fastify-nova"]
    assert (api.url, api.protocol, api.host, api.port, api.resource_path) == (
        "https://api.zelly.in/health",
        "HTTPS",
        "api.zelly.in",
        443,
        "/health",
    )
    assert (api.request_interval, api.failure_threshold) == (30, 3)
    alarm = catalog.by_name(api.alarm_name)
    assert (alarm.namespace, alarm.metric_name, alarm.statistic) == (
        "AWS/Route53",
        "HealthCheckStatus",
        "Minimum",
    )
    assert (alarm.comparison_operator, alarm.threshold, alarm.period) == ("LessThanThreshold", 1, 60)
    assert (alarm.evaluation_periods, alarm.datapoints_to_alarm) == (2, 2)
    # Route 53 publishes HealthCheckStatus only in us-east-1; offline the check's name stands in
    # for the HealthCheckId Route 53 assigns.
    assert alarm.region == "us-east-1"
    assert alarm.health_check == api.name == f"{platform.cluster}-fastify-nova-public-health"
    assert alarm.dimensions == {"HealthCheckId": api.name}
    assert (alarm.severity, alarm.guide_section, alarm.service) == ("P1", "P0-A", "fastify-nova")
    # Every other alarm lives in the platform's region.
    assert {a.region for a in catalog.metric_alarms if a.health_check is None} == {None}


def test_a_stack_without_health_check_urls_has_no_health_checks() -> None:
    catalog = expand(load_platform("staging"))
    assert catalog.health_checks == ()
    assert not [a for a in catalog.metric_alarms if a.region is not None]


def _catalog_document() -> dict:
    return load_yaml(CATALOG_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(requestInterval=20), "requestInterval: 20 is not 10 or 30"),
        (lambda h: h.update(failureThreshold=11), r"failureThreshold: 11 is outside 1\.\.10"),
        (lambda h: h["alarm"].update(period=30), "Route 53 publishes one datapoint a minute"),
        (lambda h: h.update(forEach="web_service"), r"unknown template variable \{health_check"),
        (lambda h: h["alarm"].update(severity="P5"), "'P5' is not a known severity"),
    ],
)
def test_health_check_entries_are_validated_when_the_catalog_loads(change, message) -> None:
    document = copy.deepcopy(_catalog_document())
    change(document["healthChecks"][0])
    with pytest.raises(CatalogError, match=message):
        parse_templates(document, "alarms.yaml")


def test_a_composite_cannot_name_an_alarm_of_another_region() -> None:
    # CloudWatch composite rules name alarms of their own account and region only.
    document = copy.deepcopy(_catalog_document())
    document["compositeAlarms"].append(
        {
            "id": "public-down",
            "name": "{cluster}-public-down",
            "severity": "P0",
            "guideSection": "P0-A",
            "description": "d",
            "rule": {"allOfEach": "public_service", "rule": "{cluster}-{service}-public-endpoint-down"},
        }
    )
    templates = parse_templates(document, "alarms.yaml")
    with pytest.raises(CatalogError, match="lives in us-east-1, not in the platform's region"):
        expand(load_platform("production"), templates=templates)


def test_the_shipped_catalog_says_which_alarm_an_nlb_lacks() -> None:
    # The catalog data itself explains the missing ALB-only alarms behind an NLB.
    text = CATALOG_PATH.read_text(encoding="utf-8")
    assert "network: no alarm. An NLB counts no HTTP status codes" in text
    assert "network: no alarm. An NLB answers no HTTP" in text
    assert load_templates().health_checks
