"""IAM, trust, topic and key policies as small pure functions returning JSON text."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

VERSION = "2012-10-17"


def document(statements: Iterable[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, indent=2)


def statement(
    effect: str,
    actions: Sequence[str],
    resources: Sequence[str],
    sid: str | None = None,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Effect": effect,
        "Action": sorted(set(actions)),
        "Resource": list(dict.fromkeys(resources)),
    }
    if sid:
        result["Sid"] = sid
    if condition:
        result["Condition"] = dict(condition)
    return result


def allow(
    actions: Sequence[str],
    resources: Sequence[str],
    sid: str | None = None,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return statement("Allow", actions, resources, sid, condition)


def deny(actions: Sequence[str], resources: Sequence[str], sid: str | None = None) -> dict[str, Any]:
    return statement("Deny", actions, resources, sid)


def service_trust(*services: str) -> str:
    """A trust policy letting AWS services assume the role.

    No source condition: attaching the role to a function or rule needs iam:PassRole on it,
    which is what keeps other principals from borrowing it.
    """
    return document(
        [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": sorted(services)}}]
    )


def mfa_trust(principals: Sequence[str], max_mfa_age_seconds: int) -> str:
    """Named principals may assume the role only with MFA used within ``max_mfa_age_seconds``."""
    return document(
        [
            {
                "Sid": "NamedPrincipalsWithRecentMfa",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": sorted(set(principals))},
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThanEquals": {"aws:MultiFactorAuthAge": str(max_mfa_age_seconds)},
                },
            }
        ]
    )


def services_may_publish(topic_arn: str, sources: Mapping[str, str]) -> str:
    """A topic policy: each AWS service may publish, only on behalf of its source ARNs.

    ``sources`` maps a service principal to an ARN pattern, e.g. CloudWatch to this account's
    alarms, so no other account's alarm or rule can use the topic (confused deputy).
    """
    return document(
        [
            {
                "Sid": f"{service.split('.')[0].title()}Publishes",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnLike": {"aws:SourceArn": source}},
            }
            for service, source in sorted(sources.items())
        ]
    )


def topic_may_send(queue_arn: str, topic_arn: str) -> str:
    """A queue policy letting one SNS topic deliver to the queue."""
    return document(
        [
            {
                "Sid": "TopicDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ]
    )


def key_policy(account_root: str, services: Sequence[str] = ()) -> str:
    """A KMS key policy: IAM in the account governs the key; ``services`` may encrypt with it.

    ``kms:*`` for the account root is AWS's default key policy: it delegates key administration
    to IAM policies; without it a key can become unmanageable. The services get only what SNS
    needs when they publish to an encrypted topic; the topic policy limits whose alarms and rules
    may publish at all.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountIamGovernsKey",
            "Effect": "Allow",
            "Principal": {"AWS": account_root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if services:
        statements.append(
            {
                "Sid": "PublishingServicesEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            }
        )
    return document(statements)
