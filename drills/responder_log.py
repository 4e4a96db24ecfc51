"""A game day's responders' own calls, read back from the target for the post-mortem's timeline.

- On moto (target ``local``): moto's request recorder (``/moto-api/recorder/start-recording``,
  ``download-recording``) logs every request with its headers; the time comes from the SigV4
  ``X-Amz-Date``, the service from the credential scope, the operation from ``X-Amz-Target`` or
  the form body's ``Action``.
- On AWS (target ``aws``): CloudTrail ``LookupEvents`` for write events in the window; CloudTrail
  delivers an event within about 15 minutes of the call, so later calls are missing, and the
  post-mortem says so.
- Anywhere else (LocalStack's community build has neither): the post-mortem says plainly that
  the responders' actions are not in the timeline.

The drill's own calls are told apart by a user-agent marker that its clients carry
(:data:`DRILL_USER_AGENT`); :func:`mark_drill_clients` adds it to the clients a game day uses.
Only the service, operation, time and a few identifying parameters (cluster, service, counts,
ids, names) are kept: never a request body, a message, a password or a secret value.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

from .journal import StepRecord, utc_now
from .step_facts import RESPONDER_PHASE

DRILL_USER_AGENT = "incident-guardrails-drill"
RECORDING_FILE = "moto_recording"  # moto's default MOTO_RECORDER_FILEPATH, in the server's folder
MAX_ROWS = 100
# Request parameters worth a timeline's facts: identifiers, names and counts (never values).
SAFE_PARAMETERS = (
    "cluster",
    "service",
    "desiredCount",
    "taskDefinition",
    "forceNewDeployment",
    "DBClusterIdentifier",
    "DBClusterSnapshotIdentifier",
    "SourceDBClusterIdentifier",
    "TargetDBClusterIdentifier",
    "SnapshotIdentifier",
    "RestoreToTime",
    "Name",
    "SecretId",
    "UserName",
    "AccessKeyId",
    "Status",
    "TopicArn",
    "NetworkAclId",
    "RuleNumber",
)
READ_PREFIXES = ("Describe", "List", "Get", "Lookup", "Filter", "Search", "Head", "Select", "Scan", "Query")
CLOUDTRAIL_DELAY = "CloudTrail delivers events within about 15 minutes, so calls made later are missing"


@dataclass(frozen=True)
class Call:
    time: str
    service: str
    operation: str
    parameters: tuple[str, ...] = ()
    caller: str = ""

    @property
    def read_only(self) -> bool:
        return self.operation.startswith(READ_PREFIXES)


@dataclass
class ResponderLog:
    """Where the responders' calls are read from, opened when the page goes out."""

    source: str  # "moto request log", "CloudTrail", or "" when the target offers none
    endpoint_url: str | None = None
    started: str = field(default_factory=utc_now)
    unavailable: str = ""  # why the calls cannot be shown
    _clients: Any = None
    _created_file: Path | None = None


def mark_drill_clients(clients: Any, services: Iterable[str]) -> None:
    """Append :data:`DRILL_USER_AGENT` to the User-Agent of every call the drill's clients for
    ``services`` make (botocore's ``before-send`` event: the header is not signed)."""

    def mark(request: Any, **_: Any) -> None:
        agent = request.headers.get("User-Agent", b"")
        agent = agent.decode() if isinstance(agent, bytes) else str(agent)
        if DRILL_USER_AGENT not in agent:
            request.headers["User-Agent"] = f"{agent} {DRILL_USER_AGENT}".strip()

    for service in services:
        try:
            client = clients.get(service)
        except Exception:  # a service this botocore does not know (an IAM prefix): nothing to mark
            continue
        client.meta.events.register("before-send", mark, unique_id=f"{DRILL_USER_AGENT}-user-agent")


