"""A production stack's P0 and P1 topics wake someone: each has a subscriber that is not email.

The guide's escalation table: any P0/P1 alert reaches the on-call at once ("PagerDuty"), and any
P0 is a phone call. An email at 3am wakes nobody, so a production stack whose P0 or P1 topic has
only email subscribers is refused. HTTPS (a pager's events endpoint), SMS and Lambda count by
default (``wakingProtocols``); email and email-json never do. Non-production stacks are not held
to it: the guide classes staging incidents as P3, "no page". Whether a stack is production comes
from the policy config's ``production``, else the stack config; a stack neither describes is
held to the rule.

Severity travels as the ``incident-guardrails:severity`` tag on topics, in every region the stack
has topics (the Route 53 alarms' topics in us-east-1 too). Subscriptions are matched to topics by
ARN, known once the topics exist (during a first preview CrossGuard reports the rule as not run).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from pulumi_policy import EnforcementLevel, StackValidationArgs, StackValidationPolicy

from components.tags import SEVERITY

from .platform_context import PlatformUnknownError, platform_facts
from .props import as_list, get, tags_of
from .settings import schema, setting

TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
WAKING_SEVERITIES = ("P0", "P1")
NEVER_WAKING = frozenset({"email", "email-json"})
SCHEMA = schema(
    wakingProtocols={"type": "array", "items": {"type": "string"}, "default": ["https", "sms", "lambda"]},
    # Normally read from the stack config (platform.production); set it to check a stack without it.
    production={"type": "boolean"},
)


def silent_topics(resources: Iterable[Any], waking_protocols: Iterable[str]) -> list[tuple[str, str]]:
    """(severity, topic ARN) of each P0/P1 topic without a subscriber over ``waking_protocols``."""
    resources = list(resources)
    protocols = {str(p).lower() for p in waking_protocols} - NEVER_WAKING
    woken = {
        get(r.props, "topic")
        for r in resources
        if r.resource_type == SUBSCRIPTION and str(get(r.props, "protocol", default="")).lower() in protocols
    }
    return [
        (tags_of(r.props).get(SEVERITY), get(r.props, "arn"))
        for r in resources
        if r.resource_type == TOPIC
        and tags_of(r.props).get(SEVERITY) in WAKING_SEVERITIES
        and get(r.props, "arn") not in woken
    ]


def _production(config: Mapping[str, Any]) -> bool:
    """The policy config's ``production``, else the stack config's; a stack neither describes is
    held to the production rule (fails closed)."""
    if config.get("production") is not None:
        return bool(config["production"])
    try:
        return platform_facts({}).production
    except PlatformUnknownError:
        return True


def _validate(args: StackValidationArgs, report_violation) -> None:
    config = args.get_config()
    if not _production(config):
        return
    configured = [str(p).lower() for p in as_list(setting(config, SCHEMA, "wakingProtocols"))]
    protocols = [p for p in configured if p not in NEVER_WAKING]
    for severity, arn in silent_topics(args.resources, protocols):
        report_violation(
            f"production {severity} topic {arn} has no subscriber that wakes anyone (only email or none); "
            f"subscribe a pager ({'/'.join(protocols) or 'no waking protocol configured'}) in the stack config's notifications.subscriptions",
            None,
        )


PAGING_WAKES_SOMEONE = StackValidationPolicy(
    name="production-p0-p1-page-someone",
    description="On a production stack, every P0 and P1 topic has a subscriber that wakes someone "
    "(a pager over HTTPS, SMS or Lambda), not only email.",
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=SCHEMA,
)
