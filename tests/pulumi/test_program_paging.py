"""Paging that wakes someone (issue 12, item 8), as the real program registers it under mocks.

The pager subscriptions are HTTPS to the pager's CloudWatch integration; the endpoint is built
at deploy time from the integration key in Secrets Manager (the mocks answer GetSecretValue
with pager_key(secret)), and reaches AWS as a Pulumi secret: the key is never a plain string in
any recorded input, output or export.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from pulumi.runtime import rpc

from components.notifications import (
    PAGER_ENDPOINTS,
    PAGING_DELIVERY_POLICY,
    PagerSecretError,
    pager_endpoint_url,
)
from stack_config import PAGER_KINDS, Platform
from stack_config.model import Subscription
from tests.support.program_harness import ProgramRun, pager_key, program_run, run_program

SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC = "aws:sns/topic:Topic"
PLATFORM = "incident-guardrails:platform"
ON_CALL = "zelly/pager/oncall-integration-key"
TECH_LEAD = "zelly/pager/tech-lead-integration-key"
FOUNDERS = "zelly/pager/founders-integration-key"
ACCOUNT = "123456789012"


def _pagerduty(secret: str) -> str:
    return f"https://events.pagerduty.com/integration/{pager_key(secret)}/enqueue"


def _topic_name(arn: str) -> tuple[str, str]:
    """(region, topic name) of a topic ARN."""
    parts = arn.split(":")
    return parts[3], parts[5]


def _pages(run: ProgramRun, protocol: str = "https") -> dict[tuple[str, str], list[Any]]:
    """(region, topic name) -> the endpoints subscribed over ``protocol``, as recorded."""
    found: dict[tuple[str, str], list[Any]] = {}
    for subscription in run.of_type(SUBSCRIPTION):
        if subscription.inputs["protocol"] == protocol:
            found.setdefault(_topic_name(subscription.inputs["topic"]), []).append(
                subscription.inputs["endpoint"]
            )
    return found


def _plain(value: Any) -> Any:
    assert rpc.is_rpc_secret(value), f"{value!r} is not marked secret"
    return rpc.unwrap_rpc_secret(value)


def test_production_pages_on_call_tech_lead_and_founders_for_p0_and_the_on_call_for_p1() -> None:
    run = program_run("production")
    home, prefix = "ap-south-1", "zelly-production-incident"
    pages = {topic: sorted(_plain(e) for e in endpoints) for topic, endpoints in _pages(run).items()}
    assert pages == {
        (home, f"{prefix}-p0"): sorted(_pagerduty(s) for s in (ON_CALL, TECH_LEAD, FOUNDERS)),
        (home, f"{prefix}-p1"): [_pagerduty(ON_CALL)],
        # The Route 53 alarms' P1 topic in us-east-1 pages the same on-call pager.
        ("us-east-1", f"{prefix}-p1"): [_pagerduty(ON_CALL)],
    }
    # Email as before, P2 by email only, P3 to the issue queue alone.
    emails = {topic: sorted(endpoints) for topic, endpoints in _pages(run, "email").items()}
    assert emails[(home, f"{prefix}-p0")] == ["founders@zelly.in", "oncall@zelly.in"]
    assert emails[(home, f"{prefix}-p2")] == ["oncall@zelly.in"]
    assert (home, f"{prefix}-p3") not in emails


def test_staging_has_no_pager_subscription() -> None:
    assert _pages(program_run("staging")) == {}


def test_every_pager_subscription_auto_confirms_keeps_the_envelope_and_retries_for_paging() -> None:
    subscriptions = [
        s for s in program_run("production").of_type(SUBSCRIPTION) if s.inputs["protocol"] == "https"
    ]
    assert len(subscriptions) == 5
    for subscription in subscriptions:
        inputs = subscription.inputs
        # PagerDuty and Opsgenie answer SNS's SubscriptionConfirmation themselves...
        assert inputs["endpointAutoConfirms"] is True
        # ...and read SNS's envelope (Subject "ALARM: ...", Message): raw delivery stays off.
        assert inputs["rawMessageDelivery"] is False
        assert json.loads(inputs["deliveryPolicy"]) == PAGING_DELIVERY_POLICY


def test_the_paging_delivery_policy_keeps_within_snss_documented_limits() -> None:
    """Amazon SNS Developer Guide, "Creating an HTTP/S delivery policy": numRetries 0..100,
    1 <= minDelayTarget <= maxDelayTarget <= 3600, phases >= 0, total retry time <= 3600 s."""
    policy = PAGING_DELIVERY_POLICY["healthyRetryPolicy"]
    assert 0 <= policy["numRetries"] <= 100
    assert 1 <= policy["minDelayTarget"] <= policy["maxDelayTarget"] <= 3600
    phases = ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
    backoff = policy["numRetries"] - sum(policy[p] for p in phases)
    assert all(policy[p] >= 0 for p in phases) and backoff >= 0
    assert policy["backoffFunction"] in ("linear", "arithmetic", "geometric", "exponential")
    # Longest it can take: every backoff retry at the maximum delay.
    longest = (
        policy["numMinDelayRetries"] * policy["minDelayTarget"]
        + (backoff + policy["numMaxDelayRetries"]) * policy["maxDelayTarget"]
    )
    assert 2700 <= longest <= 3600  # retries through a pager outage of most of an hour, within the limit
    assert "throttlePolicy" not in PAGING_DELIVERY_POLICY  # a throttle only delays pages


def _strings(value: Any) -> Iterator[str]:
    """Every plain string in ``value``, not looking inside values marked secret."""
    if rpc.is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def test_no_integration_key_is_ever_a_plain_string() -> None:
    run = program_run("production")
    keys = {pager_key(s) for s in (ON_CALL, TECH_LEAD, FOUNDERS)}
    recorded = [(r.name, r.urn, r.inputs, r.outputs) for r in run.resources]
    leaks = [
        (name, text)
        for name, urn, inputs, outputs in recorded
        for text in [name, urn, *_strings(inputs), *_strings(outputs)]
        if any(key in text for key in keys)
    ]
    assert leaks == []
    assert not any(key in json.dumps(run.exports, default=str) for key in keys)
    # The secret look-ups happened (one per pager subscription, both regions).
    assert run.invokes.count("aws:secretsmanager/getSecretVersion:getSecretVersion") == 5


def _pager_entries(config: dict) -> list[dict]:
    return [s for s in config[PLATFORM]["notifications"]["subscriptions"] if s["protocol"] == "https"]


def test_an_opsgenie_pager_named_by_an_arn_in_another_region_is_read_there() -> None:
    arn = f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:zelly/pager/opsgenie-key-AbCdEf"

    def opsgenie_eu(config: dict) -> None:
        for entry in _pager_entries(config):
            entry.update(pager="opsgenie-eu", integrationKeySecret=arn)
        # One pager per topic (two identical entries would be refused as duplicates).
        config[PLATFORM]["notifications"]["subscriptions"] = [
            s for s in config[PLATFORM]["notifications"]["subscriptions"] if s["protocol"] == "email"
        ] + [_pager_entries(config)[0], _pager_entries(config)[-1]]

    run = run_program("production", opsgenie_eu)  # the mocks refuse a look-up of the ARN elsewhere
    endpoints = {_plain(e) for es in _pages(run).values() for e in es}
    assert endpoints == {f"https://api.eu.opsgenie.com/v1/json/cloudwatch?apiKey={pager_key(arn)}"}


def test_every_pager_kind_the_stack_config_accepts_has_an_https_endpoint() -> None:
    assert set(PAGER_ENDPOINTS) == set(PAGER_KINDS)
    assert all(url.startswith("https://") and url.count("{key}") == 1 for url in PAGER_ENDPOINTS.values())


@pytest.mark.parametrize(
    "value",
    [
        '{"integrationKey": "0123456789abcdef0123456789abcdef"}',
        "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue",
        "0123456789abcdef/../x?y=0123456789abcdef",
        "short",
    ],
)
def test_a_secret_that_holds_no_bare_key_fails_the_deploy_without_showing_it(value: str) -> None:
    subscription = Subscription("P0", "https", pager="pagerduty", integration_key_secret=ON_CALL)
    with pytest.raises(
        PagerSecretError, match=f"secret {ON_CALL} .pagerduty, P0. does not hold a bare"
    ) as error:
        pager_endpoint_url(subscription, value)
    assert "0123456789abcdef" not in str(error.value) and "\n" not in str(error.value)
    # A key with surrounding whitespace (a trailing newline from `echo`) is the key.
    assert pager_endpoint_url(subscription, " 0123456789abcdef0123456789abcdef\n").endswith("abcdef/enqueue")


def test_the_p0_and_p1_topics_with_pagers_still_let_cloudwatch_and_eventbridge_publish(
    stack_platform: Platform, run: ProgramRun
) -> None:
    """HTTPS delivery needs nothing of the topic key; the publishers' grants are unchanged."""
    policies = {
        p.inputs["arn"]: json.loads(p.inputs["policy"])
        for p in run.of_type("aws:sns/topicPolicy:TopicPolicy")
    }
    key = next(k for k in run.of_type("aws:kms/key:Key") if "incident topics" in k.inputs["description"])
    key_services = {
        service
        for statement in json.loads(key.inputs["policy"])["Statement"]
        for service in statement["Principal"].get("Service", [])
    }
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= key_services
    for severity in ("P0", "P1"):
        arn = f"arn:aws:sns:{stack_platform.region}:{ACCOUNT}:{stack_platform.notifications.topic_name(severity)}"
        publishers = {s["Principal"]["Service"] for s in policies[arn]["Statement"]}
        assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= publishers
