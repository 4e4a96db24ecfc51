"""Break-glass admin and read-only investigator roles, and a P0 page whenever the admin is used.

Only principals named in the stack config may assume either role, only with MFA, for at most
``maxSessionSeconds`` (IAM's MaxSessionDuration, one hour by default).

**The page** is the alarm catalog's ``break-glass-admin-assumed`` entry, which the alarms
component creates: a metric filter on the account's multi-Region trail log group
(``cloudtrailLogGroup``) counting AssumeRole calls of the admin role through any Region's STS
endpoint, and a P0 alarm on it (P0 on every stack). Its notification is CloudWatch's own alarm
message, the one the pagers' CloudWatch integrations read. Assuming the investigator role
(ReadOnlyAccess, the on-call's triage role) pages nobody; CloudTrail records it.

**The detail** (who, from which address, through which Region) comes from two EventBridge rules
that send a plain-text message to the same P0 topic: email subscribers read it; the pagers'
integrations are expected to ignore a message that is not alarm JSON. They see only AssumeRole
recorded in the platform's region and, forwarded from us-east-1, through the global endpoint
(the console's "switch role"); a call through another Region's STS endpoint pages through the
alarm without this detail. AssumeRole is a read-only management event, which EventBridge
delivers only to rules in the state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.

The admin session may not silence its own page: an inline deny keeps the roles, the page's
metric filter (its log group) and alarm, both rules and their targets, the forwarder's role, the
P0 topic (policy, subscriptions) and its KMS key, and the account's CloudTrail trails as
deployed. The investigator may not read the pager endpoints (each holds an integration key)
from the severity topics' subscriptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

import alarm_catalog
from alarm_catalog import SEVERITIES, LogMetricFilter, MetricAlarm
from stack_config import BreakGlass, Platform, derived_names

from . import tags
from .arns import AwsAccount
from .iam_documents import allow, deny, document, mfa_trust, service_trust, statement

GLOBAL_EVENTS_REGION = "us-east-1"
# EventBridge matches read-only CloudTrail management events (sts:AssumeRole is one) only against
# rules in this state; in the default ENABLED state the detail would never be sent.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html
CLOUDTRAIL_RULE_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
PAGE_SEVERITY = "P0"
ADMIN_POLICY = "AdministratorAccess"
INVESTIGATOR_POLICY = "ReadOnlyAccess"
# The catalog entry whose filter and alarm page P0 on every AssumeRole of the admin role.
PAGE_TEMPLATE = "break-glass-admin-assumed"


def detail_template(alarm_name: str) -> str:
    """The EventBridge input template (a JSON string): who, what, when, from where."""
    return json.dumps(
        "BREAK-GLASS DETAIL: <who> assumed <role> at <at> from <ip> through STS in <region>. "
        f"The P0 page is the CloudWatch alarm {alarm_name}. "
        "If this is not a declared incident, treat it as P0-C."
    )


def principal_arns(principals: Sequence[str], account: AwsAccount) -> list[str]:
    """``role/<name>`` and ``user/<name>`` mean this account; full ARNs are kept."""
    return [p if p.startswith("arn:") else account.iam(p) for p in principals]


def assume_role_pattern(role_arn: str) -> str:
    """EventBridge pattern: CloudTrail's record of an AssumeRole of ``role_arn``."""
    return json.dumps(
        {
            "source": ["aws.sts"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "eventSource": ["sts.amazonaws.com"],
                "eventName": ["AssumeRole"],
                "requestParameters": {"roleArn": [role_arn]},
            },
        }
    )


