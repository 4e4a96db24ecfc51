"""Issue 12 red team: break-glass use pages P0 through the trail, from any Region's STS endpoint.

Each case is a ``symptoms:`` section as a scenario writes it: CloudTrail's record of a call, as
the account's multi-Region trail delivers it to the ``cloudtrailLogGroup`` log group (field
names as in the IAM User Guide's "Example AWS STS API events in CloudTrail log":
``eventSource``, ``eventName``, ``awsRegion``, ``requestParameters.roleArn``,
``recipientAccountId``...). The stack's own catalog replays CloudWatch: the metric filter
publishes 1 for the line, and the alarm (Sum >= 1 over 60 s, 1 of 1) fires when the minute
holding it is judged.
"""

from __future__ import annotations

import json

import pytest
import yaml

from alarm_catalog import expand
from detection import ALARM, OK, detect, parse_symptoms
from stack_config import Platform, load_platform

ACCOUNT = "111122223333"


def _assume_role(role: str, region: str = "ap-south-1", **extra) -> dict:
    """An AssumeRole of ``role`` (a name in this account) through ``region``'s STS endpoint."""
    event = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID:ana",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/zelly-incident-commander/ana",
            "accountId": ACCOUNT,
            "sessionContext": {"attributes": {"mfaAuthenticated": "true"}},
        },
        "eventTime": "2026-11-20T03:12:44Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.17.0",
        "requestParameters": {
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
            "roleSessionName": "ana-p0",
            "serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/ana",
        },
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    event.update(extra)
    return event


def _detect(platform: Platform, *events: tuple[float, dict], horizon_s: float = 900):
    logs = [{"log_group": "{cloudtrail_log_group}", "at_s": at_s, "event": event} for at_s, event in events]
    symptoms = parse_symptoms(yaml.safe_load(yaml.safe_dump({"logs": logs})), platform)
    result = detect(platform, expand(platform), symptoms, horizon_s=horizon_s)
    assert result.unwatched == ()  # the trail's log group is watched
    return result


def _page(platform: Platform) -> str:
    return f"{platform.cluster}-break-glass-admin-assumed"


@pytest.fixture(scope="module", params=["production", "staging"])
def stack(request) -> Platform:
    return load_platform(request.param)


@pytest.mark.parametrize("region", ["ap-south-1", "us-east-1", "eu-west-1", "sa-east-1"])
def test_assuming_the_admin_role_through_any_regions_sts_pages_p0_at_60_s(
    stack: Platform, region: str
) -> None:
    # The red team's regional endpoint (eu-west-1, sa-east-1) pages as the global one (us-east-1)
    # does: one multi-Region trail, one log group. The event lands at 30 s; [0, 60) is judged at 60 s.
    result = _detect(stack, (30, _assume_role(stack.break_glass_admin_role, region)))
    assert [(f.alarm_name, f.at_s, f.severity, f.guide_section) for f in result.fired] == [
        (_page(stack), 60, "P0", "P0-C")
    ]


def test_the_page_returns_to_ok_and_pages_again_on_the_next_use(stack: Platform) -> None:
    # No datapoint is published in a minute without a match (no default value): CloudWatch keeps
    # judging the most recent real datapoint while it is within the evaluation range (N + 2 = 3
    # periods), so the alarm stays in ALARM until 240 s, then OK; the next use pages again.
    admin = stack.break_glass_admin_role
    result = _detect(stack, (30, _assume_role(admin)), (400, _assume_role(admin, "eu-west-1")))
    changes = [(t.at_s, t.new_state) for t in result.transitions if t.alarm_name == _page(stack)]
    assert changes == [(60, ALARM), (240, OK), (420, ALARM), (600, OK)]
    assert [f.at_s for f in result.fired if f.alarm_name == _page(stack)] == [60, 420]


