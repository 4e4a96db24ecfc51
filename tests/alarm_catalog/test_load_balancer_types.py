"""Load-balancer alarms follow the type of the load balancer: namespace, metrics, dimensions (issue 12).

An ALB publishes under AWS/ApplicationELB (``app/...``), an NLB under AWS/NetworkELB (``net/...``)
with no HTTP status counts. The type comes from the look-up (``TargetGroupDimensions``) or, offline,
from the service's ``loadBalancerType``; the two must agree.
"""

from __future__ import annotations

import dataclasses

import pytest

from alarm_catalog import CatalogError, TargetGroupDimensions, expand, parse_templates
from stack_config import Platform, load_platform

ARN = "arn:aws:elasticloadbalancing:ap-south-1:111122223333"
LB_ALARMS = ("target-5xx", "unhealthy-hosts", "no-healthy-hosts")


def _looked_up(platform: Platform, kinds: dict[str, str]) -> dict[str, TargetGroupDimensions]:
    """What the program's look-up answers: each target group behind ``kinds[service]`` (app/net),
    the ALB services sharing one load balancer."""
    return {
        s.target_group: TargetGroupDimensions.from_arns(
            f"{ARN}:targetgroup/{s.target_group}/abc123",
            f"{ARN}:loadbalancer/{kinds.get(s.name, 'app')}/zelly-{kinds.get(s.name, 'app')}/def456",
        )
        for s in platform.services
        if s.target_group
    }


def _with_service(platform: Platform, name: str, **changes) -> Platform:
    services = tuple(dataclasses.replace(s, **changes) if s.name == name else s for s in platform.services)
    return dataclasses.replace(platform, services=services)


@pytest.fixture(scope="module")
def production() -> Platform:
    return load_platform("production")


def test_storefront_behind_the_nlb_is_watched_under_network_elb_without_http_codes(production) -> None:
    catalog = expand(production, target_groups=_looked_up(production, {"storefront": "net"}))
    storefront = {a.template: a for a in catalog.for_service("storefront") if a.template in LB_ALARMS}
    # No HTTPCode_Target_5XX_Count behind an NLB: the alarm is not created at all.
    assert set(storefront) == {"unhealthy-hosts", "no-healthy-hosts"}
    for alarm in storefront.values():
        assert alarm.namespace == "AWS/NetworkELB"
        assert alarm.dimensions == {
            "TargetGroup": "targetgroup/zelly-prod-storefront/abc123",
            "LoadBalancer": "net/zelly-net/def456",
        }
    # AWS's advice for an NLB: the Minimum of UnHealthyHostCount, the Maximum of HealthyHostCount.
    assert storefront["unhealthy-hosts"].statistic == "Minimum"
    assert storefront["no-healthy-hosts"].statistic == "Maximum"
    nova = {a.template: a for a in catalog.for_service("fastify-nova") if a.template in LB_ALARMS}
    assert set(nova) == set(LB_ALARMS)
    assert {a.namespace for a in nova.values()} == {"AWS/ApplicationELB"}
    assert nova["unhealthy-hosts"].statistic == "Maximum"


def test_offline_the_declared_type_gives_the_namespace_and_the_stand_in_dimensions(production) -> None:
    # Drills and the detection replay expand without AWS: the stack config's loadBalancerType.
    alarm = expand(production).by_name(f"{production.cluster}-storefront-no-healthy-hosts")
    assert alarm.namespace == "AWS/NetworkELB"
    assert alarm.dimensions["LoadBalancer"] == "net/zelly-prod-storefront/unresolved"
    undeclared = _with_service(production, "storefront", load_balancer_type=None)
    alarm = expand(undeclared).by_name(f"{production.cluster}-storefront-no-healthy-hosts")
    assert (alarm.namespace, alarm.dimensions["LoadBalancer"][:4]) == ("AWS/ApplicationELB", "app/")


