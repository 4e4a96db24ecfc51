"""Pager subscriptions in the stack config: who each stack wakes, and the entries it refuses
(issue 12, item 8). A pager is HTTPS to its CloudWatch integration, its key named by secret."""

from __future__ import annotations

import re

import pytest

from stack_config import PAGER_KINDS, StackConfigError, load_platform
from stack_config.model import Notifications, Subscription
from stack_config.typed_mapping import build

PATH = "platform.notifications.subscriptions[0]"
PAGER = {
    "severity": "P0",
    "protocol": "https",
    "pager": "pagerduty",
    "integrationKeySecret": "zelly/pager/oncall-integration-key",
}
SECRET_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:zelly/pager/oncall-integration-key-AbCdEf"
# What someone might paste instead of a secret's name: the pager's URL with its key.
KEY = "0123456789abcdef0123456789abcdef"
PASTED_URL = f"https://events.pagerduty.com/integration/{KEY}/enqueue"


def _subscription(**changes) -> Subscription:
    data = {**PAGER, **changes}
    return build(Subscription, {k: v for k, v in data.items() if v is not None}, PATH)


def _pagers(stack: str) -> set[tuple[str, str, str | None]]:
    return {
        (s.severity, str(s.pager), s.integration_key_secret)
        for s in load_platform(stack).notifications.subscriptions
        if s.protocol == "https"
    }


def test_production_wakes_on_call_tech_lead_and_founders_for_p0_and_the_on_call_for_p1() -> None:
    # The guide's escalation table: on-call "any P0/P1 alert, immediate"; tech lead "any P0"
    # and founders "P0" by phone call. The tech lead's "P1 unresolved after 30 min" is the
    # on-call service's escalation policy in the pager, not a second subscription.
    assert _pagers("production") == {
        ("P0", "pagerduty", "zelly/pager/oncall-integration-key"),
        ("P0", "pagerduty", "zelly/pager/tech-lead-integration-key"),
        ("P0", "pagerduty", "zelly/pager/founders-integration-key"),
        ("P1", "pagerduty", "zelly/pager/oncall-integration-key"),
    }
    emails = {
        (s.severity, s.endpoint)
        for s in load_platform("production").notifications.subscriptions
        if s.protocol == "email"
    }
    assert ("P2", "oncall@zelly.in") in emails and not [s for s, _ in emails if s == "P3"]


def test_staging_pages_nobody_the_guide_classes_its_incidents_p3() -> None:
    assert _pagers("staging") == set()


@pytest.mark.parametrize("kind", PAGER_KINDS)
@pytest.mark.parametrize("secret", ["zelly/pager/oncall-integration-key", SECRET_ARN])
def test_a_pager_of_each_kind_named_by_secret_name_or_arn_is_accepted(kind: str, secret: str) -> None:
    subscription = _subscription(pager=kind, integrationKeySecret=secret)
    assert (subscription.pager, subscription.integration_key_secret, subscription.endpoint) == (
        kind,
        secret,
        None,
    )


def test_the_secret_is_read_in_its_arns_region_or_else_the_platforms() -> None:
    assert _subscription().secret_region("ap-south-1") == "ap-south-1"
    assert _subscription(integrationKeySecret=SECRET_ARN).secret_region("ap-south-1") == "us-west-2"


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"protocol": "http"}, "protocol", "'http' is not email or https (a pager takes https only)"),
        ({"protocol": "sms"}, "protocol", "is not email or https"),
        (
            {"pager": "victorops"},
            "pager",
            "'victorops' is not a known pager (pagerduty, opsgenie, opsgenie-eu)",
        ),
        ({"pager": "PagerDuty"}, "pager", "is not a known pager"),
        ({"pager": None}, "pager", "required for an https subscription"),
        ({"integrationKeySecret": None}, "integrationKeySecret", "required for an https subscription"),
        ({"integrationKeySecret": "zelly pager key"}, "integrationKeySecret", "not a Secrets Manager secret"),
        (
            {"integrationKeySecret": "arn:aws:secretsmanager:us-west-2:1234:secret:x"},
            "integrationKeySecret",
            "not a",
        ),
        (
            {"integrationKeySecret": "arn:aws:ssm:us-west-2:123456789012:parameter/x"},
            "integrationKeySecret",
            "not a",
        ),
        (
            {"integrationKeySecret": PASTED_URL},
            "integrationKeySecret",
            "the key itself belongs in the secret",
        ),
        ({"endpoint": PASTED_URL}, "endpoint", "names its pager and integrationKeySecret instead"),
        ({"protocol": "email", "endpoint": "oncall@zelly.in"}, "pager", "only an https (pager) subscription"),
        (
            {"protocol": "email", "pager": None, "endpoint": "oncall@zelly.in"},
            "integrationKeySecret",
            "only an https (pager) subscription",
        ),
        (
            {"protocol": "email", "pager": None, "integrationKeySecret": None},
            "endpoint",
            "required for an email",
        ),
        (
            {"protocol": "email", "pager": None, "integrationKeySecret": None, "endpoint": "oncall at zelly"},
            "endpoint",
            "is not an email address",
        ),
        ({"severity": "P3"}, "severity", "'P3' is not one of P0, P1, P2"),
    ],
)
def test_a_bad_entry_is_refused_in_one_line_naming_the_key(changes: dict, key: str, message: str) -> None:
    with pytest.raises(
        StackConfigError, match=f"^{re.escape(f'{PATH}.{key}')}: .*{re.escape(message)}"
    ) as error:
        _subscription(**changes)
    assert "\n" not in str(error.value)
    # A pasted URL's key is never echoed (it would spread from the stack file to CI logs).
    assert KEY not in str(error.value)


def test_the_same_pager_twice_on_a_severity_is_refused() -> None:
    entry = {k: v for k, v in PAGER.items()}
    with pytest.raises(StackConfigError, match=r"subscriptions\[1\]: duplicate P0 https subscription"):
        build(
            Notifications, {"topicPrefix": "zelly", "subscriptions": [entry, entry]}, "platform.notifications"
        )
    # The same pager on another severity is another subscription (another topic).
    other = build(
        Notifications,
        {"topicPrefix": "zelly", "subscriptions": [entry, {**entry, "severity": "P1"}]},
        "platform.notifications",
    )
    assert [s.severity for s in other.subscriptions] == ["P0", "P1"]
