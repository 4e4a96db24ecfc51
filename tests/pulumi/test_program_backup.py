"""Backup guardrails: PITR for the guide's 7 days, copies abroad, locked vaults, Config rules, failures notified."""

from __future__ import annotations

import json

from components import tags
from stack_config import Platform, backup_windows
from tests.support.program_harness import ACCOUNT, ProgramRun, statements

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"


def _rules(run: ProgramRun) -> dict[str, dict]:
    return {rule["ruleName"]: rule for rule in run.of_type(PLAN)[0].inputs["rules"]}


def test_continuous_backup_keeps_point_in_time_restore_for_the_guides_days(
    run: ProgramRun, stack_platform: Platform
) -> None:
    pitr = _rules(run)["point-in-time-restore"]
    assert pitr["enableContinuousBackup"] is True
    assert pitr["lifecycle"]["deleteAfter"] == stack_platform.aurora.backup_retention_days >= 7


def test_daily_snapshots_are_copied_to_a_vault_in_the_second_region(
    run: ProgramRun, stack_platform: Platform
) -> None:
    daily = _rules(run)["daily-snapshot"]
    assert daily["schedule"] == stack_platform.backup.snapshot_schedule
    assert daily["lifecycle"]["deleteAfter"] == stack_platform.backup.snapshot_retention_days
    copy_vault = next(v for v in run.of_type(VAULT) if v.inputs.get("region"))
    assert copy_vault.inputs["region"] == stack_platform.backup.copy_region != stack_platform.region
    [copy] = daily["copyActions"]
    assert copy["destinationVaultArn"] == copy_vault.outputs["arn"]
    assert copy["lifecycle"]["deleteAfter"] == stack_platform.backup.copy_retention_days


def test_vaults_are_encrypted_with_their_own_regional_keys_and_never_force_destroyed(run: ProgramRun) -> None:
    keys = {k.outputs["arn"]: k.inputs for k in run.of_type("aws:kms/key:Key")}
    for vault in run.of_type(VAULT):
        key = keys[vault.inputs["kmsKeyArn"]]
        assert key.get("region") == vault.inputs.get("region")
        assert key["enableKeyRotation"] is True
        assert vault.inputs["forceDestroy"] is False


def test_vault_lock_follows_the_config(run: ProgramRun, stack_platform: Platform) -> None:
    locks = run.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    if stack_platform.backup.vault_lock == "off":
        assert locks == []
        return
    vaults = {v.inputs["name"] for v in run.of_type(VAULT)}
    assert {lock.inputs["backupVaultName"] for lock in locks} == vaults
    for lock in locks:
        assert lock.inputs["minRetentionDays"] >= 7
        # Governance mode has no grace period; compliance mode would set one.
        assert ("changeableForDays" in lock.inputs) == (stack_platform.backup.vault_lock == "compliance")


def test_the_selection_is_the_cluster_by_arn(run: ProgramRun, stack_platform: Platform) -> None:
    selection = run.of_type("aws:backup/selection:Selection")[0].inputs
    assert selection["resources"] == [
        f"arn:aws:rds:{stack_platform.region}:{ACCOUNT}:cluster:{stack_platform.aurora.cluster_id}"
    ]
    assert selection["planId"] == run.of_type(PLAN)[0].name + "-id"
    role = run.one("aws:iam/role:Role", name=f"{stack_platform.aurora.cluster_id}-backup")
    assert selection["iamRoleArn"] == role.outputs["arn"]
    assert statements(role.inputs["assumeRolePolicy"])[0]["Principal"] == {
        "Service": ["backup.amazonaws.com"]
    }


def test_config_rules_flag_the_live_cluster(run: ProgramRun, stack_platform: Platform) -> None:
    rules = {r.inputs["source"]["sourceIdentifier"]: r.inputs for r in run.of_type("aws:cfg/rule:Rule")}
    assert set(rules) == {"RDS_CLUSTER_BACKUP_RETENTION_CHECK", "RDS_CLUSTER_DELETION_PROTECTION_ENABLED"}
    retention = json.loads(rules["RDS_CLUSTER_BACKUP_RETENTION_CHECK"]["inputParameters"])
    assert int(retention["minimumBackupRetentionPeriod"]) == stack_platform.aurora.backup_retention_days
    for rule in rules.values():
        assert rule["source"]["owner"] == "AWS"
        assert rule["scope"] == {
            "complianceResourceTypes": ["AWS::RDS::DBCluster"],
            "complianceResourceId": "cluster-ABCDEFGHIJKLMNOP",
        }
    assert "aws:rds/getCluster:getCluster" in run.invokes


