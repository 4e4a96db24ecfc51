"""The production catalog end to end: steady state, P0-A, composites, logs, CloudTrail."""

from __future__ import annotations

import json

import pytest
import yaml

from detection import ALARM, OK, DetectionError, Symptoms, detect, parse_symptoms
from tests.support.platform_names import CLUSTER

P0_ACKNOWLEDGE_S = 15 * 60
ALL_DOWN = f"{CLUSTER}-all-services-down"

# The symptoms section a P0-A scenario carries: every web service runs no task from the fault.
P0A_SYMPTOMS = """
metrics:
  - name: every web service runs no task
    for_each: web_service
    namespace: ECS/ContainerInsights
    metric: RunningTaskCount
    dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
    from_s: 0
    value: 0
"""


def _detect(platform, catalog, text: str, horizon_s: float = 1800):
    return detect(platform, catalog, parse_symptoms(yaml.safe_load(text), platform), horizon_s=horizon_s)


def test_the_steady_state_alone_never_changes_any_alarm(platform, production_catalog) -> None:
    result = detect(platform, production_catalog, Symptoms(), horizon_s=1800)
    assert result.transitions == ()
    assert result.unbaselined == () and result.unwatched == ()


def test_every_web_service_without_tasks_pages_p0_a_at_three_minutes(platform, production_catalog) -> None:
    # Each "<service>-no-running-tasks" alarm: RunningTaskCount Maximum < 1 in 3 of 3 periods of
    # 60 s. The zeros start at t = 0, so the periods [0, 60), [60, 120), [120, 180) are the first
    # three all-zero ones, judged at the evaluation of 180 s (pre-fault datapoints of 4 fill the
    # older periods until then). The composite "all services down" follows its four children
    # at once: P0 page at 180 s, well within the guide's 15 minutes.
    result = _detect(platform, production_catalog, P0A_SYMPTOMS)
    page = result.first_page("P0")
    assert (page.alarm_name, page.at_s, page.kind, page.guide_section) == (ALL_DOWN, 180, "composite", "P0-A")
    assert page.at_s <= P0_ACKNOWLEDGE_S
    # "running below desired" (Minimum < desired in 5 of 5) pages P2 two minutes later.
    assert result.first_firing(f"{CLUSTER}-storefront-running-below-desired").at_s == 300
    # The worker service was left alone, and so was the database.
    assert result.first_firing(f"{CLUSTER}-events-consumer-no-running-tasks") is None
    assert result.state_at(ALL_DOWN, 179) == OK and result.state_at(ALL_DOWN, 180) == ALARM


def test_one_service_down_pages_that_service_not_p0(platform, production_catalog) -> None:
    result = _detect(
        platform,
        production_catalog,
        P0A_SYMPTOMS.replace("for_each: web_service", "for_service: fastify-nova"),
    )
    assert result.first_page("P0") is None
    assert result.state_at(ALL_DOWN, 1800) == OK
    page = result.first_page("P1")
    assert (page.alarm_name, page.at_s, page.guide_section) == (
        f"{CLUSTER}-fastify-nova-no-running-tasks",
        180,
        "P1-A",
    )


def test_the_composite_accepts_either_symptom_per_service(platform, production_catalog) -> None:
    # fastify-nova and storefront run no task (fires at 180 s); customer-panel and orion-backend
    # run but have no healthy target (HealthyHostCount Maximum < 1, 2 of 2: fires at 120 s).
    # Every service is down by one route or the other from 180 s on.
    text = """
metrics:
  - for_service: fastify-nova
    namespace: ECS/ContainerInsights
    metric: RunningTaskCount
    dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
    value: 0
  - for_service: storefront
    namespace: ECS/ContainerInsights
    metric: RunningTaskCount
    dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
    value: 0
"""
    for service in ("customer-panel", "orion-backend"):
        text += f"""
  - for_service: {service}
    namespace: AWS/ApplicationELB
    metric: HealthyHostCount
    dimensions: {{TargetGroup: "{{target_group_dimension}}", LoadBalancer: "{{load_balancer_dimension}}"}}
    value: 0
"""
    result = _detect(platform, production_catalog, text)
    assert result.first_firing(f"{CLUSTER}-customer-panel-no-healthy-hosts").at_s == 120
    assert result.first_page("P0").at_s == 180


def test_razorpay_errors_page_p1_a_within_a_minute(platform, production_catalog) -> None:
    # 10 errors 6 s apart from 30 s: by 60 s the sliding 5-minute Sum holds 5 (30 ... 54 s) >= 5.
    result = _detect(
        platform,
        production_catalog,
        """
logs:
  - for_service: fastify-nova
    log_group: "{service_log_group}"
    at_s: 30
    count: 10
    every_s: 6
    message: "POST /v1/checkout failed: Razorpay API error 502 Bad Gateway"
""",
    )
    page = result.first_page("P1")
    assert (page.alarm_name, page.at_s, page.guide_section) == (
        f"{CLUSTER}-payment-gateway-errors",
        60,
        "P1-A",
    )
    # At 360 s the window [60, 360) still holds 5 errors (60 ... 84 s); at 420 s only 4: OK.
    assert result.state_at(f"{CLUSTER}-payment-gateway-errors", 420) == OK


def test_a_root_console_sign_in_pages_p0_c(platform, production_catalog) -> None:
    event = {
        "eventName": "ConsoleLogin",
        "eventType": "AwsConsoleSignIn",
        "userIdentity": {"type": "Root"},
        "additionalEventData": {"MFAUsed": "No"},
        "responseElements": {"ConsoleLogin": "Success"},
    }
    result = _detect(
        platform,
        production_catalog,
        f"""
logs:
  - log_group: "{{cloudtrail_log_group}}"
    at_s: 100
    event: {json.dumps(event)}
""",
    )
    assert [(f.alarm_name, f.at_s) for f in result.fired] == [(f"{CLUSTER}-root-account-usage", 120)]
    assert result.first_page("P0").guide_section == "P0-C"


def test_symptoms_no_alarm_watches_are_reported(platform, production_catalog) -> None:
    # Storefront is behind an NLB, which counts no HTTP status: an HTTPCode_ELB_5XX_Count symptom
    # on its load balancer is one no catalog alarm can watch (tests/detection/
    # test_detection_new_symptoms.py has the ALB's); a log line in a group without a metric
    # filter is reported too.
    result = _detect(
        platform,
        production_catalog,
        """
metrics:
  - namespace: AWS/ApplicationELB
    metric: HTTPCode_ELB_5XX_Count
    for_service: storefront
    dimensions: {LoadBalancer: "{load_balancer_dimension}"}
    value: 500
logs:
  - log_group: /zelly/ecs/unknown
    at_s: 0
    message: boom
""",
    )
    assert result.fired == ()
    assert result.unwatched == (
        "metric AWS/ApplicationELB HTTPCode_ELB_5XX_Count"
        f"{{LoadBalancer=net/{platform.service('storefront').target_group}/unresolved}}",
        "log group /zelly/ecs/unknown",
    )


def test_asking_about_an_unknown_alarm_is_an_error(platform, production_catalog) -> None:
    result = detect(platform, production_catalog, Symptoms(), horizon_s=60)
    with pytest.raises(DetectionError, match="no catalog alarm"):
        result.state_at("zelly-production-typo", 60)
