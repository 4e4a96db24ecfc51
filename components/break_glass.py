"""Break-glass admin and read-only investigator roles, and a P0 page whenever the admin is used.

Only principals named in the stack config may assume either role, only with MFA, for at most
an hour. Every AssumeRole of the admin role reaches the P0 topic through EventBridge. STS calls
to the global endpoint (the console's "switch role" among them) are recorded in us-east-1, so a
rule there forwards them to the platform region's default bus, where the paging rule sees them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from stack_config import BreakGlass, Platform

from . import tags
from .arns import AwsAccount
from .iam_documents import allow, deny, document, mfa_trust, service_trust

GLOBAL_EVENTS_REGION = "us-east-1"
ADMIN_POLICY = "AdministratorAccess"
INVESTIGATOR_POLICY = "ReadOnlyAccess"
ALERT_TEMPLATE = (
    '"P0 BREAK-GLASS: <who> assumed <role> at <at> from <ip> (<region>). '
    'If this is not a declared incident, treat it as P0-C."'
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


def guard_policy(
    account: AwsAccount, role_names: Sequence[str], rule_names: Sequence[str], regions: Sequence[str]
) -> str:
    """Denies a break-glass session the means to silence its own page or widen its own access."""
    roles = [account.iam(f"role/{name}") for name in role_names]
    rules = [
        account.arn("events", f"rule/{rule}", region=region) for rule in rule_names for region in regions
    ]
    return document(
        [
            deny(
                [
                    "iam:AttachRolePolicy",
                    "iam:DeleteRole",
                    "iam:DeleteRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:UpdateRole",
                ],
                roles,
                sid="KeepBreakGlassRolesAsDeployed",
            ),
            deny(
                [
                    "events:DeleteRule",
                    "events:DisableRule",
                    "events:PutRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                ],
                rules,
                sid="KeepBreakGlassPageOn",
            ),
        ]
    )


@dataclass(frozen=True)
class BreakGlassAccessArgs:
    platform: Platform
    account: AwsAccount
    page_topic_arn: pulumi.Input[str]  # the P0 topic


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
        cluster = args.platform.cluster
        self.alert_rule_name = f"{cluster}-break-glass-assumed"
        admin_name, investigator_name = f"{cluster}-break-glass-admin", f"{cluster}-investigator"
        admin = self._create_role("admin", admin_name, self._config.admin_principals, ADMIN_POLICY)
        investigator = self._create_role(
            "investigator", investigator_name, self._config.investigators, INVESTIGATOR_POLICY
        )
        self._guard(admin, [admin_name, investigator_name])
        # Built from the name, so the pattern is known (and checkable) already at preview.
        self._create_page(args.account.iam(f"role/{admin_name}"))
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

    def _regions(self) -> list[str]:
        return list(dict.fromkeys([self._args.platform.region, GLOBAL_EVENTS_REGION]))

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
        aws.iam.RolePolicy(
            f"{self._name}-admin-guard",
            role=admin.name,
            name="keep-break-glass-visible",
            policy=guard_policy(
                self._args.account,
                role_names,
                [self.alert_rule_name, f"{self.alert_rule_name}-forward"],
                self._regions(),
            ),
            opts=self._child,
        )

    def _create_page(self, admin_role_arn: str) -> None:
        pattern = assume_role_pattern(admin_role_arn)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-assumed",
            name=self.alert_rule_name,
            description="Pages P0 whenever the break-glass admin role is assumed",
            event_pattern=pattern,
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
                input_template=ALERT_TEMPLATE,
            ),
            opts=self._child,
        )
        if self._args.platform.region != GLOBAL_EVENTS_REGION:
            self._forward_global_events(pattern)

    def _forward_global_events(self, pattern: str) -> None:
        account, platform = self._args.account, self._args.platform
        bus = account.event_bus(region=platform.region)
        role = aws.iam.Role(
            f"{self._name}-forwarder",
            name=f"{platform.cluster}-break-glass-forwarder",
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
            name=f"{self.alert_rule_name}-forward",
            description=f"Forwards global-endpoint break-glass AssumeRole events to {platform.region}",
            event_pattern=pattern,
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
