"""SNS topics are encrypted with a key CloudWatch and EventBridge can use."""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy

from .props import get

TOPIC = "aws:sns/topic:Topic"
# The AWS-managed SNS key's policy cannot name CloudWatch or EventBridge, so alarms and rules
# publishing to a topic encrypted with it fail without any error anyone sees.
AWS_MANAGED_KEY = "alias/aws/sns"


def topic_violations(props: Any) -> list[str]:
    key = get(props, "kmsMasterKeyId")
    if not key:
        return ["kmsMasterKeyId is not set: the topic is not encrypted at rest"]
    if str(key).endswith(AWS_MANAGED_KEY):
        return [
            f"the topic uses {AWS_MANAGED_KEY}, which CloudWatch alarms cannot publish "
            "through; use a customer managed key"
        ]
    return []


def _validate(args: ResourceValidationArgs, report_violation) -> None:
    if args.resource_type == TOPIC:
        for problem in topic_violations(args.props):
            report_violation(problem, None)


TOPICS_ENCRYPTED = ResourceValidationPolicy(
    name="topics-encrypted",
    description="Every SNS topic is encrypted with a customer managed KMS key.",
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
)