def open_log(target_name: str, endpoint_url: str | None, clients: Any) -> ResponderLog:
    """Start reading the responders' calls from now on, as the target allows."""
    if target_name == "aws":
        return ResponderLog("CloudTrail", _clients=clients)
    if endpoint_url and target_name == "local":
        before = Path.cwd() / RECORDING_FILE
        existed = before.exists()
        try:
            _moto_api(endpoint_url, "reset-recording")
            _moto_api(endpoint_url, "start-recording")
        except (urllib.error.URLError, OSError) as error:
            return ResponderLog(
                "", endpoint_url, unavailable=f"moto's request recorder did not answer ({error})"
            )
        return ResponderLog("moto request log", endpoint_url, _created_file=None if existed else before)
    return ResponderLog(
        "",
        endpoint_url,
        unavailable=f"target {target_name} offers no request log and no CloudTrail event history",
    )


def read_calls(log: ResponderLog) -> tuple[list[Call], str]:
    """The responders' calls since the log was opened, oldest first, and a note on the source."""
    if not log.source:
        return [], f"not shown: {log.unavailable}; the responders' actions are not in this timeline"
    if log.source == "CloudTrail":
        return _cloudtrail_calls(log)
    return _moto_calls(log)


def _moto_api(endpoint_url: str, verb: str) -> bytes:
    request = urllib.request.Request(f"{endpoint_url}/moto-api/recorder/{verb}", method="POST")
    if verb == "download-recording":
        request.method = "GET"
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


def _moto_calls(log: ResponderLog) -> tuple[list[Call], str]:
    assert log.endpoint_url is not None
    try:
        text = _moto_api(log.endpoint_url, "download-recording").decode("utf-8", "replace")
        _moto_api(log.endpoint_url, "stop-recording")
        _moto_api(log.endpoint_url, "reset-recording")
    except (urllib.error.URLError, OSError) as error:
        return [], f"not shown: moto's request recorder did not answer ({error})"
    finally:
        _remove_recording(log)
    entries = [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]
    drill = sum(1 for e in entries if DRILL_USER_AGENT in _header(e, "User-Agent"))
    calls = [
        c for c in (_moto_call(e) for e in entries if DRILL_USER_AGENT not in _header(e, "User-Agent")) if c
    ]
    note = (
        f"read from moto's request log: {len(calls)} call(s) by others than the drill "
        f"({drill} of the drill's own, marked by its user agent, left out)"
    )
    return calls, note


def _remove_recording(log: ResponderLog) -> None:
    """moto writes its recording into the server's working folder: the drill started the
    recording, so it removes the file it made (when the server shares this process's folder)."""
    if log._created_file is not None:
        log._created_file.unlink(missing_ok=True)


def _header(entry: dict[str, Any], name: str) -> str:
    headers = entry.get("headers") or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _moto_call(entry: dict[str, Any]) -> Call | None:
    url = str(entry.get("url", ""))
    if "/moto-api/" in url:
        return None
    stamp = _header(entry, "X-Amz-Date")
    try:
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    scope = _header(entry, "Authorization").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    service = scope[3] if len(scope) > 3 else urllib.parse.urlparse(url).netloc
    body = _body(entry)
    target = _header(entry, "X-Amz-Target")
    operation = target.rsplit(".", 1)[-1] if target else str(body.get("Action") or "")
    operation = operation or f"{entry.get('method')} {urllib.parse.urlparse(url).path}"
    agent = _header(entry, "User-Agent").split(" ", 1)[0]
    return Call(_iso(when), service, operation, _parameters(body), agent)


def _body(entry: dict[str, Any]) -> dict[str, Any]:
    raw = entry.get("body") or ""
    if entry.get("body_encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8", "replace")
        except ValueError:
            return {}
    raw = str(raw)
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return dict(urllib.parse.parse_qsl(raw))


def _parameters(body: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        f"{k}={body[k]}"
        for k in SAFE_PARAMETERS
        if k in body and isinstance(body[k], (str, int, float, bool)) and len(str(body[k])) <= 200
    )


