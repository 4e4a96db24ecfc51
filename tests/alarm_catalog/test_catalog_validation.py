"""A broken catalog fails whole, on load or expansion, with a message naming the entry."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

import pytest
import yaml

from alarm_catalog import CATALOG_PATH, CatalogError, expand, load_templates, parse_templates
from stack_config import load_platform

PLATFORM = load_platform("production")


def _minimal() -> dict[str, Any]:
    """A small valid catalog: one per-service alarm, one log filter, one composite."""
    return {
        "version": 1,
        "metricAlarms": [
            {
                "id": "no-tasks",
                "forEach": "web_service",
                "name": "{cluster}-{service}-no-tasks",
                "severity": "P1",
                "guideSection": "P0-A",
                "description": "{service} has no tasks",
                "metric": {
                    "namespace": "ECS/ContainerInsights",
                    "name": "RunningTaskCount",
                    "statistic": "Maximum",
                    "period": 60,
                    "dimensions": {"ClusterName": "{cluster}", "ServiceName": "{service}"},
                },
                "condition": {
                    "comparisonOperator": "LessThanThreshold",
                    "threshold": 1,
                    "evaluationPeriods": 3,
                    "treatMissingData": "breaching",
                },
            }
        ],
        "logMetricFilters": [
            {
                "id": "root-use",
                "name": "{cluster}-root",
                "logGroup": "{cloudtrail_log_group}",
                "pattern": '{ $.userIdentity.type = "Root" }',
                "metric": {"namespace": "Zelly/Security", "name": "Root"},
                "alarm": {
                    "name": "{cluster}-root",
                    "severity": "P0",
                    "guideSection": "P0-C",
                    "description": "root used",
                    "statistic": "Sum",
                    "period": 300,
                    "condition": {
                        "comparisonOperator": "GreaterThanOrEqualToThreshold",
                        "threshold": 1,
                        "evaluationPeriods": 1,
                    },
                },
            }
        ],
        "compositeAlarms": [
            {
                "id": "all-down",
                "name": "{cluster}-all-down",
                "severity": "P0",
                "guideSection": "P0-A",
                "description": "all down",
                "rule": {"allOfEach": "web_service", "rule": "{cluster}-{service}-no-tasks"},
            }
        ],
    }


def _expand(doc: dict[str, Any], platform=PLATFORM):
    return expand(platform, templates=parse_templates(doc, "test.yaml"))


def test_the_minimal_catalog_is_valid() -> None:
    catalog = _expand(_minimal())
    assert len(catalog.metric_alarms) == 5  # four web services + the root-use filter's alarm
    assert catalog.composite_alarms[0].expression.count("ALARM(") == 4


def test_the_shipped_catalog_loads() -> None:
    templates = load_templates(CATALOG_PATH)
    assert templates.metric_alarms and templates.log_metric_filters and templates.composite_alarms


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value

    return change


def _delete(path: str) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return change


LOAD_ERRORS = [
    (_set("metricAlarms.0.threshhold", 3), r"metricAlarms\[0\] \(no-tasks\)\.threshhold: unknown key"),
    (_set("metricAlarms.0.severity", "P5"), r"\(no-tasks\)\.severity: 'P5' is not a known severity"),
    (_set("metricAlarms.0.guideSection", "P9-Z"), r"\(no-tasks\)\.guideSection: 'P9-Z'"),
    (
        _set("metricAlarms.0.condition.comparisonOperator", "Below"),
        r"\(no-tasks\)\.condition\.comparisonOperator: 'Below' is not a known comparison operator",
    ),
    (_set("metricAlarms.0.condition.treatMissingData", "zero"), r"\(no-tasks\)\.condition\.treatMissingData"),
    (_set("metricAlarms.0.metric.statistic", "p99"), r"\(no-tasks\)\.metric\.statistic: 'p99'"),
    (_set("metricAlarms.0.metric.period", 45), r"\(no-tasks\)\.metric\.period: 45 s"),
    (_set("metricAlarms.0.condition.datapointsToAlarm", 4), r"\(no-tasks\)\.condition\.datapointsToAlarm"),
    (_set("metricAlarms.0.condition.threshold", True), r"\(no-tasks\)\.condition\.threshold"),
    (
        _set("metricAlarms.0.name", "{cluster}-{servce}"),
        r"\(no-tasks\)\.name: unknown template variable \{servce\}",
    ),
    (_set("metricAlarms.0.forEach", "lambda"), r"\(no-tasks\)\.forEach: 'lambda' is not a known scope"),
    (_set("metricAlarms.0.forService", "storefront"), r"\(no-tasks\): give forEach or forService"),
    (_set("metricAlarms.0.name", "{cluster!r}"), r"\(no-tasks\)\.name: template field"),
    (_delete("metricAlarms.0.condition"), r"\(no-tasks\)\.condition: required key is missing"),
    (_set("logMetricFilters.0.alarm.severity", "high"), r"\(root-use\)\.alarm\.severity: 'high'"),
    (
        _set("logMetricFilters.0.logGroup", "{service_log_group}"),
        r"\(root-use\)\.logGroup: unknown template variable \{service_log_group\}",
    ),
    (_set("compositeAlarms.0.rule", {"allOf": []}), r"\(all-down\)\.rule\.allOf: expected a non-empty list"),
    (
        _set("compositeAlarms.0.rule", {"allOfEach": "nodes", "rule": "x"}),
        r"\(all-down\)\.rule\.allOfEach: unknown scope 'nodes'",
    ),
    (_set("compositeAlarms.0.rule", {"allOf": ["a"], "anyOf": ["b"]}), r"\(all-down\)\.rule: a rule mapping"),
    (
        _set("compositeAlarms.0.rule", "{cluster}-{service}-no-tasks"),
        r"\(all-down\)\.rule: unknown template variable \{service\}",
    ),
    # Filter patterns are literal but for the variables they list (issue 12, the break-glass page).
    (
        _set("logMetricFilters.0.patternVariables", ["cluster"]),
        r"\(root-use\)\.patternVariables: the pattern does not use \{cluster\}",
    ),
    (
        _set("logMetricFilters.0.patternVariables", ["service"]),
        r"\(root-use\)\.patternVariables: unknown template variable \{service\}",
    ),
    (
        _set("logMetricFilters.0.pattern", '{ $.roleArn = "*/{cluster}-admin" }'),
        r"\(root-use\)\.pattern: uses \{cluster\} without listing it in patternVariables",
    ),
    (
        _set("logMetricFilters.0.alarm.nonProductionSeverity", "P9"),
        r"\(root-use\)\.alarm\.nonProductionSeverity: 'P9' is not a known severity",
    ),
    (_set("extra", []), r"unknown top-level key 'extra'"),
    (_set("version", 2), r"version must be 1"),
    (_set("compositeAlarms.0.id", "no-tasks"), r"duplicate template id 'no-tasks'"),
]


@pytest.mark.parametrize("change, message", LOAD_ERRORS)
def test_a_broken_entry_is_rejected_on_load_naming_it(change, message) -> None:
    doc = copy.deepcopy(_minimal())
    change(doc)
    with pytest.raises(CatalogError, match=message):
        parse_templates(doc, "test.yaml")


def test_target_group_variables_exist_only_where_services_have_target_groups() -> None:
    doc = _minimal()
    doc["metricAlarms"][0]["metric"]["dimensions"] = {"TargetGroup": "{target_group_dimension}"}
    parse_templates(doc, "test.yaml")  # web_service: allowed
    doc["metricAlarms"][0]["forEach"] = "worker_service"
    with pytest.raises(
        CatalogError,
        match=r"\(no-tasks\)\.metric\.dimensions\.TargetGroup: "
        r"unknown template variable \{target_group_dimension\}",
    ):
        parse_templates(doc, "test.yaml")


def test_a_variable_without_a_value_on_this_platform_fails_expansion() -> None:
    platform = dataclasses.replace(PLATFORM, cloudtrail_log_group=None)
    with pytest.raises(
        CatalogError,
        match=r"root-use\)\.logGroup: template variable "
        r"\{cloudtrail_log_group\} has no value",
    ):
        _expand(_minimal(), platform)


def test_for_service_naming_an_unknown_service_fails_expansion() -> None:
    doc = _minimal()
    doc["logMetricFilters"][0]["forService"] = "payments"
    with pytest.raises(
        CatalogError, match=r"logMetricFilters \(root-use\): forService: unknown service 'payments'"
    ):
        _expand(doc)


def test_a_composite_over_an_empty_scope_is_refused_not_vacuously_true() -> None:
    workers_only = dataclasses.replace(
        PLATFORM, services=tuple(dataclasses.replace(s, target_group=None) for s in PLATFORM.services)
    )
    with pytest.raises(CatalogError, match=r"\(all-down\)\.rule: scope 'web_service' has no items"):
        _expand(_minimal(), workers_only)


def test_a_composite_must_refer_to_catalog_alarms() -> None:
    doc = _minimal()
    doc["compositeAlarms"][0]["rule"] = {"anyOf": ["{cluster}-nonexistent"]}
    with pytest.raises(CatalogError, match=rf"\(all-down\): rule refers to '{PLATFORM.cluster}-nonexistent'"):
        _expand(doc)


def test_two_alarms_with_one_name_are_refused() -> None:
    doc = _minimal()
    doc["metricAlarms"].append({**copy.deepcopy(doc["metricAlarms"][0]), "id": "again"})
    with pytest.raises(CatalogError, match="two catalog alarms are named"):
        _expand(doc)


def test_a_threshold_template_must_expand_to_a_number() -> None:
    doc = _minimal()
    doc["metricAlarms"][0]["condition"]["threshold"] = "{service}"
    with pytest.raises(CatalogError, match=r"\(no-tasks\)\.condition\.threshold: '\{service\}' expands"):
        _expand(doc)


def test_a_yaml_typo_in_the_file_fails_naming_the_file(tmp_path) -> None:
    path = tmp_path / "alarms.yaml"
    path.write_text("version: 1\nmetricAlarms: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="alarms.yaml: not valid YAML"):
        load_templates(path)
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(_minimal()), encoding="utf-8")
    assert load_templates(good).metric_alarms[0].id == "no-tasks"


def _with_pattern(pattern: str, *names: str) -> dict[str, Any]:
    doc = _minimal()
    doc["logMetricFilters"][0].update(pattern=pattern, patternVariables=list(names))
    return doc


def test_listed_pattern_variables_are_filled_in_and_the_rest_stays_literal() -> None:
    # {cluster} is listed: filled in. The JSON braces and the regex quantifier {3} stay as written.
    pattern = '{ ($.a = "{cluster}") && ($.b = %[0-9]{3}%) }'
    [log_filter] = _expand(_with_pattern(pattern, "cluster")).log_metric_filters
    assert log_filter.pattern == f'{{ ($.a = "{PLATFORM.cluster}") && ($.b = %[0-9]{{3}}%) }}'


def test_the_break_glass_scope_exists_only_where_break_glass_is_configured() -> None:
    doc = _with_pattern('{ $.roleArn = "*/{break_glass_admin_role}" }', "break_glass_admin_role")
    doc["logMetricFilters"][0]["forEach"] = "break_glass"
    [log_filter] = _expand(doc).log_metric_filters
    assert log_filter.pattern == f'{{ $.roleArn = "*/{PLATFORM.cluster}-break-glass-admin" }}'
    # No breakGlass, no roles to watch: the entry repeats zero times (the program then refuses
    # the stack, naming platform.breakGlass).
    assert _expand(doc, dataclasses.replace(PLATFORM, break_glass=None)).log_metric_filters == ()
    # The role's variables exist only in that scope.
    doc["logMetricFilters"][0].pop("forEach")
    with pytest.raises(CatalogError, match=r"unknown template variable \{break_glass_admin_role\}"):
        parse_templates(doc, "test.yaml")


def test_a_pattern_cloudwatch_would_refuse_as_too_long_fails_expansion() -> None:
    # PutMetricFilter's filterPattern: at most 1024 characters (the CloudWatch Logs API model).
    doc = _with_pattern('{ $.a = "' + "x" * 1020 + '" }')
    with pytest.raises(
        CatalogError, match=r"has a pattern of 1032 characters; CloudWatch Logs takes at most 1024"
    ):
        _expand(doc)


def test_a_description_cloudwatch_would_refuse_as_too_long_fails_expansion() -> None:
    doc = _minimal()
    doc["logMetricFilters"][0]["alarm"]["description"] = "d" * 1025
    with pytest.raises(CatalogError, match=r"description is 1025 characters; CloudWatch takes at most 1024"):
        _expand(doc)


@pytest.mark.parametrize("stack, expected", [("production", "P0"), ("staging", "P0")])
def test_non_production_severity_keeps_an_alarm_paging_off_production(stack: str, expected: str) -> None:
    doc = _minimal()
    doc["logMetricFilters"][0]["alarm"]["nonProductionSeverity"] = "P0"
    catalog = _expand(doc, load_platform(stack))
    assert catalog.by_name(f"{load_platform(stack).cluster}-root").severity == expected
    # Without it, staging is P3 as the guide classes it.
    plain = _expand(_minimal(), load_platform(stack))
    assert plain.by_name(f"{load_platform(stack).cluster}-root").severity == (
        "P0" if stack == "production" else "P3"
    )
