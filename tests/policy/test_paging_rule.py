"""The pack refuses a production stack whose P0 or P1 topic wakes nobody (issue 12, item 8):
email and email-json do not count, a pager over HTTPS, SMS or Lambda does. Staging, which the
guide pages for nothing, is accepted email-only."""

from __future__ import annotations

from typing import Any

import pytest

from policy.paging_rules import PAGING_WAKES_SOMEONE
from tests.support.policy_harness import Violation, changed, evaluate, without
from tests.support.program_harness import ProgramRun, Recorded, program_run, run_program

SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
POLICY = "production-p0-p1-page-someone"
PLATFORM = "incident-guardrails:platform"
PREFIX = "arn:aws:sns:{region}:123456789012:zelly-production-incident-{severity}"


@pytest.fixture(scope="module")
def production() -> ProgramRun:
    return program_run("production")


def _pager(resource: Recorded) -> bool:
    return resource.typ == SUBSCRIPTION and resource.inputs["protocol"] == "https"


def _refused(violations: list[Violation]) -> dict[str, str]:
    """Topic ARN -> message, for this rule's violations (and no other rule's)."""
    assert {v.policy for v in violations} == {POLICY}, violations
    refused = {}
    for violation in violations:
        assert "\n" not in violation.message
        refused[violation.message.split(" topic ")[1].split(" ")[0]] = violation.message
    return refused


def test_production_and_staging_as_configured_pass(production: ProgramRun) -> None:
    assert evaluate(production, policies=[PAGING_WAKES_SOMEONE]) == []
    assert evaluate(program_run("staging"), policies=[PAGING_WAKES_SOMEONE]) == []


def test_an_email_only_production_stack_is_refused_for_each_p0_and_p1_topic() -> None:
    def email_only(config: dict[str, Any]) -> None:
        notifications = config[PLATFORM]["notifications"]
        notifications["subscriptions"] = [
            s for s in notifications["subscriptions"] if s["protocol"] == "email"
        ]

    refused = _refused(evaluate(run_program("production", email_only)))
    assert set(refused) == {
        PREFIX.format(region="ap-south-1", severity="p0"),
        PREFIX.format(region="ap-south-1", severity="p1"),
        # The Route 53 alarms' P1 topic in us-east-1 must wake someone too.
        PREFIX.format(region="us-east-1", severity="p1"),
    }
    message = refused[PREFIX.format(region="ap-south-1", severity="p0")]
    assert message.startswith("production P0 topic arn:aws:sns:ap-south-1:")
    assert "has no subscriber that wakes anyone (only email or none)" in message
    assert "subscribe a pager (https/sms/lambda) in the stack config's notifications.subscriptions" in message


@pytest.mark.parametrize("severity", ["p0", "p1"])
def test_a_topic_whose_pagers_are_gone_is_refused_alone(production: ProgramRun, severity: str) -> None:
    topic = PREFIX.format(region="ap-south-1", severity=severity)
    weakened = without(production, lambda r: _pager(r) and r.inputs["topic"] == topic)
    assert set(_refused(evaluate(weakened, policies=[PAGING_WAKES_SOMEONE]))) == {topic}


@pytest.mark.parametrize(("protocol", "wakes"), [("sms", True), ("lambda", True), ("email-json", False)])
def test_sms_and_lambda_wake_someone_email_json_does_not(
    production: ProgramRun, protocol: str, wakes: bool
) -> None:
    def use(props: dict[str, Any]) -> None:
        props["protocol"] = protocol

    violations = evaluate(changed(production, _pager, use), policies=[PAGING_WAKES_SOMEONE])
    assert (violations == []) is wakes
    if not wakes:
        assert len(_refused(violations)) == 3


def test_the_waking_protocols_are_configurable_and_email_never_counts(production: ProgramRun) -> None:
    sms_only = {POLICY: {"wakingProtocols": ["sms"]}}
    assert len(_refused(evaluate(production, sms_only, policies=[PAGING_WAKES_SOMEONE]))) == 3
    with_email = {POLICY: {"wakingProtocols": ["email", "email-json"]}}
    weakened = without(production, _pager)
    assert len(_refused(evaluate(weakened, with_email, policies=[PAGING_WAKES_SOMEONE]))) == 3


def test_production_comes_from_the_stack_config_or_the_policy_config(production: ProgramRun) -> None:
    weakened = without(production, _pager)
    assert evaluate(weakened, {POLICY: {"production": False}}, policies=[PAGING_WAKES_SOMEONE]) == []
    staging = program_run("staging")
    # Staging checked as if it were production: its P0 and P1 topics reach email (P0) or nobody.
    refused = _refused(evaluate(staging, {POLICY: {"production": True}}, policies=[PAGING_WAKES_SOMEONE]))
    assert {arn.rsplit("-", 1)[-1] for arn in refused} == {"p0", "p1"}


def test_a_stack_no_config_describes_is_held_to_the_production_rule(production: ProgramRun) -> None:
    bare = without(production, _pager)
    bare = ProgramRun(
        bare.stack, bare.resources, bare.exports, bare.invokes, config={"aws:region": "ap-south-1"}
    )
    assert len(_refused(evaluate(bare, policies=[PAGING_WAKES_SOMEONE]))) == 3