def test_the_looked_up_type_wins_when_none_is_declared(production) -> None:
    undeclared = _with_service(production, "storefront", load_balancer_type=None)
    catalog = expand(undeclared, target_groups=_looked_up(undeclared, {"storefront": "net"}))
    assert catalog.by_name(f"{production.cluster}-storefront-no-healthy-hosts").namespace == "AWS/NetworkELB"
    assert f"{production.cluster}-storefront-target-5xx" not in catalog.names


def test_a_declared_type_aws_contradicts_is_an_error(production) -> None:
    with pytest.raises(CatalogError, match="storefront declares loadBalancerType network.*application"):
        expand(production, target_groups=_looked_up(production, {}))


def test_dimensions_refuse_a_load_balancer_of_another_type() -> None:
    with pytest.raises(CatalogError, match="neither an application"):
        TargetGroupDimensions.from_arns(f"{ARN}:targetgroup/tg/1", f"{ARN}:loadbalancer/gwy/gw/2")
    with pytest.raises(CatalogError, match="does not start with net/"):
        TargetGroupDimensions("targetgroup/tg/1", "app/lb/2", "network")


def test_load_balancer_5xx_is_one_alarm_per_alb_at_the_most_severe_level_behind_it(production) -> None:
    # fastify-nova, customer-panel and orion-backend share one ALB: one HTTPCode_ELB_5XX_Count
    # alarm (a load-balancer metric: LoadBalancer dimension only), P1 as fastify-nova's.
    catalog = expand(production, target_groups=_looked_up(production, {"storefront": "net"}))
    elb = [a for a in catalog.metric_alarms if a.template == "load-balancer-5xx"]
    assert [(a.name, a.namespace, a.metric_name, a.dimensions, a.statistic) for a in elb] == [
        (
            f"{production.cluster}-zelly-app-elb-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            {"LoadBalancer": "app/zelly-app/def456"},
            "Sum",
        )
    ]
    assert (elb[0].severity, elb[0].guide_section) == ("P1", "P0-A")
    assert "fastify-nova, customer-panel, orion-backend" in elb[0].description
    # Offline every target group stands in for its own load balancer: orion-backend's alone is P2.
    offline = {a.name: a for a in expand(production).metric_alarms if a.template == "load-balancer-5xx"}
    orion = offline[f"{production.cluster}-zelly-prod-orion-backend-elb-5xx"]
    assert (orion.severity, orion.guide_section) == ("P2", "P2-admin-slow")
    assert not any("storefront" in name for name in offline)


LB_TEMPLATE = {
    "id": "t",
    "forEach": "web_service",
    "name": "{cluster}-{service}-t",
    "severity": "P2",
    "guideSection": "P0-A",
    "description": "d",
    "metric": {
        "name": "HealthyHostCount",
        "statistic": "Maximum",
        "period": 60,
        "byLoadBalancerType": {"application": {"namespace": "AWS/ApplicationELB"}},
    },
    "condition": {"comparisonOperator": "LessThanThreshold", "threshold": 1, "evaluationPeriods": 1},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t["metric"]["byLoadBalancerType"].update(gateway={}),
            "'gateway' is not a known load balancer type",
        ),
        (lambda t: t.update(forEach="service"), "only templates repeated over load_balancer or web_service"),
        (lambda t: t["metric"]["byLoadBalancerType"].update(network={}), r"metric namespace is missing"),
        (
            lambda t: t["metric"]["byLoadBalancerType"]["application"].update(statistic="p99"),
            "not a known statistic",
        ),
    ],
)
def test_by_load_balancer_type_is_validated_when_the_catalog_loads(change, message) -> None:
    template = {
        **LB_TEMPLATE,
        "metric": {
            **LB_TEMPLATE["metric"],
            "byLoadBalancerType": {"application": {"namespace": "AWS/ApplicationELB"}},
        },
    }
    change(template)
    with pytest.raises(CatalogError, match=message):
        parse_templates({"version": 1, "metricAlarms": [template]}, "test.yaml")
