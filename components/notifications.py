"""One KMS-encrypted SNS topic per severity; P3's only subscriber is the issue-tracker queue.

P0-P2 page the people subscribed in the stack config: by email, and through pagers (PagerDuty,
Opsgenie) over HTTPS, the integration key read from Secrets Manager at deploy time and handed to
AWS as a Pulumi secret. P3 pages nobody (the guide: "log as GitHub issue, no page"): its topic
feeds an SQS queue the issue-tracker integration drains. Keeping a P3 topic means every alarm is
wired the same way, to the topic of its severity.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

import pulumi
import pulumi_aws as aws

from stack_config import SEVERITIES, Platform, Subscription, derived_names

from . import tags
from .arns import AwsAccount
from .iam_documents import key_policy, services_may_publish, topic_may_send

PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
# AWS Backup vault notifications (components/backup.py) publish to one severity's topic.
BACKUP_PUBLISHER = "backup.amazonaws.com"
# 14 days, SQS's maximum: a P3 raised on Friday evening is still there after a long weekend.
ISSUE_QUEUE_RETENTION_SECONDS = 14 * 24 * 3600

# Each pager's CloudWatch integration endpoint around its integration key: PagerDuty's "Amazon
# CloudWatch" integration URL, Opsgenie's CloudWatch integration (US and EU instances). Both
# confirm SNS's subscription themselves and read SNS's envelope (Type, Subject "ALARM: ...",
# Message), so raw message delivery stays off.
PAGER_ENDPOINTS: Mapping[str, str] = {
    "pagerduty": "https://events.pagerduty.com/integration/{key}/enqueue",
    "opsgenie": "https://api.opsgenie.com/v1/json/cloudwatch?apiKey={key}",
    "opsgenie-eu": "https://api.eu.opsgenie.com/v1/json/cloudwatch?apiKey={key}",
}
# An integration key goes into the URL's path or query: letters, digits, - and _ only, so a
# secret holding JSON or a whole URL fails the deploy instead of building a wrong endpoint.
INTEGRATION_KEY = re.compile(r"[A-Za-z0-9_\-]{16,128}")
# SNS's HTTP/S delivery policy for a page (Amazon SNS Developer Guide, "Creating an HTTP/S
# delivery policy"): numRetries 0..100, minDelayTarget 1..maxDelayTarget, maxDelayTarget up to
# 3600 s, and the whole policy's retry time at most 3600 s (a hard limit). A page retries at
# once, then each second, then backs off to a minute and keeps trying each minute: at most
# 2 + 10 x 60 + 40 x 60 = 3002 s, so a pager outage of up to ~50 minutes loses no page. No
# throttle policy: pages are few, and a throttle would only delay them.
PAGING_DELIVERY_POLICY: Mapping[str, Any] = {
    "healthyRetryPolicy": {
        "numRetries": 55,
        "numNoDelayRetries": 3,
        "numMinDelayRetries": 2,
        "minDelayTarget": 1,
        "maxDelayTarget": 60,
        "numMaxDelayRetries": 40,
        "backoffFunction": "exponential",
    }
}


class PagerSecretError(ValueError):
    """The integration-key secret does not hold a key (the message never shows its value)."""


def pager_endpoint_url(subscription: Subscription, key: str) -> str:
    """The pager's events endpoint for ``key``; refuses a value that is not a bare key."""
    key = key.strip()
    if not INTEGRATION_KEY.fullmatch(key):
        raise PagerSecretError(
            f"secret {subscription.integration_key_secret} ({subscription.pager}, "
            f"{subscription.severity}) does not hold a bare integration key: expected 16-128 "
            "letters, digits, - or _ as the whole secret string (the value is not shown)"
        )
    return PAGER_ENDPOINTS[str(subscription.pager)].format(key=key)


def pager_endpoint(subscription: Subscription, platform: Platform) -> pulumi.Output[str]:
    """The pager's endpoint, built at deploy time from its secret, as a Pulumi secret.

    Read with GetSecretValue (AWSCURRENT) in the secret's own region; the key is never in the
    stack file, the program's output or the state in plain text.
    """
    version = aws.secretsmanager.get_secret_version_output(
        secret_id=subscription.integration_key_secret,
        version_stage="AWSCURRENT",
        region=subscription.secret_region(platform.region),
    )
    return pulumi.Output.secret(version.apply(lambda v: pager_endpoint_url(subscription, v.secret_string)))


def subscription_args(subscription: Subscription, platform: Platform) -> dict[str, Any]:
    """``aws.sns.TopicSubscription`` arguments for one stack-config subscription, in any region."""
    if subscription.protocol != "https":
        # Each email address confirms once per topic (a click in the mail).
        return {
            "protocol": subscription.protocol,
            "endpoint": subscription.endpoint,
            "endpoint_auto_confirms": False,
        }
    return {
        "protocol": "https",
        "endpoint": pager_endpoint(subscription, platform),
        # PagerDuty and Opsgenie answer SNS's SubscriptionConfirmation themselves.
        "endpoint_auto_confirms": True,
        # They parse SNS's envelope (Subject "ALARM: ...", Message); raw delivery would strip it.
        "raw_message_delivery": False,
        "delivery_policy": json.dumps(PAGING_DELIVERY_POLICY),
    }


