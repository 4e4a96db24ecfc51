"""Backup guardrails: PITR for the guide's 7 days, copies abroad, locked vaults, Config rules."""

from __future__ import annotations

import json

from stack_config import Platform
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
