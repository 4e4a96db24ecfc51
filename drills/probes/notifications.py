"""Status posts reached the team: the severity topic's drill subscriber got this run's post.

The seed subscribes one queue per severity topic (standard SNS envelope, raw delivery off).
The probe reads the queue without consuming it: messages are held briefly while it reads and
released straight after, so a later probe (or a person) still sees them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from targets.seed import status_subscriber_queue_name

from ..activities import Check, probe
from ..context import DrillContext

BATCH = 10  # SQS's maximum per receive
MAX_BATCHES = 10  # a drill queue holds a few posts per run; stop reading after 100
HOLD_SECONDS = 30  # visibility while reading, released as soon as the probe is done
# The first read waits up to a second for a post still on its way (SNS delivers asynchronously
# on LocalStack and AWS); later reads only drain what is already there.
FIRST_WAIT_SECONDS = 1


@dataclass(frozen=True)
class _Post:
    message_id: str
    incident_id: str | None
    status: str | None
    severity: str | None
    subject: str
    text: str


@probe("status-posted", services={"sqs"})
def status_posted(ctx: DrillContext, *, severity: str, status: str) -> Check:
    """Exactly one ``severity`` post with ``status`` for this run's incident arrived, in the
    guide's template, with no secret in it."""
    sqs = ctx.clients.sqs
    queue = status_subscriber_queue_name(ctx.platform, severity)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    received = _receive(sqs, url)
    try:
        posts = [_parse(message) for message in received]
    finally:
        _release(sqs, url, received)
    ours = [p for p in posts if p.incident_id == ctx.incident_id]
    matching = [p for p in ours if p.status == status]
    if not matching:
        return Check(
            False,
            f"no {severity} {status} post of {ctx.incident_id} on {queue}; "
            f"arrived instead: {_describe(ours, len(posts) - len(ours))}",
        )
    if len(matching) > 1:
        return Check(
            False,
            f"{severity} {status} was posted {len(matching)} times for "
            f"{ctx.incident_id} (messages {', '.join(p.message_id for p in matching)})",
        )
    post = matching[0]
    problem = _template_problem(post, severity, status) or (
        "the post contains a secret value" if ctx.redactor.contains_secret(post.text) else None
    )
    if problem:
        return Check(False, f"{severity} {status} post {post.message_id}: {problem}")
    return Check(
        True,
        f"{severity} {status} post of {ctx.incident_id} arrived on {queue} (message {post.message_id})",
        {"message_id": post.message_id, "subject": post.subject},
    )


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for _ in range(MAX_BATCHES):
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=BATCH,
            VisibilityTimeout=HOLD_SECONDS,
            WaitTimeSeconds=0 if messages else FIRST_WAIT_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        messages += batch
    return messages


def _release(sqs: Any, url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), BATCH):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for index, m in enumerate(messages[start : start + BATCH])
            ],
        )


def _parse(message: dict[str, Any]) -> _Post:
    """The SNS envelope's fields; with raw delivery, the SQS message's own attributes."""
    try:
        envelope = json.loads(message["Body"])
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
        attributes = {k: v.get("Value") for k, v in (envelope.get("MessageAttributes") or {}).items()}
        return _Post(
            str(envelope.get("MessageId")),
            attributes.get("incident_id"),
            attributes.get("status"),
            attributes.get("severity"),
            str(envelope.get("Subject") or ""),
            str(envelope.get("Message") or ""),
        )
    attributes = {k: v.get("StringValue") for k, v in (message.get("MessageAttributes") or {}).items()}
    return _Post(
        message["MessageId"],
        attributes.get("incident_id"),
        attributes.get("status"),
        attributes.get("severity"),
        "",
        message["Body"],
    )


def _template_problem(post: _Post, severity: str, status: str) -> str | None:
    lines = post.text.splitlines()
    if not lines or f"{severity} INCIDENT" not in lines[0]:
        return f"first line is not the {severity} template's heading"
    if f"Status: {status}" not in lines:
        return f"the text does not say 'Status: {status}'"
    return None


def _describe(ours: list[_Post], others: int) -> str:
    seen = [f"{p.severity} {p.status} ({p.message_id})" for p in ours]
    parts = [f"this incident's posts: {', '.join(seen)}" if seen else "no post of this incident"]
    if others:
        parts.append(f"{others} post(s) of other incidents")
    return "; ".join(parts)
