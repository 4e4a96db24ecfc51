"""What a user did through the AWS API, from CloudTrail event history (guide P0-C).

LookupEvents returns at most 50 events a page and is rate-limited (2 requests a second per
account and region), so the scan stops after --max-events and says so. Event history keeps 90
days, hence the --since limit. Events come newest first; the samples are the newest ones.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .exceptions import NotSupportedError
from .investigation import iso, parse_since, ranked_counts, window_ending_now
from .params import Param

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

NAME = "cloudtrail-lookup"
PAGE_SIZE = 50  # the API's maximum
SAMPLE_EVENTS = 10
NOT_SUPPORTED = "cloudtrail lookup-events is not supported by this endpoint"
# Not "InternalFailure": AWS answers it (HTTP 500) for transient faults of an API it has;
# LocalStack's unimplemented APIs answer 501, which is caught by status.
_NOT_IMPLEMENTED_CODES = {"NotImplemented", "NotImplementedException"}


def cloudtrail_lookup(
    clients: AwsClients, *, user: str, since: str = "24h", max_events: int = 1000, dry_run: bool = False
) -> ActionResult:
    start, end = window_ending_now(parse_since(since))
    raw_events, truncated = _lookup_events(clients.cloudtrail, user, start, end, max_events)
    events = [_describe_event(event) for event in raw_events]
    details = {
        "user": user,
        "since": since,
        "window": {"start": iso(start), "end": iso(end)},
        "event_count": len(events),
        "truncated": truncated,
        **summarise(events),
        "samples": events[:SAMPLE_EVENTS],
    }
    if truncated:
        details["note"] = (
            f"stopped after {max_events} events; narrow --since or raise --max-events to see the rest"
        )
    return ActionResult(NAME, ok=True, changed=False, dry_run=dry_run, details=details)


def _lookup_events(
    cloudtrail: Any, user: str, start: datetime, end: datetime, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` events, and whether more were left unread."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": user}],
        "StartTime": start,
        "EndTime": end,
    }
    with aws_call(f"looking up CloudTrail events of {user}"), _unsupported_as_error():
        while True:
            page = cloudtrail.lookup_events(**request, MaxResults=min(PAGE_SIZE, limit - len(events)))
            events.extend(page.get("Events", []))
            token = page.get("NextToken")
            if not token or len(events) >= limit:
                return events[:limit], bool(token)
            request["NextToken"] = token


@contextmanager
def _unsupported_as_error() -> Iterator[None]:
    """An emulator without LookupEvents: moto in-process raises NotImplementedError, moto's
    server answers a bare HTTP 500 (error code "500"), others answer 501."""
    from botocore.exceptions import ClientError

    try:
        yield
    except NotImplementedError:
        raise NotSupportedError(NOT_SUPPORTED) from None
    except ClientError as error:
        if _means_not_implemented(error):
            raise NotSupportedError(NOT_SUPPORTED) from None
        raise


def _means_not_implemented(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 501 or code in _NOT_IMPLEMENTED_CODES or (status == 500 and code == "500")


def _describe_event(event: dict[str, Any]) -> dict[str, Any]:
    """The fields a responder reads, from the event and its CloudTrailEvent JSON document."""
    record = _record(event.get("CloudTrailEvent"))
    read_only = event.get("ReadOnly")
    return {
        "time": iso(event.get("EventTime")),
        "event_name": event.get("EventName"),
        "event_source": event.get("EventSource"),
        "source_ip": record.get("sourceIPAddress"),
        "region": record.get("awsRegion"),
        "access_key_id": event.get("AccessKeyId"),
        "read_only": None if read_only is None else str(read_only).lower() == "true",
        "error_code": record.get("errorCode"),
        "user_agent": (record.get("userAgent") or "")[:200] or None,
    }


def _record(document: Any) -> dict[str, Any]:
    try:
        record = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        record = None
    return record if isinstance(record, dict) else {}


def summarise(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by name, source IP, service, key and error; first and last seen."""
    times = sorted(e["time"] for e in events if e["time"])
    return {
        "first_seen": times[0] if times else None,
        "last_seen": times[-1] if times else None,
        "write_events": sum(1 for e in events if e["read_only"] is False),
        "by_event_name": ranked_counts(e["event_name"] for e in events),
        "by_source_ip": ranked_counts(e["source_ip"] for e in events),
        "by_event_source": ranked_counts(e["event_source"] for e in events),
        "by_access_key_id": ranked_counts(e["access_key_id"] for e in events),
        "by_error_code": ranked_counts(e["error_code"] for e in events if e["error_code"]),
    }


ACTION = Action(
    name=NAME,
    summary="A user's AWS API calls from CloudTrail, counted by event name and source IP.",
    params=(
        Param(
            "user",
            str,
            "user name as CloudTrail records it (IAM user or role session)",
            required=True,
            pattern=r"[\w+=,.@:/\-]{1,128}",
        ),
        Param("since", str, "how far back: 30m, 24h, 7d (at most 90d)", default="24h"),
        Param("max_events", int, "stop after this many events", default=1000, minimum=1, maximum=5000),
    ),
    run=cloudtrail_lookup,
    iam=(IamGrant(("cloudtrail:LookupEvents",), "*"),),
    mutating=False,
)