# What a session could do to silence the page, per resource (IAM Service Authorization Reference).
ROLE_CHANGES = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)
RULE_CHANGES = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
)
# SetTopicAttributes replaces the topic policy (and the key); RemovePermission drops statements.
TOPIC_CHANGES = (
    "sns:DeleteTopic",
    "sns:PutDataProtectionPolicy",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
)
# Both support no resource type and no service condition key: authorised against "*" only, so
# they are denied in the topic's region (aws:RequestedRegion), the narrowest scope IAM offers.
SUBSCRIPTION_CHANGES = ("sns:SetSubscriptionAttributes", "sns:Unsubscribe")
KEY_CHANGES = ("kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
# The page's alarm: deleted, its actions disabled, or overwritten (PutMetricAlarm).
ALARM_CHANGES = ("cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricAlarm")
# The trail's log group the page's metric filter reads: the filter deleted or overwritten, the
# group deleted, or its events rewritten before the filter sees them (a transformer, a data
# protection policy masking the role ARN).
LOG_GROUP_CHANGES = (
    "logs:DeleteLogGroup",
    "logs:DeleteMetricFilter",
    "logs:PutDataProtectionPolicy",
    "logs:PutMetricFilter",
    "logs:PutTransformer",
)
TRAIL_CHANGES = (
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
)


def page_alarm(platform: Platform) -> tuple[LogMetricFilter, MetricAlarm]:
    """The catalog's break-glass page: the metric filter and the P0 alarm on its metric."""
    catalog = alarm_catalog.expand(platform)
    found = [f for f in catalog.log_metric_filters if f.template == PAGE_TEMPLATE]
    if len(found) != 1:
        raise ValueError(f"the alarm catalog has no single {PAGE_TEMPLATE} entry: nothing would page P0")
    alarm = catalog.by_name(found[0].alarm_name)
    assert isinstance(alarm, MetricAlarm)  # a filter's alarm is a metric alarm
    return found[0], alarm


@dataclass(frozen=True)
class PageParts:
    """Everything the break-glass page depends on, by exact ARN."""

    role_arns: tuple[str, ...]  # the break-glass roles and the forwarder's
    rule_arns: tuple[str, ...]  # the detail rule and the us-east-1 forwarder, each in its region
    alarm_arn: str  # the page's P0 alarm
    log_group_arn: str  # the trail's log group, which holds the page's metric filter
    topic_arn: str  # the P0 topic
    key_arn: str  # the P0 topic's KMS key
    trails: str  # every CloudTrail trail of the account, any home region (an ARN pattern)
    topic_region: str


def page_parts(
    account: AwsAccount,
    role_names: Sequence[str],
    rules: Sequence[tuple[str, str]],
    page: tuple[LogMetricFilter, MetricAlarm],
    topic_arn: str,
    key_arn: str,
) -> PageParts:
    """``rules`` are (name, region) pairs; ``page`` is the catalog's filter and alarm."""
    log_filter, alarm = page
    return PageParts(
        role_arns=tuple(account.iam(f"role/{name}") for name in role_names),
        rule_arns=tuple(account.arn("events", f"rule/{name}", region=region) for name, region in rules),
        alarm_arn=account.arn("cloudwatch", f"alarm:{alarm.name}", region=alarm.region),
        # CloudWatch Logs authorises these calls against the group's ":*" ARN (CloudWatch Logs
        # User Guide, "CloudWatch Logs resources and operations"); the bare ARN never matches.
        log_group_arn=account.log_group(log_filter.log_group)[1],
        topic_arn=topic_arn,
        key_arn=key_arn,
        trails=account.arn("cloudtrail", "trail/*", region="*"),
        topic_region=topic_arn.split(":")[3],
    )


def guard_policy(parts: PageParts) -> str:
    """Denies a break-glass session the means to silence its own page or widen its own access."""
    statements: list[dict[str, Any]] = [
        deny(ROLE_CHANGES, parts.role_arns, sid="KeepBreakGlassRolesAsDeployed"),
        deny(ALARM_CHANGES, [parts.alarm_arn], sid="KeepBreakGlassAlarm"),
        deny(LOG_GROUP_CHANGES, [parts.log_group_arn], sid="KeepBreakGlassMetricFilter"),
        deny(RULE_CHANGES, parts.rule_arns, sid="KeepBreakGlassPageOn"),
        deny(TOPIC_CHANGES, [parts.topic_arn], sid="KeepPageTopicAndPolicy"),
        statement(
            "Deny",
            SUBSCRIPTION_CHANGES,
            ["*"],
            sid="KeepPageSubscriptions",
            condition={"StringEquals": {"aws:RequestedRegion": parts.topic_region}},
        ),
        deny(KEY_CHANGES, [parts.key_arn], sid="KeepPageTopicKeyUsable"),
        deny(TRAIL_CHANGES, [parts.trails], sid="KeepCloudTrailRecording"),
    ]
    return document(statements)


# Each returns a pager subscription's endpoint, whose URL holds the pager's integration key
# (ListSubscriptions and ListSubscriptionsByTopic list it, GetSubscriptionAttributes shows it).
SUBSCRIPTION_READS = ("sns:GetSubscriptionAttributes", "sns:ListSubscriptions")
TOPIC_SUBSCRIPTION_READS = ("sns:ListSubscriptionsByTopic",)


def pager_endpoints_policy(topic_arns: Sequence[str]) -> str:
    """Denies the read-only investigator the pager endpoints that ReadOnlyAccess would show.

    ListSubscriptionsByTopic is authorised against the topic, so it is denied on the severity
    topics (every region: the us-east-1 health-check topics subscribe the same pagers). The two
    others support no resource type and no SNS condition key: denied on "*", everywhere; the
    guide's investigations never need a subscription's endpoint.
    """
    return document(
        [
            deny(TOPIC_SUBSCRIPTION_READS, topic_arns, sid="NoPagerEndpointsByTopic"),
            deny(SUBSCRIPTION_READS, ["*"], sid="NoPagerEndpoints"),
        ]
    )


@dataclass(frozen=True)
class BreakGlassAccessArgs:
    platform: Platform
    account: AwsAccount
    page_topic_arn: pulumi.Input[str]  # the P0 topic
    page_key_arn: pulumi.Input[str]  # the KMS key that encrypts it


class BreakGlassAccess(pulumi.ComponentResource):
    admin_role_arn: pulumi.Output[str]
    investigator_role_arn: pulumi.Output[str]
    alert_rule_name: str

    def __init__(
        self, name: str, args: BreakGlassAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:BreakGlassAccess", name, None, opts)
        if args.platform.break_glass is None:
            raise ValueError(
                "platform.breakGlass is not set: name who may break glass in the "
                "stack config (adminPrincipals)"
            )
        self._name = name
        self._args = args
        self._config: BreakGlass = args.platform.break_glass
        self._child = pulumi.ResourceOptions(parent=self)
        platform = args.platform
        self._page = page_alarm(platform)
        self._names = derived_names.break_glass_names(platform)
        self.alert_rule_name = self._names.alert_rule
        admin_name, investigator_name = self._names.admin_role, self._names.investigator_role
        admin = self._create_role("admin", admin_name, self._config.admin_principals, ADMIN_POLICY)
        investigator = self._create_role(
            "investigator", investigator_name, self._config.investigators, INVESTIGATOR_POLICY
        )
        self._guard(admin, [admin_name, investigator_name, *self._forwarder_role_names()])
        self._hide_pager_endpoints(investigator)
        # Built from the name, so the pattern is known (and checkable) already at preview.
        self._create_detail(args.account.iam(f"role/{admin_name}"))
        self.admin_role_arn = admin.arn
        self.investigator_role_arn = investigator.arn
        self.register_outputs(
            {
                "adminRoleArn": self.admin_role_arn,
                "investigatorRoleArn": self.investigator_role_arn,
                "alertRuleName": self.alert_rule_name,
            }
        )

    def _tags(self) -> dict[str, str]:
        return tags.base_tags(self._args.platform, "break-glass")

    @property
    def _forwards(self) -> bool:
        """Global-endpoint events arrive in us-east-1; elsewhere a rule there forwards them."""
        return self._args.platform.region != GLOBAL_EVENTS_REGION

    def _forwarder_role_names(self) -> list[str]:
        return [self._names.forwarder_role] if self._forwards else []

    def _rules(self) -> list[tuple[str, str]]:
        """(name, region) of the paging rule and, when it forwards, the us-east-1 rule."""
        rules = [(self.alert_rule_name, self._args.platform.region)]
        if self._forwards:
            rules.append((self._forward_rule_name, GLOBAL_EVENTS_REGION))
        return rules

    @property
    def _forward_rule_name(self) -> str:
        return self._names.forward_rule

    def _create_role(
        self, key: str, role_name: str, principals: Sequence[str], managed_policy: str
    ) -> aws.iam.Role:
        account, seconds = self._args.account, self._config.max_session_seconds
        role = aws.iam.Role(
            f"{self._name}-{key}",
            name=role_name,
            description=f"Break glass ({key}) for {self._args.platform.environment}: MFA, "
            f"at most {seconds // 60} minutes",
            assume_role_policy=mfa_trust(principal_arns(principals, account), seconds),
            max_session_duration=seconds,
            tags=self._tags(),
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-{key}-{managed_policy}",
            role=role.name,
            policy_arn=account.managed_policy(managed_policy),
            opts=self._child,
        )
        return role

    def _guard(self, admin: aws.iam.Role, role_names: list[str]) -> None:
        account, platform = self._args.account, self._args.platform
        # Built from the topic's name, so the P0 topic's ARN is known already at preview.
        topic_arn = account.sns_topic(platform.notifications.topic_name(PAGE_SEVERITY))
        aws.iam.RolePolicy(
            f"{self._name}-admin-guard",
            role=admin.name,
            name="keep-break-glass-visible",
            policy=pulumi.Output.from_input(self._args.page_key_arn).apply(
                lambda key_arn: guard_policy(
                    page_parts(account, role_names, self._rules(), self._page, topic_arn, key_arn)
                )
            ),
            opts=self._child,
        )

    def _hide_pager_endpoints(self, investigator: aws.iam.Role) -> None:
        account, notifications = self._args.account, self._args.platform.notifications
        topics = [
            account.arn("sns", notifications.topic_name(severity), region="*") for severity in SEVERITIES
        ]
        aws.iam.RolePolicy(
            f"{self._name}-investigator-no-pager-endpoints",
            role=investigator.name,
            name="no-pager-endpoints",
            policy=pager_endpoints_policy(topics),
            opts=self._child,
        )

    def _create_detail(self, admin_role_arn: str) -> None:
        """Who assumed the admin role, from where: an email-readable message on the P0 topic."""
        pattern = assume_role_pattern(admin_role_arn)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-assumed",
            name=self.alert_rule_name,
            description="Tells the P0 topic who assumed the break-glass admin role (the alarm pages)",
            event_pattern=pattern,
            state=CLOUDTRAIL_RULE_STATE,
            tags=self._tags(),
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-assumed-page",
            rule=rule.name,
            arn=self._args.page_topic_arn,
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths={
                    "who": "$.detail.userIdentity.arn",
                    "role": "$.detail.requestParameters.roleArn",
                    "at": "$.detail.eventTime",
                    "ip": "$.detail.sourceIPAddress",
                    "region": "$.region",
                },
                input_template=detail_template(self._page[1].name),
            ),
            opts=self._child,
        )
        if self._forwards:
            self._forward_global_events(pattern)

    def _forward_global_events(self, pattern: str) -> None:
        account, platform = self._args.account, self._args.platform
        bus = account.event_bus(region=platform.region)
        [role_name] = self._forwarder_role_names()
        role = aws.iam.Role(
            f"{self._name}-forwarder",
            name=role_name,
            assume_role_policy=service_trust("events.amazonaws.com"),
            tags=self._tags(),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-forwarder-policy",
            role=role.name,
            name="forward-to-platform-region",
            policy=document([allow(["events:PutEvents"], [bus], sid="ForwardToPlatformBus")]),
            opts=self._child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-assumed-global",
            name=self._forward_rule_name,
            description=f"Forwards global-endpoint break-glass AssumeRole events to {platform.region}",
            event_pattern=pattern,
            # The forwarder receives the same read-only AssumeRole events as the paging rule.
            state=CLOUDTRAIL_RULE_STATE,
            region=GLOBAL_EVENTS_REGION,
            tags=self._tags(),
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-assumed-global-forward",
            rule=rule.name,
            arn=bus,
            role_arn=role.arn,
            region=GLOBAL_EVENTS_REGION,
            opts=self._child,
        )
