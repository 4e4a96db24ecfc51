"""AWS Backup of the Aurora cluster (managed elsewhere) and AWS Config rules that watch it.

The guide assumes "restoration point can be any second in the last 7 days" (P0-B). The plan
keeps continuous backups (point-in-time restore) for ``aurora.backupRetentionDays`` and daily
snapshots copied to a second region, in KMS-encrypted vaults that a vault lock can make
undeletable. The two rules run at different times of day: AWS Backup runs one job per
resource at a time. Two Config rules flag the live cluster if its own backup retention drops
below the same number of days or its deletion protection is turned off.

A failed backup or copy job, or an interrupted point-in-time log, notifies the topic of
``failure_severity`` (P2 in production): vault notifications for the failure-only events AWS
Backup's SNS notifications offer, and an EventBridge rule for failed backup jobs, which SNS
reports only inside BACKUP_JOB_COMPLETED (its BACKUP_JOB_FAILED event is deprecated and sends
nothing: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultNotifications.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from alarm_catalog import effective_severity
from stack_config import BackupSettings, Platform, derived_names
from stack_config.backup_windows import COMPLETION_WINDOW_MINUTES, START_WINDOW_MINUTES

from . import tags
from .arns import AwsAccount
from .iam_documents import key_policy, service_trust

BACKUP_ROLE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)
RETENTION_RULE = "RDS_CLUSTER_BACKUP_RETENTION_CHECK"
DELETION_PROTECTION_RULE = "RDS_CLUSTER_DELETION_PROTECTION_ENABLED"
# Backup jobs start within an hour of the schedule and must finish within six (START_WINDOW_MINUTES,
# COMPLETION_WINDOW_MINUTES, shared with the config check that keeps the two rules apart).
# A failed backup threatens P0-B's restore without hurting users yet: fix it the same business day.
FAILURE_SEVERITY = "P2"
# The SNS vault events that report only failures (AWS Backup notification API, supported events).
VAULT_FAILURE_EVENTS = ("COPY_JOB_FAILED", "CONTINUOUS_BACKUP_INTERRUPTED")
# EventBridge "Backup Job State Change" states that mean no recovery point was made.
FAILED_JOB_STATES = ("ABORTED", "EXPIRED", "FAILED")


def failure_severity(platform: Platform) -> str:
    """The topic backup failures notify: P2 in production; P3 elsewhere, as the guide classes it."""
    return effective_severity(platform, FAILURE_SEVERITY)


def failed_backup_job_pattern() -> str:
    """EventBridge pattern: a backup job of this account and region ended without a recovery point.

    Only the fields AWS documents for every "Backup Job State Change" event are matched: the
    plan backs up one cluster, and a failed job of any other plan here deserves a look too.
    """
    return json.dumps(
        {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change"],
            "detail": {"state": list(FAILED_JOB_STATES)},
        }
    )


@dataclass(frozen=True)
class BackupGuardrailsArgs:
    platform: Platform
    account: AwsAccount
    # AWS Config names a DB cluster by its resource id ("cluster-ABC..."), not its identifier.
    cluster_resource_id: pulumi.Input[str]
    # Severity -> topic ARN; failures go to failure_severity(platform)'s topic, whose policy and
    # key must let backup.amazonaws.com publish (SeverityNotificationsArgs.backup_severity).
    topic_arns: Mapping[str, pulumi.Input[str]]


class BackupGuardrails(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    copy_vault_arn: pulumi.Output[str] | None
    plan_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    config_rule_names: list[str]

    def __init__(
        self, name: str, args: BackupGuardrailsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("incident-guardrails:components:BackupGuardrails", name, None, opts)
        self._name = name
        self._args = args
        self._settings: BackupSettings = args.platform.backup
        self._child = pulumi.ResourceOptions(parent=self)
        cluster_id = args.platform.aurora.cluster_id
        # Every name comes from the stack config's one derivation, which checked it against AWS's limits.
        self._names = derived_names.backup_names(args.platform)
        vault = self._create_vault("vault", self._names.vault, None)
        copy_vault = (
            self._create_vault("copy-vault", self._names.copy_vault, self._settings.copy_region)
            if self._settings.copy_region
            else None
        )
        self._lock(vault, copy_vault)
        self._notify_failures(vault)
        plan = self._create_plan(vault, copy_vault)
        role = self._create_role()
        aws.backup.Selection(
            f"{name}-aurora",
            name=self._names.selection,
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[args.account.rds(f"cluster:{cluster_id}")],
            opts=self._child,
        )
        self.config_rule_names = self._create_config_rules()
        self.vault_name = vault.name
        self.copy_vault_arn = copy_vault.arn if copy_vault else None
        self.plan_id = plan.id
        self.role_arn = role.arn
        self.register_outputs(
            {
                "vaultName": self.vault_name,
                "copyVaultArn": self.copy_vault_arn,
                "planId": self.plan_id,
                "configRuleNames": self.config_rule_names,
            }
        )

    def _tags(self) -> dict[str, str]:
        return tags.base_tags(self._args.platform, "backup")

    @property
    def _pitr_days(self) -> int:
        return self._args.platform.aurora.backup_retention_days

    def _create_vault(self, key: str, vault_name: str, region: str | None) -> aws.backup.Vault:
        kms_key = aws.kms.Key(
            f"{self._name}-{key}-key",
            description=f"Encrypts backup vault {vault_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(self._args.account.root),
            region=region,
            tags=self._tags(),
            opts=self._child,
        )
        return aws.backup.Vault(
            f"{self._name}-{key}",
            name=vault_name,
            kms_key_arn=kms_key.arn,
            # Never let a destroy take recovery points with it.
            force_destroy=False,
            region=region,
            tags=self._tags(),
            opts=self._child,
        )

    def _lock(self, vault: aws.backup.Vault, copy_vault: aws.backup.Vault | None) -> None:
        """Governance: privileged IAM can still unlock. Compliance: nobody can, after the grace days."""
        mode = self._settings.vault_lock
        if mode == "off":
            return
        grace = self._settings.vault_lock_grace_days if mode == "compliance" else None
        primary = (
            min(self._pitr_days, self._settings.snapshot_retention_days),
            max(self._pitr_days, self._settings.snapshot_retention_days),
        )
        locks = [("vault", vault, None, primary)]
        if copy_vault is not None:
            days = self._settings.copy_retention_days
            locks.append(("copy-vault", copy_vault, self._settings.copy_region, (days, days)))
        for key, target, region, (least, most) in locks:
            aws.backup.VaultLockConfiguration(
                f"{self._name}-{key}-lock",
                backup_vault_name=target.name,
                min_retention_days=least,
                max_retention_days=most,
                changeable_for_days=grace,
                region=region,
                opts=self._child,
            )

    def _notify_failures(self, vault: aws.backup.Vault) -> None:
        """Failures reach the failure severity's topic, in the platform region.

        The copies to the second region are started from this vault, so its COPY_JOB_FAILED is
        the one that reports them (to confirm on a real account: docs/deployment.md).
        """
        topic = self._args.topic_arns[failure_severity(self._args.platform)]
        aws.backup.VaultNotifications(
            f"{self._name}-vault-notifications",
            backup_vault_name=vault.name,
            sns_topic_arn=topic,
            backup_vault_events=list(VAULT_FAILURE_EVENTS),
            opts=self._child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-job-failed",
            name=self._names.job_failed_rule,
            description="Notifies when an AWS Backup job in this region fails, aborts or expires",
            event_pattern=failed_backup_job_pattern(),
            tags=self._tags(),
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-job-failed-notify",
            rule=rule.name,
            arn=topic,
            opts=self._child,
        )

    def _create_plan(self, vault: aws.backup.Vault, copy_vault: aws.backup.Vault | None) -> aws.backup.Plan:
        settings = self._settings
        copies = (
            [
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=copy_vault.arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=settings.copy_retention_days
                    ),
                )
            ]
            if copy_vault
            else None
        )
        return aws.backup.Plan(
            f"{self._name}-plan",
            name=self._names.plan,
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="point-in-time-restore",
                    target_vault_name=vault.name,
                    schedule=settings.continuous_schedule,
                    enable_continuous_backup=True,
                    start_window=START_WINDOW_MINUTES,
                    completion_window=COMPLETION_WINDOW_MINUTES,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=self._pitr_days),
                ),
                aws.backup.PlanRuleArgs(
                    rule_name="daily-snapshot",
                    target_vault_name=vault.name,
                    schedule=settings.snapshot_schedule,
                    start_window=START_WINDOW_MINUTES,
                    completion_window=COMPLETION_WINDOW_MINUTES,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=settings.snapshot_retention_days),
                    copy_actions=copies,
                ),
            ],
            tags=self._tags(),
            opts=self._child,
        )

    def _create_role(self) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-role",
            name=self._names.role,
            assume_role_policy=service_trust("backup.amazonaws.com"),
            tags=self._tags(),
            opts=self._child,
        )
        for policy in BACKUP_ROLE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-role-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=self._args.account.managed_policy(policy),
                opts=self._child,
            )
        return role

    def _create_config_rules(self) -> list[str]:
        """AWS Config rules on the live cluster (needs the account's configuration recorder on)."""
        cluster_id = self._args.platform.aurora.cluster_id
        scope = aws.cfg.RuleScopeArgs(
            compliance_resource_types=["AWS::RDS::DBCluster"],
            compliance_resource_id=self._args.cluster_resource_id,
        )
        rules = {
            self._names.retention_rule: (
                RETENTION_RULE,
                {"minimumBackupRetentionPeriod": str(self._pitr_days)},
            ),
            self._names.deletion_protection_rule: (DELETION_PROTECTION_RULE, None),
        }
        for rule_name, (identifier, parameters) in rules.items():
            aws.cfg.Rule(
                f"{self._name}-{rule_name}",
                name=rule_name,
                description=f"Flags {cluster_id} when {identifier} fails",
                source=aws.cfg.RuleSourceArgs(owner="AWS", source_identifier=identifier),
                input_parameters=json.dumps(parameters) if parameters else None,
                scope=scope,
                tags=self._tags(),
                opts=self._child,
            )
        return list(rules)
