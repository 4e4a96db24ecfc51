"""The catalog covers every symptom the guide names, per service, on both stacks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alarm_catalog
from alarm_catalog import (
    PAGING_SEVERITIES,
    SEVERITIES,
    CatalogError,
    CompositeAlarm,
    MetricAlarm,
    TargetGroupDimensions,
    expand,
)
from stack_config import load_platform
from stack_config.model import Service
from tests.support.platform_names import CLUSTER, STAGING

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("production", "staging")


@pytest.fixture(scope="module", params=STACKS)
def stack_catalog(request):
    platform = load_platform(request.param)
    return platform, expand(platform)


def _running_alarms(catalog, service: str) -> list[MetricAlarm]:
    return [
        a
        for a in catalog.for_service(service)
        if a.namespace == "ECS/ContainerInsights" and a.metric_name == "RunningTaskCount"
    ]


def test_every_service_has_running_tasks_alarms_below_its_desired_count(stack_catalog) -> None:
    platform, catalog = stack_catalog
    for service in platform.services:
        alarms = _running_alarms(catalog, service.name)
        below = [a for a in alarms if a.template == "running-below-desired"]
        assert len(below) == 1, service.name
        assert below[0].threshold == service.desired_count
        assert below[0].comparison_operator == "LessThanThreshold"
        assert below[0].dimensions == {"ClusterName": platform.cluster, "ServiceName": service.name}
        # ...and one that fires when nothing runs at all.
        assert any(a.threshold == 1 and a.statistic == "Maximum" for a in alarms), service.name


def test_every_target_group_has_the_load_balancer_alarms_of_its_type(stack_catalog) -> None:
    # Behind an ALB: target 5xx and host health under AWS/ApplicationELB. Behind the NLB: host
    # health only, under AWS/NetworkELB (an NLB counts no HTTP status codes).
    platform, catalog = stack_catalog
    expected = {
        "application": {
            ("AWS/ApplicationELB", m)
            for m in ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "HealthyHostCount")
        },
        "network": {("AWS/NetworkELB", m) for m in ("UnHealthyHostCount", "HealthyHostCount")},
    }
    for service in platform.services:
        metrics = {
            (a.namespace, a.metric_name)
            for a in catalog.for_service(service.name)
            if a.namespace in ("AWS/ApplicationELB", "AWS/NetworkELB")
        }
        if service.target_group is None:
            assert metrics == set(), service.name
        else:
            assert metrics == expected[service.load_balancer_type or "application"], service.name


def test_load_balancer_dimensions_use_looked_up_values_when_given() -> None:
    platform = load_platform("production")
    arn = "arn:aws:elasticloadbalancing:ap-south-1:111122223333"
    looked_up = {
        s.target_group: TargetGroupDimensions.from_arns(
            f"{arn}:targetgroup/{s.target_group}/abc123",
            f"{arn}:loadbalancer/{'net' if s.name == 'storefront' else 'app'}/zelly-prod/def456",
        )
        for s in platform.services
        if s.target_group
    }
    catalog = expand(platform, target_groups=looked_up)
    nova = platform.service("fastify-nova").target_group
    assert catalog.by_name(f"{platform.cluster}-fastify-nova-target-5xx").dimensions == {
        "TargetGroup": f"targetgroup/{nova}/abc123",
        "LoadBalancer": "app/zelly-prod/def456",
    }
    storefront = platform.service("storefront").target_group
    alarm = catalog.by_name(f"{platform.cluster}-storefront-no-healthy-hosts")
    assert (alarm.namespace, alarm.dimensions) == (
        "AWS/NetworkELB",
        {"TargetGroup": f"targetgroup/{storefront}/abc123", "LoadBalancer": "net/zelly-prod/def456"},
    )
    placeholder = expand(platform).by_name(f"{platform.cluster}-storefront-no-healthy-hosts")
    assert placeholder.dimensions == {
        "TargetGroup": f"targetgroup/{storefront}/unresolved",
        "LoadBalancer": f"net/{storefront}/unresolved",
    }


def test_the_guides_sections_each_have_alarms(stack_catalog) -> None:
    _, catalog = stack_catalog
    sections = {a.guide_section for a in catalog.alarms}
    assert {
        "P0-A",
        "P0-C",
        "P1-A",
        "P1-B",
        "P1-C",
        "P2-admin-slow",
        "P2-analytics-delayed",
        "P2-webhooks-delayed",
    } <= sections


def test_security_filters_read_cloudtrail_and_feed_one_alarm_each(stack_catalog) -> None:
    platform, catalog = stack_catalog
    security = [f for f in catalog.log_metric_filters if f.log_group == platform.cloudtrail_log_group]
    assert {f.template for f in security} == {
        "unauthorized-api-calls",
        "console-login-without-mfa",
        "root-account-usage",
        "iam-policy-changes",
        "access-key-created",
        "cloudtrail-changes",
        "break-glass-admin-assumed",
        "pager-subscription-changes",
    }
    for log_filter in catalog.log_metric_filters:
        alarm = catalog.by_name(log_filter.alarm_name)
        assert alarm.log_metric_filter == log_filter.name
        assert (alarm.namespace, alarm.metric_name) == (log_filter.metric_namespace, log_filter.metric_name)


def test_application_error_filters_watch_the_right_service_logs(stack_catalog) -> None:
    platform, catalog = stack_catalog
    by_template = {f.template: f for f in catalog.log_metric_filters}
    assert by_template["payment-gateway-errors"].log_group == platform.service("fastify-nova").log_group
    assert by_template["login-errors"].log_group == platform.service("customer-panel").log_group


def test_production_pages_by_the_guides_severity() -> None:
    catalog = expand(load_platform("production"))
    assert all(a.severity == a.guide_severity for a in catalog.alarms)
    assert catalog.by_name(f"{CLUSTER}-all-services-down").severity == "P0"
    assert catalog.by_name(f"{CLUSTER}-storefront-no-running-tasks").severity == "P1"
    # The guide ranks the admin panel (orion) as P2.
    assert catalog.by_name(f"{CLUSTER}-orion-backend-no-running-tasks").severity == "P2"
    assert catalog.by_name(f"{CLUSTER}-events-consumer-no-running-tasks").severity == "P2"
    assert {a.severity for a in catalog.alarms} <= set(PAGING_SEVERITIES)


def test_staging_is_p3_throughout_but_keeps_the_guides_level() -> None:
    catalog = expand(load_platform("staging"))
    # Except break-glass use: the admin role reaches the whole account, whichever stack made it.
    page = f"{STAGING.cluster}-break-glass-admin-assumed"
    assert {a.severity for a in catalog.alarms if a.name != page} == {"P3"}
    assert catalog.by_name(page).severity == "P0"
    assert catalog.by_name(f"{STAGING.cluster}-all-services-down").guide_severity == "P0"


def test_the_break_glass_page_is_p0_on_the_trail_for_the_admin_role_only(stack_catalog) -> None:
    platform, catalog = stack_catalog
    [log_filter] = [f for f in catalog.log_metric_filters if f.template == "break-glass-admin-assumed"]
    assert log_filter.log_group == platform.cloudtrail_log_group
    admin = platform.break_glass_admin_role
    assert f'"*/{admin}"' in log_filter.pattern and '"AssumeRole"' in log_filter.pattern
    # The same name in any letter case (IAM role names are case-insensitive), as a regex.
    assert f"%/{alarm_catalog.variables.any_letter_case(admin)}%" in log_filter.pattern
    assert platform.break_glass_investigator_role not in log_filter.pattern
    alarm = catalog.by_name(log_filter.alarm_name)
    assert isinstance(alarm, MetricAlarm)
    assert (alarm.severity, alarm.guide_severity, alarm.guide_section) == ("P0", "P0", "P0-C")
    assert (alarm.statistic, alarm.period, alarm.threshold, alarm.comparison_operator) == (
        "Sum",
        60,
        1.0,
        "GreaterThanOrEqualToThreshold",
    )
    assert (alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.treat_missing_data) == (
        1,
        1,
        "notBreaching",
    )


def test_any_letter_case_is_a_cloudwatch_regex_of_the_name() -> None:
    assert (
        alarm_catalog.variables.any_letter_case("Zelly-prod_1") == "[Zz][Ee][Ll][Ll][Yy]-[Pp][Rr][Oo][Dd]_1"
    )
    with pytest.raises(CatalogError, match="only letters, digits, - and _"):
        alarm_catalog.variables.any_letter_case("a.b")


def test_pager_subscription_changes_watch_the_p0_and_p1_topics(stack_catalog) -> None:
    platform, catalog = stack_catalog
    [log_filter] = [f for f in catalog.log_metric_filters if f.template == "pager-subscription-changes"]
    for severity in ("P0", "P1"):
        assert f'"*:{platform.notifications.topic_name(severity)}:*"' in log_filter.pattern
    alarm = catalog.by_name(log_filter.alarm_name)
    assert alarm.guide_severity == "P1"
    assert alarm.severity == ("P1" if platform.production else "P3")


def test_all_services_down_needs_every_web_service_down(stack_catalog) -> None:
    platform, catalog = stack_catalog
    composite = catalog.by_name(f"{platform.cluster}-all-services-down")
    assert isinstance(composite, CompositeAlarm)
    web = [s.name for s in platform.services if s.target_group]
    down = {f"{platform.cluster}-{name}-no-running-tasks": "ALARM" for name in web}
    assert composite.evaluate(down)
    # One web service still has healthy targets and tasks: not "all down".
    partly = {**down, f"{platform.cluster}-{web[0]}-no-running-tasks": "OK"}
    assert not composite.evaluate(partly)
    # Running but no healthy hosts counts as down too.
    assert composite.evaluate({**partly, f"{platform.cluster}-{web[0]}-no-healthy-hosts": "ALARM"})
    assert set(composite.alarm_names) <= {a.name for a in catalog.metric_alarms}
    assert composite.expression.count(" AND ") == len(web) - 1
    assert 'ALARM("' in composite.expression


def test_breaches_follows_the_comparison_operator() -> None:
    catalog = expand(load_platform("production"))
    below = catalog.by_name(f"{CLUSTER}-fastify-nova-running-below-desired")
    assert below.breaches(3) and not below.breaches(4)
    errors = catalog.by_name(f"{CLUSTER}-payment-gateway-errors")
    assert errors.breaches(5) and not errors.breaches(4)


def test_every_alarm_is_well_formed(stack_catalog) -> None:
    _, catalog = stack_catalog
    assert len(set(catalog.names)) == len(catalog.alarms)
    for alarm in catalog.alarms:
        assert alarm.severity in SEVERITIES and alarm.guide_severity in SEVERITIES
        assert alarm.description and "{" not in alarm.name
    for alarm in catalog.metric_alarms:
        assert 1 <= alarm.datapoints_to_alarm <= alarm.evaluation_periods
        assert all(value and "{" not in value for value in alarm.dimensions.values())


def test_by_name_rejects_an_unknown_alarm() -> None:
    catalog = expand(load_platform("production"))
    with pytest.raises(CatalogError, match="no catalog alarm is named 'nope'"):
        catalog.by_name("nope")


def test_the_catalog_imports_without_pulumi() -> None:
    code = (
        "import sys, alarm_catalog, stack_config; "
        "alarm_catalog.expand(stack_config.load_platform('production')); "
        "assert not any(m == 'pulumi' or m.startswith('pulumi.') or m.startswith('pulumi_') "
        "for m in sys.modules), 'pulumi was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


_extra_names = st.lists(st.from_regex(r"x-[a-z0-9\-]{0,20}", fullmatch=True), max_size=5, unique=True)


@settings(max_examples=40, deadline=None)
@given(extra=_extra_names, data=st.data())
def test_any_platform_gets_a_running_alarm_per_service(extra: list[str], data) -> None:
    base = load_platform("production")
    resized = tuple(
        dataclasses.replace(s, desired_count=data.draw(st.integers(0, 50))) for s in base.services
    )
    added = tuple(
        Service(
            name=name,
            log_group=f"/zelly/ecs/{name}",
            desired_count=data.draw(st.integers(0, 50)),
            target_group=data.draw(st.sampled_from([None, f"tg-{i}"])),
        )
        for i, name in enumerate(extra)
    )
    platform = dataclasses.replace(base, services=resized + added)
    catalog = expand(platform)
    for service in platform.services:
        below = [a for a in _running_alarms(catalog, service.name) if a.template == "running-below-desired"]
        assert [a.threshold for a in below] == [service.desired_count]
    web = [s for s in platform.services if s.target_group]
    composite = catalog.by_name(f"{platform.cluster}-all-services-down")
    assert len(composite.alarm_names) == 2 * len(web)


def test_public_names_are_exported() -> None:
    for name in ("expand", "Catalog", "MetricAlarm", "LogMetricFilter", "CompositeAlarm"):
        assert hasattr(alarm_catalog, name)