@dataclass(frozen=True)
class SeverityNotificationsArgs:
    platform: Platform
    account: AwsAccount
    # The severity whose topic AWS Backup's vault notifications publish to (None: no topic).
    backup_severity: str | None = None


def backup_may_publish(topic_policy: str, topic_arn: str, account_id: str) -> str:
    """``topic_policy`` plus AWS Backup publishing vault events, on behalf of this account only.

    Scoped by aws:SourceAccount, not aws:SourceArn: AWS Backup's documented topic policy names no
    source ARN, and a condition on a key the service does not send would drop every notification.
    """
    policy = json.loads(topic_policy)
    policy["Statement"].append(
        {
            "Sid": "BackupPublishes",
            "Effect": "Allow",
            "Principal": {"Service": BACKUP_PUBLISHER},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )
    return json.dumps(policy, indent=2)


class SeverityNotifications(pulumi.ComponentResource):
    """Topics per severity, their key and policies, subscriptions, and the P3 issue queue."""

    topic_arns: dict[str, pulumi.Output[str]]
    key_arn: pulumi.Output[str]
    issue_queue_url: pulumi.Output[str]
    issue_queue_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: SeverityNotificationsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:SeverityNotifications", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        key = self._create_key()
        topics = {severity: self._create_topic(severity, key) for severity in SEVERITIES}
        self._create_subscriptions(topics)
        queue = self._create_issue_queue(topics["P3"])
        self.topic_arns = {severity: topic.arn for severity, topic in topics.items()}
        self.key_arn = key.arn
        self.issue_queue_url = queue.url
        self.issue_queue_arn = queue.arn
        self.register_outputs(
            {"topicArns": self.topic_arns, "keyArn": self.key_arn, "issueQueueUrl": self.issue_queue_url}
        )

    def _tags(self, **extra: str) -> dict[str, str]:
        return {**tags.base_tags(self._args.platform, "notifications"), **extra}

    def _create_key(self) -> aws.kms.Key:
        # The AWS-managed alias/aws/sns key cannot be used: CloudWatch and EventBridge may not
        # use it, so alarms would silently fail to publish. A customer key names them.
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"Encrypts the {self._args.platform.environment} incident topics",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(self._args.account.root, self._publishers()),
            tags=self._tags(),
            opts=self._child,
        )
        aws.kms.Alias(
            f"{self._name}-key-alias",
            name=derived_names.notifications_key_alias(self._args.platform),
            target_key_id=key.key_id,
            opts=self._child,
        )
        return key

    def _publishers(self) -> tuple[str, ...]:
        """The services that publish to an encrypted topic, so may use its key."""
        return PUBLISHERS + ((BACKUP_PUBLISHER,) if self._args.backup_severity else ())

    def _create_topic(self, severity: str, key: aws.kms.Key) -> aws.sns.Topic:
        platform, account = self._args.platform, self._args.account
        topic_name = platform.notifications.topic_name(severity)
        topic = aws.sns.Topic(
            f"{self._name}-{severity.lower()}",
            name=topic_name,
            display_name=derived_names.topic_display_name(platform, severity),
            kms_master_key_id=key.arn,
            tags=self._tags(**{tags.SEVERITY: severity}),
            opts=self._child,
        )
        policy = services_may_publish(
            account.sns_topic(topic_name),
            {
                "cloudwatch.amazonaws.com": account.arn("cloudwatch", "alarm:*"),
                "events.amazonaws.com": account.arn("events", "rule/*"),
            },
        )
        if severity == self._args.backup_severity:
            policy = backup_may_publish(policy, account.sns_topic(topic_name), account.account_id)
        aws.sns.TopicPolicy(
            f"{self._name}-{severity.lower()}-policy",
            arn=topic.arn,
            policy=policy,
            opts=self._child,
        )
        return topic

    def _create_subscriptions(self, topics: dict[str, aws.sns.Topic]) -> None:
        for index, subscription in enumerate(self._args.platform.notifications.subscriptions):
            aws.sns.TopicSubscription(
                f"{self._name}-{subscription.severity.lower()}-{subscription.protocol}-{index}",
                topic=topics[subscription.severity].arn,
                **subscription_args(subscription, self._args.platform),
                opts=self._child,
            )

    def _create_issue_queue(self, p3_topic: aws.sns.Topic) -> aws.sqs.Queue:
        platform, account = self._args.platform, self._args.account
        queue_name = platform.notifications.p3_queue_name
        queue = aws.sqs.Queue(
            f"{self._name}-p3-issues",
            name=queue_name,
            message_retention_seconds=ISSUE_QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=self._tags(**{tags.SEVERITY: "P3"}),
            opts=self._child,
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-p3-issues-policy",
            queue_url=queue.url,
            policy=topic_may_send(
                account.sqs_queue(queue_name), account.sns_topic(platform.notifications.topic_name("P3"))
            ),
            opts=self._child,
        )
        aws.sns.TopicSubscription(
            f"{self._name}-p3-issues-subscription",
            topic=p3_topic.arn,
            protocol="sqs",
            endpoint=queue.arn,
            # The issue tracker reads CloudWatch's alarm JSON, not SNS's envelope around it.
            raw_message_delivery=True,
            opts=self._child,
        )
        return queue
