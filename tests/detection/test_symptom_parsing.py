"""The symptoms format: expansion per scope, templates, and a clear error for each mistake."""

from __future__ import annotations

import json

import pytest
import yaml

from detection import (
    DEFAULT_STEADY_STATE,
    Hold,
    SymptomError,
    Symptoms,
    detect,
    evaluate_detection,
    parse_symptoms,
    steady_state,
)
from drills.detection_phase import load_symptoms
from drills.exceptions import ScenarioError
from stack_config import load_platform
from tests.support.platform_names import DB


def _parse(platform, text: str) -> Symptoms:
    return parse_symptoms(yaml.safe_load(text), platform)


def test_for_each_repeats_an_entry_per_web_service(platform) -> None:
    symptoms = _parse(
        platform,
        """
metrics:
  - for_each: web_service
    namespace: ECS/ContainerInsights
    metric: RunningTaskCount
    dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
    from_s: 30
    value: 0
    to_s: 600
""",
    )
    assert [dict(s.dimensions) for s in symptoms.metrics] == [
        {"ClusterName": platform.cluster, "ServiceName": s.name} for s in platform.services if s.target_group
    ]
    assert {(s.from_s, s.hold) for s in symptoms.metrics} == {(30, Hold(0.0, 60, 600))}
    assert list(symptoms.metrics[0].datapoints(until_s=200)) == [(30, 0.0), (90, 0.0), (150, 0.0)]


def test_points_and_templated_values(platform) -> None:
    symptoms = _parse(
        platform,
        """
metrics:
  - for_service: storefront
    namespace: ECS/ContainerInsights
    metric: RunningTaskCount
    dimensions: {ClusterName: "{cluster}", ServiceName: "{service}"}
    points: [[0, "{desired_count}"], [60, 1], [120, 0]]
""",
    )
    assert symptoms.metrics[0].points == ((0, 3.0), (60, 1.0), (120, 0.0))
    assert symptoms.metrics[0].hold is None


def test_log_lines_repeat_and_events_become_json(platform) -> None:
    symptoms = _parse(
        platform,
        """
logs:
  - for_service: customer-panel
    log_group: "{service_log_group}"
    at_s: 10
    count: 3
    every_s: 5
    message: "FirebaseAuthError: {not a template}"
  - log_group: "{cloudtrail_log_group}"
    at_s: 0
    event: {eventSource: iam.amazonaws.com, eventName: CreateAccessKey}
""",
    )
    lines = symptoms.log_lines
    panel_log_group = platform.service("customer-panel").log_group
    assert [(line.log_group, line.at_s) for line in lines[:3]] == [(panel_log_group, t) for t in (10, 15, 20)]
    assert lines[0].message == "FirebaseAuthError: {not a template}"
    assert (lines[3].log_group, json.loads(lines[3].message)) == (
        platform.cloudtrail_log_group,
        {"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey"},
    )


def test_an_empty_section_is_no_symptom(platform) -> None:
    assert parse_symptoms(None, platform) == Symptoms()


def test_steady_state_overrides_reach_the_baseline(platform, production_catalog) -> None:
    # A database nobody connects to, even before the fault: 5 of 5 periods below 1 at 60 s.
    symptoms = _parse(platform, 'steady_state: {"AWS/RDS DatabaseConnections": 0}')
    result = detect(platform, production_catalog, symptoms, horizon_s=60)
    assert result.first_firing(f"{DB}-no-connections").at_s == 60


def test_steady_state_override_for_an_unwatched_metric_is_refused(platform, production_catalog) -> None:
    with pytest.raises(SymptomError, match="no catalog alarm watches 'AWS/RDS ReadLatency'"):
        steady_state(production_catalog, platform, {"AWS/RDS ReadLatency": 1})


def test_a_metric_without_steady_state_is_reported_unbaselined(platform, production_catalog) -> None:
    table = {k: v for k, v in DEFAULT_STEADY_STATE.items() if k != "AWS/RDS CPUUtilization"}
    baseline = steady_state(production_catalog, platform, table=table)
    assert baseline.unbaselined == (f"{DB}-cpu-high",)
    # Its alarm treats missing data as missing, and with no datapoint at all its evaluation range
    # is empty from the first evaluation on: INSUFFICIENT_DATA at 60 s, never ALARM.
    result = evaluate_detection(production_catalog, Symptoms(), horizon_s=120, baseline=baseline)
    assert [(t.alarm_name, t.at_s, t.new_state) for t in result.transitions] == [
        (f"{DB}-cpu-high", 60, "INSUFFICIENT_DATA")
    ]


