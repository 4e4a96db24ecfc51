"""The game-day announcement: an EventBridge Scheduler schedule that publishes to the P3 topic.

Drills run from CI (``.github/workflows/gameday.yml``) or a person's laptop, not in the
account, so the schedule does not run them: it announces them. P3 pages nobody (guide: "log
as GitHub issue, no page"); its issue-tracker queue files the announcement, so each game day
gets an issue naming the scenario, where its findings and action items go. Nothing is created
unless the stack's ``gameDay.enabled`` is true (off in production by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stack_config import Platform, derived_names

from . import tags
from .arns import AwsAccount
from .iam_documents import allow, document, service_trust
from .runbook_iam import notifications_key_alias

ANNOUNCE_SEVERITY = "P3"
# A late announcement is still useful within the hour; after that the game day is under way.
MAX_EVENT_AGE_SECONDS = 3600
MAX_RETRY_ATTEMPTS = 3


def schedule_name(platform: Platform) -> str:
    return derived_names.game_day_schedule(platform)


def announcement(platform: Platform, stack: str) -> str:
    """The message text; ``<aws.scheduler.scheduled-time>`` is filled in by the Scheduler."""
    scenario = platform.game_day.scenario
    return "\n".join(
        [
            f"GAME DAY ({platform.environment}): drill scenario '{scenario}' starts now "
            "(scheduled <aws.scheduler.scheduled-time>).",
            "Drill status posts and alerts in the next hour are expected; a real incident still "
            "follows the incident response guide.",
            f"Run it: python -m drills run {scenario} --stack {stack}",
            "Record the findings and action items on this issue.",
        ]
    )


def announcer_policy(platform: Platform, account: AwsAccount) -> str:
    """Publish to the P3 topic only, and use the topics' KMS key (the topic is encrypted)."""
    return document(
        [
            allow(
                ["sns:Publish"],
                [account.sns_topic(platform.notifications.topic_name(ANNOUNCE_SEVERITY))],
                sid="AnnounceOnP3",
            ),
            allow(
                ["kms:GenerateDataKey", "kms:Decrypt"],
                [account.kms_keys()],
                sid="EncryptForTheTopic",
                condition={
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": notifications_key_alias(platform)}
                },
            ),
        ]
    )


@dataclass(frozen=True)
class GameDayScheduleArgs:
    platform: Platform
    account: AwsAccount
    stack: str
    topic_arns: dict[str, pulumi.Output[str]]


class GameDaySchedule(pulumi.ComponentResource):
    schedule_name: str | None  # None when the stack has no game day

    def __init__(
        self, name: str, args: GameDayScheduleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:GameDaySchedule", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.schedule_name = None
        if args.platform.game_day.enabled:
            self._create_schedule(self._create_role())
            self.schedule_name = schedule_name(args.platform)
        self.register_outputs({"scheduleName": self.schedule_name})

    def _create_role(self) -> aws.iam.Role:
        platform = self._args.platform
        role = aws.iam.Role(
            f"{self._name}-role",
            name=derived_names.game_day_role(platform),
            description="Lets EventBridge Scheduler announce game days on the P3 topic",
            assume_role_policy=service_trust("scheduler.amazonaws.com"),
            tags=tags.base_tags(platform, "game-day"),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-role-policy",
            role=role.name,
            name="announce-game-day",
            policy=announcer_policy(platform, self._args.account),
            opts=self._child,
        )
        return role

    def _create_schedule(self, role: aws.iam.Role) -> aws.scheduler.Schedule:
        platform, game_day = self._args.platform, self._args.platform.game_day
        return aws.scheduler.Schedule(
            f"{self._name}-schedule",
            name=schedule_name(platform),
            description=f"Announces the {platform.environment} game day (scenario {game_day.scenario})",
            schedule_expression=game_day.schedule,
            schedule_expression_timezone="UTC",
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            state="ENABLED",
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self._args.topic_arns[ANNOUNCE_SEVERITY],
                role_arn=role.arn,
                input=announcement(platform, self._args.stack),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                    maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
                ),
            ),
            opts=self._child,
        )
