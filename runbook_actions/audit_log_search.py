"""Search the Aurora audit log for suspicious queries (guide P0-C).

The time window is applied by CloudWatch Logs; the pattern is matched here, as a
case-insensitive substring or (with --regex) a regular expression, because CloudWatch filter
patterns are term-based and case-sensitive, and emulators ignore parts of them. The scan is
bounded, the newest --max-lines matches are returned, and matches are counted by user, client
host, operation and database where the line is in Aurora's audit format. Returned lines have
every password MySQL 8 syntax can carry masked (sql_secrets.py); drill reports copy these lines.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .constants import ENV_AUDIT_LOG_GROUP
from .exceptions import InvalidArgumentError
from .investigation import iso, parse_since, ranked_counts, to_millis, window_ending_now
from .params import Param
from .sql_secrets import mask_passwords

NAME = "audit-log-search"
# Bounds the scan so a busy audit log cannot make the search itself run for minutes.
MAX_EVENTS_SCANNED = 50_000
PAGE_LIMIT = 10_000  # FilterLogEvents' maximum
# Aurora MySQL audit records: timestamp,serverhost,username,host,connectionid,queryid,
# operation,database,object,retcode -- the object is single-quoted with \' escapes.
AUDIT_FIELDS = (
    "timestamp",
    "serverhost",
    "username",
    "host",
    "connectionid",
    "queryid",
    "operation",
    "database",
    "object",
    "retcode",
)


def audit_log_search(
    clients: AwsClients,
    *,
    pattern: str,
    log_group: str,
    regex: bool = False,
    since: str = "1h",
    max_lines: int = 100,
    dry_run: bool = False,
) -> ActionResult:
    matches = _matcher(pattern, regex)
    start, end = window_ending_now(parse_since(since))
    scan = _scan(clients.logs, log_group, start, end, matches, max_lines)
    details = {
        "log_group": log_group,
        "pattern": pattern,
        "regex": regex,
        "since": since,
        "window": {"start": iso(start), "end": iso(end)},
        **scan,
    }
    if scan["scan_limit_reached"]:
        details["note"] = (
            f"stopped after scanning {MAX_EVENTS_SCANNED} lines; narrow --since to search the rest"
        )
    return ActionResult(NAME, ok=True, changed=False, dry_run=dry_run, details=details)


def _matcher(pattern: str, regex: bool) -> Callable[[str], bool]:
    if not regex:
        needle = pattern.casefold()
        return lambda line: needle in line.casefold()
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise InvalidArgumentError(
            f"--pattern: {pattern!r} is not a valid regular expression ({error})"
        ) from None
    return lambda line: compiled.search(line) is not None


def _scan(
    logs: Any, log_group: str, start: datetime, end: datetime, matches: Callable[[str], bool], max_lines: int
) -> dict[str, Any]:
    kept: deque[dict[str, Any]] = deque(maxlen=max_lines)  # the newest matches
    matched: list[dict[str, Any]] = []
    scanned, token = 0, None
    with aws_call(f"searching log group {log_group}"):
        while scanned < MAX_EVENTS_SCANNED:
            page = logs.filter_log_events(
                **_page_request(log_group, start, end, token, MAX_EVENTS_SCANNED - scanned)
            )
            for event in page["events"]:
                scanned += 1
                if matches(event["message"]):
                    matched.append(event)
                    kept.append(event)  # masked once, when returned: only the kept ones
            token = page.get("nextToken")
            if not token:
                break
    return {
        "scanned": scanned,
        "scan_limit_reached": bool(token),
        "matched": len(matched),
        "lines_truncated": len(matched) > len(kept),
        "counts": _counts(matched),
        "lines": [_line(event) for event in kept],
    }


def _page_request(
    log_group: str, start: datetime, end: datetime, token: str | None, remaining: int
) -> dict[str, Any]:
    request = {
        "logGroupName": log_group,
        "startTime": to_millis(start),
        "endTime": to_millis(end),
        "limit": min(PAGE_LIMIT, remaining),
    }
    if token:
        request["nextToken"] = token
    return request


def _line(event: dict[str, Any]) -> dict[str, Any]:
    moment = datetime.fromtimestamp(event["timestamp"] / 1000, tz=timezone.utc)
    return {
        "time": iso(moment),
        "stream": event.get("logStreamName"),
        "message": mask_passwords(event["message"].rstrip()),
    }


def parse_audit_record(line: str) -> dict[str, str] | None:
    """The fields of an Aurora MySQL audit record, or None for any other line."""
    try:
        fields = next(csv.reader([line], quotechar="'", escapechar="\\"))
    except (csv.Error, StopIteration):
        return None
    if len(fields) < len(AUDIT_FIELDS) - 1 or not fields[0].strip().isdigit():
        return None
    return dict(zip(AUDIT_FIELDS, (field.strip() for field in fields)))


def _counts(matched: list[dict[str, Any]]) -> dict[str, Any]:
    records = [parse_audit_record(event["message"]) for event in matched]
    parsed = [record for record in records if record is not None]
    return {
        "by_stream": ranked_counts(event.get("logStreamName") for event in matched),
        "by_user": ranked_counts(record["username"] for record in parsed),
        "by_client_host": ranked_counts(record["host"] for record in parsed),
        "by_operation": ranked_counts(record["operation"] for record in parsed),
        "by_database": ranked_counts(record["database"] or None for record in parsed),
        "not_in_audit_format": len(records) - len(parsed),
    }


ACTION = Action(
    name=NAME,
    summary="Search the Aurora audit log for a substring or regex; matching lines and counts.",
    params=(
        Param("pattern", str, "case-insensitive text to look for (a regex with --regex)", required=True),
        Param("regex", bool, "treat --pattern as a regular expression", default=False),
        Param("since", str, "how far back: 30m, 1h, 7d (at most 90d)", default="1h"),
        Param(
            "log_group",
            str,
            "the Aurora audit log group",
            required=True,
            env=ENV_AUDIT_LOG_GROUP,
            pattern=r"[A-Za-z0-9_.\-/#]{1,512}",
        ),
        Param(
            "max_lines", int, "matching lines to return (the newest)", default=100, minimum=1, maximum=1000
        ),
    ),
    run=audit_log_search,
    iam=(IamGrant(("logs:FilterLogEvents",), "log-group"),),
    mutating=False,
)