def _cloudtrail_calls(log: ResponderLog) -> tuple[list[Call], str]:
    from botocore.exceptions import BotoCoreError, ClientError

    start = datetime.fromisoformat(log.started.replace("Z", "+00:00")) - timedelta(seconds=5)
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "StartTime": start,
        "EndTime": datetime.now(timezone.utc),
        "MaxResults": 50,
    }
    events: list[dict[str, Any]] = []
    try:
        for _ in range(10):  # LookupEvents allows 2 requests a second: at most 500 events
            page = log._clients.cloudtrail.lookup_events(**request)
            events += page.get("Events", [])
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except (ClientError, BotoCoreError) as error:
        return [], f"not shown: CloudTrail LookupEvents failed ({error})"
    calls = []
    drill = 0
    for event in events:
        record = _record(event.get("CloudTrailEvent"))
        if DRILL_USER_AGENT in str(record.get("userAgent", "")):
            drill += 1
            continue
        when = event.get("EventTime")
        identity = record.get("userIdentity") or {}
        calls.append(
            Call(
                _iso(when) if isinstance(when, datetime) else str(when),
                str(event.get("EventSource", "")).split(".", 1)[0],
                str(event.get("EventName", "")),
                _parameters(record.get("requestParameters") or {}),
                str(identity.get("arn") or event.get("Username") or ""),
            )
        )
    calls.sort(key=lambda c: c.time)
    note = (
        f"read from CloudTrail: {len(calls)} write call(s) by others than the drill ({drill} of the "
        f"drill's own left out); {CLOUDTRAIL_DELAY}"
    )
    return calls, note


def _record(document: Any) -> dict[str, Any]:
    try:
        record = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        record = None
    return record if isinstance(record, dict) else {}


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def records(calls: list[Call], note: str, source: str) -> list[StepRecord]:
    """Timeline records: the writes one by one (at most MAX_ROWS), the reads counted in the note,
    and the note itself (phase ``response``, ref ``responder-log``)."""
    writes = [c for c in calls if not c.read_only]
    reads = [c for c in calls if c.read_only]
    counted: dict[str, int] = {}
    for call in reads:
        counted[f"{call.service}:{call.operation}"] = counted.get(f"{call.service}:{call.operation}", 0) + 1
    if reads:
        top = ", ".join(f"{name} ×{n}" for name, n in sorted(counted.items(), key=lambda i: -i[1])[:8])
        note = f"{note}; {len(reads)} read-only call(s): {top}"
    if len(writes) > MAX_ROWS:
        note = f"{note}; the first {MAX_ROWS} of {len(writes)} changes are in the timeline"
    rows = [
        StepRecord(
            f"{call.service}:{call.operation}",
            RESPONDER_PHASE,
            "responder",
            source,
            call.time,
            end=call.time,
            detail=f"by {call.caller}" if call.caller else "",
            result={"source": source, "facts": list(call.parameters)},
        )
        for call in writes[:MAX_ROWS]
    ]
    summary = StepRecord(
        "the responders' actions", "response", "event", "responder-log", utc_now(), end=utc_now(), detail=note
    )
    return [*rows, summary]


# The services a game day's own calls use besides its scenario's: the status post.
STATUS_SERVICES = ("sns", "ssm")


def open_for(ctx: Any, scenario: Any) -> ResponderLog:
    """Mark the drill's clients, then open the target's log of the responders' calls."""
    mark_drill_clients(ctx.clients, sorted(set(scenario.services_needed()) | set(STATUS_SERVICES)))
    return open_log(ctx.target.name, ctx.target.endpoint_url, ctx.clients)


def record_into(runner: Any, log: ResponderLog) -> None:
    """Add the responders' calls, and the note on where they were read, to the run's timeline."""
    try:
        calls, note = read_calls(log)
    except Exception as error:  # never in the way of the game day's verdict or its undo
        calls, note = (
            [],
            f"not shown: reading {log.source or 'the target'} failed ({type(error).__name__}: {error})",
        )
        _remove_recording(log)
    for record in records(calls, note, log.source or "not available"):
        runner.record(record)