# Issue 12: one job per resource at a time, and failures that reach someone.
TOPIC = "aws:sns/topic:Topic"
RULE = "aws:cloudwatch/eventRule:EventRule"


def _failure_topic(run: ProgramRun, platform: Platform) -> str:
    # A failed backup threatens P0-B's restore without hurting users yet: P2; off production, P3.
    severity = "P2" if platform.production else "P3"
    return next(
        t.outputs["arn"]
        for t in run.of_type(TOPIC)
        if t.inputs["tags"][tags.SEVERITY] == severity and "region" not in t.inputs
    )


def test_the_continuous_and_snapshot_rules_run_a_job_window_apart(
    run: ProgramRun, stack_platform: Platform
) -> None:
    rules = _rules(run)
    pitr, daily = rules["point-in-time-restore"], rules["daily-snapshot"]
    assert pitr["schedule"] == stack_platform.backup.continuous_schedule
    # AWS Backup runs one job per resource: the second job would wait out its start window.
    window = max(rule["startWindow"] + rule["completionWindow"] for rule in (pitr, daily))
    assert not backup_windows.schedules_overlap(pitr["schedule"], daily["schedule"], window)


def test_vault_failures_notify_the_failure_severity_topic(run: ProgramRun, stack_platform: Platform) -> None:
    topic = _failure_topic(run, stack_platform)
    [notifications] = run.of_type("aws:backup/vaultNotifications:VaultNotifications")
    assert notifications.inputs["backupVaultName"] == f"{stack_platform.aurora.cluster_id}-backups"
    assert notifications.inputs["snsTopicArn"] == topic
    # Failure-only events; SNS's BACKUP_JOB_FAILED and RESTORE_JOB_FAILED are deprecated and send nothing.
    assert sorted(notifications.inputs["backupVaultEvents"]) == [
        "CONTINUOUS_BACKUP_INTERRUPTED",
        "COPY_JOB_FAILED",
    ]


def test_failed_backup_jobs_notify_the_same_topic_through_eventbridge(
    run: ProgramRun, stack_platform: Platform
) -> None:
    rule = run.one(RULE, name=f"{stack_platform.aurora.cluster_id}-backup-job-failed")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": ["ABORTED", "EXPIRED", "FAILED"]},
    }
    target = run.one("aws:cloudwatch/eventTarget:EventTarget", rule=rule.inputs["name"])
    assert target.inputs["arn"] == _failure_topic(run, stack_platform)


def test_aws_backup_may_publish_to_that_topic_only_and_use_its_key(
    run: ProgramRun, stack_platform: Platform
) -> None:
    failure_topic = _failure_topic(run, stack_platform)
    policies = {p.inputs["arn"]: p.inputs["policy"] for p in run.of_type("aws:sns/topicPolicy:TopicPolicy")}
    for topic in run.of_type(TOPIC):
        arn = topic.outputs["arn"]
        backup = [
            s for s in statements(policies[arn]) if s["Principal"] == {"Service": "backup.amazonaws.com"}
        ]
        if arn != failure_topic:
            assert backup == [], arn
            continue
        [statement] = backup
        assert (statement["Effect"], statement["Action"], statement["Resource"]) == (
            "Allow",
            "sns:Publish",
            arn,
        )
        # Only on behalf of this account (confused deputy).
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    key = next(k for k in run.of_type("aws:kms/key:Key") if "incident topics" in k.inputs["description"])
    [services] = [s for s in statements(key.inputs["policy"]) if "Service" in s["Principal"]]
    assert "backup.amazonaws.com" in services["Principal"]["Service"]
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(services["Action"])