_METRIC = "namespace: ECS/ContainerInsights\n    metric: RunningTaskCount\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[]", "symptoms: expected a mapping"),
        ("alarms: []", "unknown key 'alarms'"),
        ("metrics: {}", "symptoms.metrics: expected a list"),
        ("metrics:\n  - metric: X\n    value: 1", "required key 'namespace'"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    points: [[0, 1]]", "exactly one of value"),
        (f"metrics:\n  - {_METRIC}", "exactly one of value"),
        (f"metrics:\n  - {_METRIC}    points: [[0, 1]]\n    every_s: 5", "every_s and to_s go with value"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    for_each: web", "'web' is not one of"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    for_service: payments", "unknown service 'payments'"),
        (
            f"metrics:\n  - {_METRIC}    value: 1\n    for_each: service\n    for_service: storefront",
            "not both",
        ),
        (
            f"metrics:\n  - {_METRIC}    value: 1\n    dimensions: {{ServiceName: '{{service}}'}}",
            r"metrics\[0\].dimensions.ServiceName: unknown variable \{service\}",
        ),
        (
            f"metrics:\n  - {_METRIC}    value: 1\n    for_each: worker_service\n"
            "    dimensions: {TargetGroup: '{target_group_dimension}'}",
            r"unknown variable \{target_group_dimension\}",
        ),
        (
            f"metrics:\n  - {_METRIC}    value: 1\n    for_service: events-consumer\n"
            "    dimensions: {TargetGroup: '{target_group_dimension}'}",
            "has no value",
        ),
        (f"metrics:\n  - {_METRIC}    value: lots", "'lots' is not a number"),
        (f"metrics:\n  - {_METRIC}    value: true", "expected a number"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    from_s: -60", "before the fault"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    every_s: 0", "positive"),
        (f"metrics:\n  - {_METRIC}    value: 1\n    from_s: 300\n    to_s: 60", "before from_s"),
        (f"metrics:\n  - {_METRIC}    from_s: 60\n    points: [[0, 1]]", "before from_s"),
        (f"metrics:\n  - {_METRIC}    points: [[0]]", r"points\[0\]: expected \[t_s, value\]"),
        ("logs:\n  - at_s: 0\n    message: x", "required key 'log_group'"),
        ("logs:\n  - log_group: g\n    at_s: 0", "exactly one of message"),
        ("logs:\n  - log_group: g\n    at_s: 0\n    message: x\n    count: 3", "every_s is required"),
        ("logs:\n  - log_group: g\n    at_s: 0\n    message: x\n    count: 0", "whole number >= 1"),
        ("logs:\n  - log_group: g\n    at_s: 0\n    event: [1]", "event: expected a mapping"),
        ("logs:\n  - log_group: g\n    at_s: 0\n    message: 7", "message: expected text"),
        (
            "logs:\n  - log_group: '{service_log_group}'\n    at_s: 0\n    message: x",
            r"unknown variable \{service_log_group\}",
        ),
        ("steady_state: {RunningTaskCount: 1}", "Namespace MetricName"),
        ("steady_state: {'AWS/RDS DatabaseConnections': [1]}", "expected a number"),
    ],
)
def test_each_mistake_is_named(platform, text, message) -> None:
    with pytest.raises(SymptomError, match=message):
        _parse(platform, text)


def test_a_scenario_with_bad_symptoms_is_refused_as_a_scenario_error(platform) -> None:
    """The evaluator has its own errors; the drills' detection phase reports them as the scenario's."""
    with pytest.raises(ScenarioError, match="symptoms") as raised:
        load_symptoms({"metrics": "not a list"}, platform)
    assert not isinstance(raised.value, SymptomError) and isinstance(raised.value.__context__, SymptomError)


def test_a_scope_the_stack_lacks_repeats_the_entry_zero_times() -> None:
    """One scenario serves every stack: staging has no public URL checked by Route 53."""
    text = """
metrics:
  - for_each: public_service
    namespace: AWS/Route53
    metric: HealthCheckStatus
    dimensions: {HealthCheckId: "{health_check}"}
    value: 0
"""
    by_stack = {
        stack: [s for s in parse_symptoms(yaml.safe_load(text), load_platform(stack)).metrics]
        for stack in ("production", "staging")
    }
    assert len(by_stack["production"]) == 2 and by_stack["staging"] == []
