"""Post the guide's P0/P1 status update to the severity's SNS topic (guide: "Communicate").

The topic is ``--topic-arn``, else ``<topic prefix>-p0`` / ``-p1`` in this account and region
(the stack's naming, ``ZELLY_TOPIC_PREFIX``). Each post carries the incident id, status and
severity as message attributes, so subscribers (and drills) can filter on them.

Standard SNS topics do not deduplicate (FIFO topics would, but email cannot subscribe to
them), so the last post of each incident is recorded in SSM under the state prefix: the same
incident, topic and text again is reported, not re-posted, unless ``--force``. The record also
keeps when the incident started, so later posts repeat the first post's "Started" time. Two
runs at the very same moment can still both post: a duplicate status beats a lost one.

Resolving the topic from the prefix calls sts:GetCallerIdentity, which needs no IAM permission
(AWS allows it to every principal), so it is not among the grants.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, INCIDENT_ID
from .constants import ENV_TOPIC_PREFIX
from .exceptions import InvalidArgumentError, RefusedError
from .incident_state import STATE_PREFIX, record_parameter
from .params import Param
from .rds_helpers import iso, utc_now
from .status_template import (
    MAX_FIELD,
    MAX_TITLE,
    STATUSES,
    StatusPost,
    check_field,
    next_update_text,
    render_status,
    template_for,
)

NAME = "post-status"
RECORD_VERSION = 1
# A start time a little ahead of this host's clock is tolerated; further ahead is a typo.
CLOCK_SKEW = timedelta(minutes=5)
_TOPIC_NAME = r"[A-Za-z0-9_\-]{1,256}"


def status_record_parameter(prefix: str, cluster: str, incident_id: str) -> str:
    """``/incident-guardrails/<cluster>/incidents/<incident-id>/status-post``, within SSM's
    name limits (checked before anything is posted)."""
    return record_parameter(prefix, cluster, incident_id, "status-post")


def post_status(
    clients: AwsClients,
    *,
    severity: str,
    status: str,
    title: str,
    impact: str,
    current_action: str,
    cluster: str,
    incident_id: str,
    state_prefix: str,
    started: str | None = None,
    next_update_minutes: int | None = None,
    topic_arn: str | None = None,
    topic_prefix: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> ActionResult:
    template_for(severity)
    fields = {
        "title": check_field("--title", title, MAX_TITLE),
        "impact": check_field("--impact", impact, MAX_FIELD),
        "current_action": check_field("--current-action", current_action, MAX_FIELD),
        "next_update": next_update_text(status, next_update_minutes),
    }
    explicit_start = _parse_started(started) if started else None
    parameter = status_record_parameter(state_prefix, cluster, incident_id)
    topic = _topic(clients, severity, topic_arn, topic_prefix)
    record = _read_record(clients.ssm, parameter)
    started_at = explicit_start or _recorded_start(record, parameter) or utc_now()
    post = render_status(
        severity=severity, status=status, started=started_at, incident_id=incident_id, **fields
    )
    digest = _digest(topic, post)
    details: dict[str, Any] = {
        "incident_id": incident_id,
        "severity": severity,
        "status": status,
        "topic_arn": topic,
        "started": iso(started_at),
        "subject": post.subject,
        "message": post.message,
        "record_parameter": parameter,
    }
    last = (record or {}).get("last") or {}
    if last.get("digest") == digest and not force:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=dry_run,
            details={
                **details,
                "already_posted": True,
                "message_id": last.get("message_id"),
                "note": f"this status was already posted at {last.get('posted_at')}; --force posts it again",
            },
        )
    if dry_run:
        _require_topic(clients.sns, topic)
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_post": {"topic_arn": topic, "subject": post.subject},
                "would_change": True,
            },
        )
    message_id = _publish(clients.sns, topic, post)
    _write_record(
        clients.ssm,
        parameter,
        {
            "version": RECORD_VERSION,
            "incident_id": incident_id,
            "started": iso(started_at),
            "last": {
                "severity": severity,
                "status": status,
                "digest": digest,
                "topic_arn": topic,
                "message_id": message_id,
                "posted_at": iso(utc_now()),
            },
        },
    )
    return ActionResult(
        NAME, ok=True, changed=True, dry_run=False, details={**details, "message_id": message_id}
    )


def _parse_started(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgumentError(
            f"--started: {text!r} is not an ISO 8601 time such as 2026-11-26T03:10:00Z"
        ) from None
    if moment.tzinfo is None:
        raise InvalidArgumentError(f"--started: {text!r} has no time zone; add Z for UTC or an offset")
    if moment > utc_now() + CLOCK_SKEW:
        raise InvalidArgumentError(f"--started: {text!r} is in the future")
    return moment


def _topic(clients: AwsClients, severity: str, topic_arn: str | None, prefix: str | None) -> str:
    if topic_arn:
        name = topic_arn.rsplit(":", 1)[-1]
        suffix = name.rsplit("-", 1)[-1].upper()
        if suffix in ("P0", "P1", "P2", "P3") and suffix != severity:
            raise InvalidArgumentError(
                f"--topic-arn {name} is the {suffix} topic; a {severity} status goes to the {severity} topic"
            )
        return topic_arn
    if not prefix:
        raise InvalidArgumentError(f"--topic-arn or --topic-prefix is required (or set {ENV_TOPIC_PREFIX})")
    with aws_call("finding this account's id for the topic ARN"):
        identity = clients.sts.get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    return f"arn:{partition}:sns:{clients.region}:{identity['Account']}:{prefix}-{severity.lower()}"


def _require_topic(sns: Any, topic: str) -> None:
    with aws_call(f"checking topic {topic}"):
        sns.get_topic_attributes(TopicArn=topic)


def _publish(sns: Any, topic: str, post: StatusPost) -> str:
    attributes = {
        name: {"DataType": "String", "StringValue": value} for name, value in post.attributes.items()
    }
    with aws_call(f"publishing the status to {topic}"):
        message_id: str = sns.publish(
            TopicArn=topic, Subject=post.subject, Message=post.message, MessageAttributes=attributes
        )["MessageId"]
        return message_id


def _digest(topic: str, post: StatusPost) -> str:
    return hashlib.sha256("\n".join((topic, post.subject, post.message)).encode()).hexdigest()


def _read_record(ssm: Any, parameter: str) -> dict[str, Any] | None:
    with aws_call(f"reading status record {parameter}"):
        try:
            value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return None
    try:
        record = json.loads(value)
        if not isinstance(record, dict):
            raise ValueError
    except ValueError:
        raise RefusedError(
            f"status record {parameter} is not valid JSON; inspect its SSM history, then repair or delete it"
        ) from None
    return record


def _recorded_start(record: dict[str, Any] | None, parameter: str) -> datetime | None:
    if not record or not record.get("started"):
        return None
    try:
        return datetime.fromisoformat(str(record["started"]).replace("Z", "+00:00"))
    except ValueError:
        raise RefusedError(f"status record {parameter} has an invalid start time; pass --started") from None


def _write_record(ssm: Any, parameter: str, record: dict[str, Any]) -> None:
    with aws_call(f"recording the status post in {parameter}"):
        ssm.put_parameter(
            Name=parameter,
            Value=json.dumps(record, separators=(",", ":")),
            Type="String",
            Overwrite=True,
            Description="last status post of the incident (incident-guardrails)",
        )


ACTION = Action(
    name=NAME,
    summary="Post the guide's P0/P1 status template to the severity's topic (once per change).",
    params=(
        Param(
            "severity",
            str,
            "P0 or P1: the guide's communication templates",
            required=True,
            choices=("P0", "P1", "P2", "P3"),
        ),
        Param("status", str, "INVESTIGATING, MITIGATING or RESOLVED", required=True, choices=STATUSES),
        Param("title", str, f"short description (at most {MAX_TITLE} characters)", required=True),
        Param("impact", str, "what is broken, how many users affected", required=True),
        Param("current_action", str, "what we are doing right now", required=True),
        Param(
            "next_update_minutes",
            int,
            "minutes to the next update (required unless RESOLVED)",
            minimum=1,
            maximum=24 * 60,
        ),
        Param(
            "started",
            str,
            "when the incident started, ISO 8601 with Z or an offset "
            "(default: the incident's first post, else now)",
        ),
        Param(
            "topic_arn",
            str,
            "publish to this topic instead of the prefix's",
            pattern=rf"arn:aws[a-z\-]*:sns:[a-z0-9\-]+:\d{{12}}:{_TOPIC_NAME}",
        ),
        Param(
            "topic_prefix",
            str,
            "severity topics are <prefix>-p0, <prefix>-p1",
            env=ENV_TOPIC_PREFIX,
            pattern=_TOPIC_NAME,
        ),
        CLUSTER,
        INCIDENT_ID,
        STATE_PREFIX,
        Param("force", bool, "post again even if this exact status was already posted", default=False),
    ),
    run=post_status,
    iam=(
        IamGrant(("sns:GetTopicAttributes", "sns:Publish"), "sns-topic"),
        IamGrant(("ssm:GetParameter", "ssm:PutParameter"), "ssm-state-parameter"),
    ),
    mutating=True,
)