@pytest.mark.parametrize(
    "variant",
    [
        # IAM names are case-insensitive: the ARN as the caller typed it, in another case.
        lambda name: _assume_role(name.upper()),
        lambda name: _assume_role(name.title()),
        # Refused (no MFA, not a named principal): someone tried the admin role.
        lambda name: _assume_role(name, errorCode="AccessDenied", errorMessage="not authorized"),
    ],
    ids=["upper-case", "title-case", "refused"],
)
def test_case_variants_and_refused_attempts_page_too(stack: Platform, variant) -> None:
    result = _detect(stack, (30, variant(stack.break_glass_admin_role)))
    assert [(f.alarm_name, f.at_s) for f in result.fired] == [(_page(stack), 60)]


def test_assuming_another_role_pages_nobody(stack: Platform) -> None:
    other = "zelly-staging" if stack.cluster == "zelly-production" else "zelly-production"
    events = [
        # The on-call's everyday triage role: read-only, pages nobody.
        _assume_role(stack.break_glass_investigator_role),
        # The other stack's admin role in the same account: that stack's alarm, not this one.
        _assume_role(f"{other}-break-glass-admin"),
        _assume_role("zelly-production-runbook-stop-writes"),
        # The admin session's own calls are not AssumeRole.
        _assume_role(
            stack.break_glass_admin_role,
            eventName="GetCallerIdentity",
        ),
        # Another service's AssumeRole-like call.
        _assume_role(stack.break_glass_admin_role, eventSource="ec2.amazonaws.com"),
    ]
    result = _detect(stack, *((30 + 10 * i, event) for i, event in enumerate(events)))
    assert result.fired == ()


def test_the_other_stacks_admin_pages_its_own_p0_in_the_shared_trail() -> None:
    production, staging = load_platform("production"), load_platform("staging")
    assert production.cloudtrail_log_group == staging.cloudtrail_log_group  # one account trail
    result = _detect(staging, (30, _assume_role(production.break_glass_admin_role)))
    assert result.fired == ()
    result = _detect(production, (30, _assume_role(production.break_glass_admin_role)))
    assert [f.alarm_name for f in result.fired] == [_page(production)]


def _subscription_call(name: str, topic: str, region: str = "ap-south-1") -> dict:
    arn = f"arn:aws:sns:{region}:{ACCOUNT}:{topic}:4d2f7a9c-1b3e-4f5a-8c6d-7e8f9a0b1c2d"
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": "ci-deployer", "accountId": ACCOUNT},
        "eventSource": "sns.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": {"subscriptionArn": arn},
        "responseElements": None,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }


@pytest.mark.parametrize(
    "name, severity, region",
    [
        ("Unsubscribe", "p0", "ap-south-1"),
        ("SetSubscriptionAttributes", "p1", "ap-south-1"),
        # The us-east-1 P1 topic of the Route 53 alarms subscribes the same on-call pager.
        ("Unsubscribe", "p1", "us-east-1"),
    ],
)
def test_a_pager_subscription_removed_through_the_api_pages_p1(name: str, severity: str, region: str) -> None:
    platform = load_platform("production")
    topic = f"{platform.notifications.topic_prefix}-{severity}"
    result = _detect(platform, (30, _subscription_call(name, topic, region)))
    assert [(f.alarm_name, f.at_s, f.severity) for f in result.fired] == [
        (f"{platform.cluster}-pager-subscription-changes", 60, "P1")
    ]


def test_other_subscription_calls_page_nobody() -> None:
    platform = load_platform("production")
    prefix = platform.notifications.topic_prefix
    result = _detect(
        platform,
        (30, _subscription_call("Unsubscribe", f"{prefix}-p2")),
        (40, _subscription_call("Unsubscribe", "zelly-staging-incident-p0")),
        (50, {**_subscription_call("Subscribe", f"{prefix}-p0"), "requestParameters": {"topicArn": "x"}}),
    )
    assert result.fired == ()


def test_the_event_shape_is_what_a_scenario_would_write() -> None:
    # The replay reads the JSON text exactly as CloudWatch Logs receives it from CloudTrail.
    text = json.dumps(_assume_role("zelly-production-break-glass-admin"))
    assert json.loads(text)["requestParameters"]["roleArn"].endswith(
        ":role/zelly-production-break-glass-admin"
    )
