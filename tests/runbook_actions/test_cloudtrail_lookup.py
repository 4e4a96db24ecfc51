"""cloudtrail-lookup: moto has no LookupEvents, so the summary is tested against a Stubber fed
with responses shaped like real CloudTrail ones, and moto shows the "not supported" path."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.stub import ANY, Stubber

from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.cloudtrail_lookup import NOT_SUPPORTED
from runbook_actions.exceptions import AwsCallError, InvalidArgumentError, NotSupportedError
from runbook_actions.investigation import parse_since

NAME = "cloudtrail-lookup"
USER = "ci-deployer"
LEAKED_KEY = "AKIAIOSFODNN7EXAMPLE"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def cloudtrail_event(
    minutes_ago: int, name: str, source: str, ip: str, read_only: bool = True, error: str | None = None
) -> dict:
    """One LookupEvents entry; CloudTrailEvent is the JSON text of the full record, as in AWS."""
    when = NOW - timedelta(minutes=minutes_ago)
    record = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "userName": USER,
            "accessKeyId": LEAKED_KEY,
            "arn": f"arn:aws:iam::123456789012:user/{USER}",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "ap-south-1",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "eventCategory": "Management",
        "recipientAccountId": "123456789012",
        "requestID": f"req-{minutes_ago}",
        "eventID": f"evt-{minutes_ago}",
    }
    if error:
        record.update(errorCode=error, errorMessage="User is not authorized to perform this")
    return {
        "EventId": f"evt-{minutes_ago}",
        "EventName": name,
        "ReadOnly": str(read_only).lower(),
        "AccessKeyId": LEAKED_KEY,
        "EventTime": when,
        "EventSource": source,
        "Username": USER,
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }


ATTACKER, OFFICE = "198.51.100.23", "203.0.113.7"
PAGE_ONE = [
    cloudtrail_event(5, "ListBuckets", "s3.amazonaws.com", ATTACKER),
    cloudtrail_event(6, "GetSecretValue", "secretsmanager.amazonaws.com", ATTACKER, error="AccessDenied"),
    cloudtrail_event(7, "CreateAccessKey", "iam.amazonaws.com", ATTACKER, read_only=False),
]
PAGE_TWO = [
    cloudtrail_event(60, "ListBuckets", "s3.amazonaws.com", OFFICE),
    cloudtrail_event(90, "GetCallerIdentity", "sts.amazonaws.com", ATTACKER),
]


def expected_request(max_results: int, token: str | None = None) -> dict:
    request = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": USER}],
        "StartTime": ANY,
        "EndTime": ANY,
        "MaxResults": max_results,
    }
    return {**request, "NextToken": token} if token else request


@pytest.fixture
def stubbed(clients):
    with Stubber(clients.cloudtrail) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_summarises_every_page_by_name_ip_and_error(clients, stubbed):
    stubbed.add_response("lookup_events", {"Events": PAGE_ONE, "NextToken": "t1"}, expected_request(50))
    stubbed.add_response("lookup_events", {"Events": PAGE_TWO}, expected_request(50, "t1"))
    details = invoke(NAME, clients, {"user": USER, "since": "2h"}).details
    assert (details["event_count"], details["truncated"]) == (5, False)
    assert details["by_event_name"] == {
        "ListBuckets": 2,
        "CreateAccessKey": 1,
        "GetCallerIdentity": 1,
        "GetSecretValue": 1,
    }
    assert details["by_source_ip"] == {ATTACKER: 4, OFFICE: 1}
    assert details["by_error_code"] == {"AccessDenied": 1}
    assert details["by_access_key_id"] == {LEAKED_KEY: 5}
    assert details["write_events"] == 1
    assert details["first_seen"] == PAGE_TWO[-1]["EventTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert details["last_seen"] == PAGE_ONE[0]["EventTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = details["samples"][0]
    assert (newest["event_name"], newest["source_ip"], newest["region"]) == (
        "ListBuckets",
        ATTACKER,
        "ap-south-1",
    )


def test_stops_at_max_events_and_says_so(clients, stubbed):
    stubbed.add_response("lookup_events", {"Events": PAGE_ONE, "NextToken": "t1"}, expected_request(3))
    details = invoke(NAME, clients, {"user": USER, "max_events": 3}).details
    assert (details["event_count"], details["truncated"]) == (3, True)
    assert "--max-events" in details["note"]


def test_samples_are_the_newest_ten(clients, stubbed):
    events = [cloudtrail_event(m, "DescribeInstances", "ec2.amazonaws.com", ATTACKER) for m in range(1, 16)]
    stubbed.add_response("lookup_events", {"Events": events}, expected_request(50))
    details = invoke(NAME, clients, {"user": USER}).details
    assert len(details["samples"]) == 10
    assert details["samples"][0]["time"] == details["last_seen"]


def test_an_unreadable_event_document_counts_as_unknown(clients, stubbed):
    broken = {**PAGE_ONE[0], "CloudTrailEvent": "{not json"}
    missing = {key: value for key, value in PAGE_ONE[1].items() if key != "CloudTrailEvent"}
    stubbed.add_response("lookup_events", {"Events": [broken, missing]}, expected_request(50))
    details = invoke(NAME, clients, {"user": USER}).details
    assert details["by_source_ip"] == {"unknown": 2}


def test_an_empty_history_is_a_plain_answer(clients, stubbed):
    stubbed.add_response("lookup_events", {"Events": []}, expected_request(50))
    details = invoke(NAME, clients, {"user": USER, "since": "30m"}).details
    assert (details["event_count"], details["first_seen"], details["by_event_name"]) == (0, None, {})
    start = datetime.fromisoformat(details["window"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(details["window"]["end"].replace("Z", "+00:00"))
    assert timedelta(minutes=29) <= end - start <= timedelta(minutes=31)


def test_moto_in_process_is_reported_as_not_supported(clients):
    with pytest.raises(NotSupportedError, match=NOT_SUPPORTED):
        invoke(NAME, clients, {"user": USER})


@pytest.mark.parametrize(
    "status, code", [(500, "500"), (501, "NotImplemented")], ids=["moto server: bare 500", "501"]
)
def test_endpoints_without_lookup_events_are_not_supported(clients, stubbed, status, code):
    stubbed.add_client_error("lookup_events", service_error_code=code, http_status_code=status)
    with pytest.raises(NotSupportedError, match=NOT_SUPPORTED):
        invoke(NAME, clients, {"user": USER})


def test_other_errors_are_not_mistaken_for_missing_support(clients, stubbed):
    stubbed.add_client_error(
        "lookup_events",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=400,
    )
    with pytest.raises(AwsCallError, match="ThrottlingException"):
        invoke(NAME, clients, {"user": USER})


def test_cli_on_moto_exits_non_zero_with_one_line(clients, capsys):
    code = main([NAME, "--user", USER, "--since", "7d"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out)["ok"] is False
    assert err.strip() == f"error: {NOT_SUPPORTED}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        (" 90D ", timedelta(days=90)),
    ],
)
def test_since_accepts_minutes_hours_and_days(text, expected):
    assert parse_since(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("91d", "maximum 90d"),
        ("2w", "not a duration"),
        ("0m", "shorter than one minute"),
        ("-1h", "not a duration"),
        ("1.5h", "not a duration"),
    ],
)
def test_since_refuses_bad_windows_before_any_call(clients, text, words):
    with pytest.raises(InvalidArgumentError, match=words):
        invoke(NAME, clients, {"user": USER, "since": text})
