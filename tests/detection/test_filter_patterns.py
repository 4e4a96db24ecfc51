"""CloudWatch Logs filter patterns: every form, every catalog pattern, and metric filter values."""

from __future__ import annotations

import dataclasses
import json

import pytest

from detection import Baseline, FilterPatternError, LogLine, compile_pattern
from detection.log_metrics import filter_datapoints, log_metric_points

# The JSON sample of the CloudWatch Logs "Filter and pattern syntax" page.
DOC_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
    }
)
COMPOUND_EVENT = json.dumps(
    {
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    }
)

FORMS = [
    # Empty pattern: everything.
    ("", "anything at all", True),
    # Terms: case-sensitive substrings, all required.
    ("ERROR", "[ERROR] A fatal exception has occurred", True),
    ("ERROR", "Exiting with ERRORCODE: -1", True),
    ("ERROR", "error: lower case", False),
    ("ERROR Exception", "[ERROR] Caught IllegalArgumentException", True),
    ("ERROR Exception", "[ERROR] Caught it", False),
    ('"Failed to process the request"', "[WARN] Failed to process the request", True),
    ('"Failed to process the request"', "[WARN] Failed to process request", False),
    # Exclusion and OR terms.
    ("ERROR -WARN", "ERROR message", True),
    ("ERROR -WARN", "ERROR WARN message", False),
    ("?ERROR ?WARN", "WARN message", True),
    ("?ERROR ?WARN", "INFO message", False),
    # Regex (CloudWatch subset).
    ("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", True),
    ("%^[hc]at%", "hat trick", True),
    ("%^[hc]at%", "that", False),
    (r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%", "from 10.0.0.12 port 22", True),
    # JSON: the documented examples.
    ('{ $.eventType = "UpdateTrail" }', DOC_EVENT, True),
    ('{ $.eventType = "CreateTrail" }', DOC_EVENT, False),
    ("{ $.sourceIPAddress != 123.123.* }", DOC_EVENT, True),
    ("{ $.sourceIPAddress = 111.* }", DOC_EVENT, True),
    ('{ $.arrayKey[0] = "value" }', DOC_EVENT, True),
    ("{ $.objectList[1].id = 2 }", DOC_EVENT, True),
    ("{ $.objectList[1].id = 1 }", DOC_EVENT, False),
    ("{ $.SomeObject IS NULL }", DOC_EVENT, True),
    ("{ $.SomeOtherObject NOT EXISTS }", DOC_EVENT, True),
    ("{ $.SomeObject NOT EXISTS }", DOC_EVENT, False),
    ("{ $.ThisFlag IS TRUE }", DOC_EVENT, True),
    ("{ $.ThisFlag IS FALSE }", DOC_EVENT, False),
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', COMPOUND_EVENT, True),
    ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', COMPOUND_EVENT, False),
    (
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch '
        "&& $.actions[2] = nomatch }",
        COMPOUND_EVENT,
        True,
    ),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) '
        "&& $.actions[2] = nomatch }",
        COMPOUND_EVENT,
        False,
    ),
    # JSON: numbers, objects/arrays, missing fields, regex values, non-JSON lines.
    ("{ $.latency >= 500 }", '{"latency": 500}', True),
    ("{ $.latency >= 500 }", '{"latency": 499.5}', False),
    ("{ $.latency < 1e3 }", '{"latency": 999}', True),
    ("{ $.users = 1 }", '{"users": [1, 2, 3]}', False),
    ("{ $.users != 1 }", '{"users": [1, 2, 3]}', False),
    ('{ $.userIdentity.invokedBy != "foo" }', '{"userIdentity": {}}', False),
    ("{ $.message = %[Tt]imeout% }", '{"message": "upstream Timeout after 30s"}', True),
    ('{ $.eventName = "StopLogging" }', "StopLogging by someone", False),
    ('{ $.eventName = "StopLogging" }', '["StopLogging"]', False),
]


@pytest.mark.parametrize("pattern, message, expected", FORMS)
def test_pattern_forms(pattern, message, expected) -> None:
    assert compile_pattern(pattern).matches(message) is expected


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("[ip, user, status]", "space-delimited"),
        ("?ERROR WARN", "mixes"),
        ("auth/internal-error", "must be in double quotes"),
        ('"unterminated', "unterminated"),
        ("%(a|b)%", "parentheses"),
        ("%a b%", "outside CloudWatch's regex subset"),
        ("%[a%", "invalid regex"),
        ("{ $.a = }", "expected a value"),
        ('{ $.a > "x" }', "needs a number"),
        ("{ a = 1 }", "expected selector"),
        ("{ $.a = 1", "does not end"),
        ("{ $.a IS MAYBE }", "unknown check"),
        ("{ $.a = 1 ) }", "unexpected"),
        ("{ }", "empty expression"),
    ],
)
def test_malformed_or_unmodelled_patterns_are_refused(pattern, message) -> None:
    with pytest.raises(FilterPatternError, match=message):
        compile_pattern(pattern)


