"""The preconditions as data, the pure judgments both checkers share, and the deployment guide's
list, which is generated from the data and must not drift from it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from stack_config import StackConfigError, load_platform, platform_from_config
from stack_config.loader import load_stack_config
from stack_config.preconditions import (
    DOC_BEGIN,
    DOC_END,
    PRECONDITIONS,
    Trail,
    audit_export_problems,
    backup_retention_problems,
    container_insights_problems,
    delivers_to,
    failure_message,
    finding,
    management_events_logged,
    markdown_table,
    parse_log_group_arn,
    report_line,
    required_retention_days,
    trail_problems,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = load_platform("production")
GROUP_ARN = "arn:aws:logs:ap-south-1:123456789012:log-group:/aws/cloudtrail/zelly:*"


def trail(**changes: Any) -> Trail:
    good = Trail(
        name="management-events",
        log_group_arn=GROUP_ARN,
        multi_region=True,
        global_service_events=True,
        is_logging=True,
        event_selectors=({"ReadWriteType": "All", "IncludeManagementEvents": True},),
    )
    return dataclasses.replace(good, **changes)


def test_each_precondition_is_one_line_of_what_why_and_fix() -> None:
    assert [p.key for p in PRECONDITIONS] == [
        "cloudtrail-log-group",
        "container-insights",
        "aurora-backup-retention",
        "aurora-audit-export",
    ]
    for pre in PRECONDITIONS:
        for text in (pre.what, pre.why, pre.fix):
            assert text and "\n" not in text and len(text) < 320, (pre.key, text)


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_the_texts_name_the_stacks_own_resources(stack: str) -> None:
    platform = load_platform(stack)
    for pre in PRECONDITIONS:
        filled = pre.for_platform(platform)
        assert "{" not in filled.what + filled.why + filled.fix, filled
    texts = {p.key: p.for_platform(platform) for p in PRECONDITIONS}
    assert f"--cluster {platform.cluster} " in texts["container-insights"].fix
    assert str(platform.cloudtrail_log_group) in texts["cloudtrail-log-group"].what
    assert f"--db-cluster-identifier {platform.aurora.cluster_id} " in texts["aurora-audit-export"].fix


def test_the_deployment_guide_lists_exactly_the_preconditions() -> None:
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert text.count(DOC_BEGIN) == 1 and text.count(DOC_END) == 1, "the generated pre-flight list is missing"
    documented = text[text.index(DOC_BEGIN) : text.index(DOC_END) + len(DOC_END)]
    assert documented == markdown_table(), (
        "docs/deployment.md's pre-flight list differs from stack_config/preconditions.py; paste the "
        'output of: .venv/bin/python -c "from stack_config.preconditions import markdown_table; '
        'print(markdown_table())"'
    )
    keys = re.findall(r"^\| `([a-z0-9-]+)` \|", documented, flags=re.M)
    assert keys == [p.key for p in PRECONDITIONS]


@pytest.mark.parametrize(
    ("basic", "advanced", "logged"),
    [
        ((), (), {"read", "write"}),  # CloudTrail's default: all management events
        (({"ReadWriteType": "All", "IncludeManagementEvents": True},), (), {"read", "write"}),
        (({"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True},), (), {"write"}),
        (
            ({"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}),
            (),
            {"read", "write"},
        ),
        (({"ReadWriteType": "All", "IncludeManagementEvents": False},), (), set()),
        (
            (),
            ({"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},),
            {"read", "write"},
        ),
        (
            (),
            (
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "readOnly", "Equals": ["false"]},
                    ]
                },
            ),
            {"write"},
        ),
        (
            (),
            (
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                    ]
                },
            ),
            {"read", "write"},
        ),
        (
            (),
            (
                {
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Management"]},
                        {"Field": "eventSource", "Equals": ["s3.amazonaws.com"]},
                    ]
                },
            ),
            set(),
        ),
        ((), ({"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]},), set()),
    ],
    ids=[
        "default",
        "basic-all",
        "basic-write-only",
        "basic-read-plus-write",
        "basic-no-management",
        "advanced-all",
        "advanced-write-only",
        "advanced-excluding-kms",
        "advanced-one-source",
        "advanced-data-only",
    ],
)
def test_which_management_events_a_trail_logs(basic, advanced, logged) -> None:
    assert management_events_logged(trail(event_selectors=basic, advanced_event_selectors=advanced)) == logged


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"is_logging": False}, "is not logging"),
        ({"multi_region": False}, "logs one Region only"),
        ({"global_service_events": False}, "excludes global service events"),
        ({"event_selectors": ({"ReadWriteType": "WriteOnly"},)}, "does not log read management events"),
        ({"is_logging": None}, None),  # not known: the checker says so, the judgment does not guess
    ],
)
def test_a_trail_that_leaves_the_security_filters_blind_is_named(changes, problem) -> None:
    problems = trail_problems(trail(**changes))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_delivery_is_to_the_log_group_in_the_platforms_region_and_account() -> None:
    assert parse_log_group_arn(GROUP_ARN) == parse_log_group_arn(GROUP_ARN.removesuffix(":*"))
    assert parse_log_group_arn("arn:aws:s3:::bucket") is None
    good = trail()
    assert delivers_to(good, "/aws/cloudtrail/zelly", "ap-south-1", "123456789012")
    assert not delivers_to(good, "/aws/cloudtrail/other", "ap-south-1")
    assert not delivers_to(good, "/aws/cloudtrail/zelly", "eu-west-1")
    assert not delivers_to(good, "/aws/cloudtrail/zelly", "ap-south-1", "999999999999")
    assert not delivers_to(trail(log_group_arn=None), "/aws/cloudtrail/zelly", "ap-south-1")


@pytest.mark.parametrize(
    ("settings", "holds"),
    [
        ([{"name": "containerInsights", "value": "enabled"}], True),
        ([{"name": "containerInsights", "value": "enhanced"}], True),
        ([{"name": "containerInsights", "value": "disabled"}], False),
        ([], False),
    ],
)
def test_container_insights_enabled_or_enhanced(settings, holds) -> None:
    assert (container_insights_problems(settings, "zelly-production") == []) is holds


def test_retention_needs_seven_days_and_what_the_stack_promises() -> None:
    assert required_retention_days(PRODUCTION) == 7
    assert backup_retention_problems(7, PRODUCTION) == []
    assert "6 days, fewer than 7" in backup_retention_problems(6, PRODUCTION)[0]
    fourteen = dataclasses.replace(
        PRODUCTION, aurora=dataclasses.replace(PRODUCTION.aurora, backup_retention_days=14)
    )
    assert "7 days, fewer than 14" in backup_retention_problems(7, fourteen)[0]
    one = dataclasses.replace(
        PRODUCTION, aurora=dataclasses.replace(PRODUCTION.aurora, backup_retention_days=1)
    )
    assert required_retention_days(one) == 7


def test_the_audit_log_must_be_exported_where_audit_log_search_reads() -> None:
    assert audit_export_problems(["audit", "error"], PRODUCTION) == []
    assert "exports error to CloudWatch Logs, not audit" in audit_export_problems(["error"], PRODUCTION)[0]
    assert "exports no logs" in audit_export_problems(None, PRODUCTION)[0]
    elsewhere = dataclasses.replace(
        PRODUCTION, aurora=dataclasses.replace(PRODUCTION.aurora, audit_log_group="/zelly/audit")
    )
    (problem,) = audit_export_problems(["audit"], elsewhere)
    assert "RDS exports the audit log to /aws/rds/cluster/zelly-aurora-production/audit" in problem


def test_report_lines_never_call_a_partly_seen_precondition_ok() -> None:
    pre = PRECONDITIONS[1].for_platform(PRODUCTION)
    assert report_line(finding(pre, seen="seen")).startswith("ok ")
    partly = report_line(finding(pre, not_covered=["no metrics here"], seen="seen"))
    assert partly.startswith("not covered ") and "not covered on this target: no metrics here" in partly
    missing = report_line(finding(pre, ["it is off"], ["no metrics here"]))
    assert missing.startswith("MISSING ") and f"Fix: {pre.fix}" in missing


def test_one_message_lists_every_failing_precondition_with_its_fix() -> None:
    findings = [finding(p.for_platform(PRODUCTION), [f"{p.key} broken"]) for p in PRECONDITIONS]
    findings.insert(1, finding(PRECONDITIONS[0].for_platform(PRODUCTION)))
    message = failure_message(findings)
    assert message.startswith("4 preconditions of the incident infrastructure do not hold")
    for pre in PRECONDITIONS:
        assert f"- {pre.key}: {pre.key} broken" in message
        assert f"fix: {pre.for_platform(PRODUCTION).fix}" in message


def _platform_with(**keys: Any):
    data = load_stack_config("production")["incident-guardrails:platform"]
    return platform_from_config({**data, **keys})


def test_the_trail_may_be_named_in_the_stack_config() -> None:
    assert _platform_with(cloudtrailTrail="management-events").cloudtrail_trail == "management-events"
    assert PRODUCTION.cloudtrail_trail is None


@pytest.mark.parametrize("name", ["ab", "-trail", "trail-", "my..trail", "my trail", "a" * 129])
def test_a_name_cloudtrail_refuses_is_refused_naming_the_key(name: str) -> None:
    with pytest.raises(
        StackConfigError, match=r"platform\.cloudtrailTrail: .* a CloudTrail trail name \(3-128"
    ):
        _platform_with(cloudtrailTrail=name)
