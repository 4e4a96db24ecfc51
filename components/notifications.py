"""One KMS-encrypted SNS topic per severity; P3's only subscriber is the issue-tracker queue.

P0-P2 page the people subscribed in the stack config. P3 pages nobody (the guide: "log as
GitHub issue, no page"): its topic feeds an SQS queue the issue-tracker integration drains.
Keeping a P3 topic means every alarm is wired the same way, to the topic of its severity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stack_config import SEVERITIES, Platform

from . import tags
from .arns import AwsAccount
from .iam_documents import key_policy, services_may_publish, topic_may_send
from .runbook_iam import notifications_key_alias

PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
# AWS Backup vault notifications (components/backup.py) publish to one severity's topic.
BACKUP_PUBLISHER = "backup.amazonaws.com"
# 14 days, SQS's maximum: a P3 raised on Friday evening is still there after a long weekend.
ISSUE_QUEUE_RETENTION_SECONDS = 14 * 24 * 3600


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
            name=notifications_key_alias(self._args.platform),
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
            display_name=f"Zelly {platform.environment} {severity}",
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
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
                # Paging webhooks (PagerDuty, Opsgenie) confirm themselves; email needs a click.
                endpoint_auto_confirms=subscription.protocol == "https",
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