def _cloudtrail(**fields) -> str:
    event = {
        "eventVersion": "1.09",
        "eventTime": "2026-11-20T03:12:44Z",
        "awsRegion": "ap-south-1",
        "sourceIPAddress": "203.0.113.7",
        "eventType": "AwsApiCall",
        "userIdentity": {"type": "IAMUser", "userName": "ci-deployer"},
    }
    event.update(fields)
    return json.dumps(event)


def _console_login(mfa: str, outcome: str = "Success", identity: str = "IAMUser") -> str:
    return _cloudtrail(
        eventName="ConsoleLogin",
        eventSource="signin.amazonaws.com",
        eventType="AwsConsoleSignIn",
        userIdentity={"type": identity},
        additionalEventData={"MFAUsed": mfa},
        responseElements={"ConsoleLogin": outcome},
    )


def _assume_role(role: str, **fields) -> str:
    """CloudTrail's AssumeRole record (IAM User Guide, "Example AWS STS API events")."""
    event = {
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ana"},
        "requestParameters": {"roleArn": f"arn:aws:iam::111122223333:role/{role}", "roleSessionName": "ana"},
        "recipientAccountId": "111122223333",
    }
    return _cloudtrail(**{**event, **fields})


def _subscription(name: str, topic: str) -> str:
    arn = f"arn:aws:sns:ap-south-1:111122223333:{topic}:0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
    return _cloudtrail(
        eventSource="sns.amazonaws.com", eventName=name, requestParameters={"subscriptionArn": arn}
    )


ADMIN = "zelly-production-break-glass-admin"

# Every metric filter template of alarms.yaml: lines that must match, and lines that must not.
CATALOG_SAMPLES = {
    "payment-gateway-errors": (
        [
            "POST /v1/orders/checkout failed: Razorpay API error 502 Bad Gateway",
            "razorpay webhook signature Invalid for order_9Qx",
            "Razorpay request Timeout after 30s",
            "Razorpay responded 503",
        ],
        ["Razorpay payment captured pay_29QQ", "RAZORPAY ERROR in upper case", "Stripe error: card declined"],
    ),
    "login-errors": (
        [
            "FirebaseAuthError: Firebase ID token has expired",
            '{"level":"error","code":"auth/invalid-credential"}',
            "firebase: auth/internal-error",
        ],
        ["auth/user-not-found for uid 42", "firebaseautherror in lower case"],
    ),
    "unauthorized-api-calls": (
        [
            _cloudtrail(eventName="DescribeInstances", errorCode="Client.UnauthorizedOperation"),
            _cloudtrail(eventName="GetSecretValue", errorCode="AccessDenied"),
        ],
        [
            _cloudtrail(eventName="HeadBucket", errorCode="AccessDenied"),
            _cloudtrail(
                eventName="PutObject", errorCode="AccessDenied", sourceIPAddress="delivery.logs.amazonaws.com"
            ),
            _cloudtrail(eventName="DescribeInstances"),
            "AccessDenied for DescribeInstances (not JSON)",
        ],
    ),
    "console-login-without-mfa": (
        [_console_login(mfa="No")],
        [
            _console_login(mfa="Yes"),
            _console_login(mfa="No", outcome="Failure"),
            _console_login(mfa="No", identity="Root"),
        ],
    ),
    "root-account-usage": (
        [
            _cloudtrail(eventName="CreateUser", userIdentity={"type": "Root"}),
            _console_login(mfa="Yes", identity="Root"),
        ],
        [
            _cloudtrail(
                eventName="GetTrailStatus",
                userIdentity={"type": "Root", "invokedBy": "support.amazonaws.com"},
            ),
            _cloudtrail(eventName="RotateKey", eventType="AwsServiceEvent", userIdentity={"type": "Root"}),
            _cloudtrail(eventName="CreateUser"),
        ],
    ),
    "iam-policy-changes": (
        [
            _cloudtrail(eventSource="iam.amazonaws.com", eventName="AttachRolePolicy"),
            _cloudtrail(eventSource="iam.amazonaws.com", eventName="DeleteUserPolicy"),
        ],
        [
            _cloudtrail(eventSource="iam.amazonaws.com", eventName="CreateUser"),
            _cloudtrail(eventSource="s3.amazonaws.com", eventName="PutBucketPolicy"),
        ],
    ),
    "access-key-created": (
        [_cloudtrail(eventSource="iam.amazonaws.com", eventName="CreateAccessKey")],
        [
            _cloudtrail(eventSource="iam.amazonaws.com", eventName="ListAccessKeys"),
            _cloudtrail(eventSource="sts.amazonaws.com", eventName="CreateAccessKey"),
        ],
    ),
    "cloudtrail-changes": (
        [
            _cloudtrail(eventSource="cloudtrail.amazonaws.com", eventName="StopLogging"),
            _cloudtrail(eventSource="cloudtrail.amazonaws.com", eventName="DeleteTrail"),
        ],
        [
            _cloudtrail(eventSource="cloudtrail.amazonaws.com", eventName="LookupEvents"),
            "StopLogging called by admin (not JSON)",
        ],
    ),
    "break-glass-admin-assumed": (
        [
            _assume_role(ADMIN),
            _assume_role(ADMIN, awsRegion="eu-west-1"),
            _assume_role(ADMIN.upper()),
            _assume_role(ADMIN, errorCode="AccessDenied"),
        ],
        [
            _assume_role("zelly-production-investigator"),
            _assume_role("zelly-staging-break-glass-admin"),
            _assume_role(ADMIN, eventName="AssumeRoleWithWebIdentity"),
            _cloudtrail(eventSource="sts.amazonaws.com", eventName="AssumeRole"),
            f"AssumeRole of {ADMIN} (not JSON)",
        ],
    ),
    "pager-subscription-changes": (
        [
            _subscription("Unsubscribe", "zelly-production-incident-p0"),
            _subscription("SetSubscriptionAttributes", "zelly-production-incident-p1"),
        ],
        [
            _subscription("Unsubscribe", "zelly-production-incident-p2"),
            _subscription("Unsubscribe", "zelly-production-incident-p0-archive"),
            _subscription("GetSubscriptionAttributes", "zelly-production-incident-p0"),
            _subscription("Unsubscribe", "zelly-staging-incident-p0"),
        ],
    ),
}


def test_every_catalog_metric_filter_has_samples(production_catalog) -> None:
    assert {f.template for f in production_catalog.log_metric_filters} == set(CATALOG_SAMPLES)


@pytest.mark.parametrize("template", sorted(CATALOG_SAMPLES))
def test_catalog_patterns_match_their_symptom_and_nothing_else(production_catalog, template) -> None:
    pattern = compile_pattern(
        next(f.pattern for f in production_catalog.log_metric_filters if f.template == template)
    )
    matching, other = CATALOG_SAMPLES[template]
    assert [line for line in matching if not pattern.matches(line)] == []
    assert [line for line in other if pattern.matches(line)] == []


@pytest.fixture
def payment_filter(production_catalog):
    return next(f for f in production_catalog.log_metric_filters if f.template == "payment-gateway-errors")


def test_a_filter_publishes_its_value_per_match_and_its_default_per_other_line(payment_filter) -> None:
    lines = [
        LogLine(payment_filter.log_group, 5, "Razorpay API error 500"),
        LogLine(payment_filter.log_group, 6, "GET /health 200"),
    ]
    assert filter_datapoints(payment_filter, lines) == [(5, 1.0), (6, 0.0)]
    without_default = dataclasses.replace(payment_filter, default_value=None)
    assert filter_datapoints(without_default, lines) == [(5, 1.0)]


def test_a_busy_log_group_reports_the_default_every_minute_and_a_quiet_one_nothing(payment_filter) -> None:
    busy = Baseline(busy_log_groups=frozenset({payment_filter.log_group}))
    points = log_metric_points([payment_filter], [], busy, start_s=-120, until_s=60)
    assert list(points.values()) == [[(-120, 0.0), (-60, 0.0), (0, 0.0)]]
    quiet = log_metric_points([payment_filter], [], Baseline(), start_s=-120, until_s=60)
    assert list(quiet.values()) == [[]]


def test_a_json_selector_metric_value_takes_the_number_from_the_event(payment_filter) -> None:
    latency = dataclasses.replace(payment_filter, pattern="{ $.latency = * }", metric_value="$.latency")
    lines = [
        LogLine(latency.log_group, 1, '{"latency": 250}'),
        LogLine(latency.log_group, 2, '{"latency": "slow"}'),
    ]
    assert filter_datapoints(latency, lines) == [(1, 250.0)]
