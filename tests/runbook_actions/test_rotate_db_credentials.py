"""rotate-db-credentials against moto: the rotation, its crash points, refusals and leak checks."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import AwsCallError, NotFoundError, RefusedError, RunbookError
from runbook_actions.rotate_db_credentials import EXCLUDED_CHARACTERS, PASSWORD_LENGTH, _never_revealing

NAME = "rotate-db-credentials"
REGION = "ap-south-1"


@pytest.fixture
def target(clients, platform):
    """The production cluster and its master secret, as the seed makes them (without the rest
    of the platform, which these tests do not need and which takes ~1 s a test to seed)."""
    aurora = platform.aurora
    password = secrets.token_urlsafe(24)
    clients.secretsmanager.create_secret(
        Name=aurora.master_secret_id,
        SecretString=json.dumps(
            {
                "username": aurora.master_username,
                "password": password,
                "engine": "mysql",
                "dbClusterIdentifier": aurora.cluster_id,
            }
        ),
    )
    clients.rds.create_db_cluster(
        DBClusterIdentifier=aurora.cluster_id,
        Engine=aurora.engine,
        MasterUsername=aurora.master_username,
        MasterUserPassword=password,
        DeletionProtection=True,
    )
    return {"db_cluster": aurora.cluster_id, "secret_id": aurora.master_secret_id, "old_password": password}


def rotate(clients, target, dry_run=False, **extra):
    arguments = {"db_cluster": target["db_cluster"], "secret_id": target["secret_id"], **extra}
    return invoke(NAME, clients, arguments, dry_run=dry_run)


def cluster_password(cluster_id: str) -> str:
    # The RDS API never returns a password, so read what the emulator stored.
    return get_backend("rds")[DEFAULT_ACCOUNT_ID][REGION].clusters[cluster_id]._master_user_password


def secret_body(clients, secret_id: str, stage: str = "AWSCURRENT") -> dict:
    value = clients.secretsmanager.get_secret_value(SecretId=secret_id, VersionStage=stage)
    return json.loads(value["SecretString"])


def stages(clients, secret_id: str) -> dict:
    return clients.secretsmanager.describe_secret(SecretId=secret_id)["VersionIdsToStages"]


def snapshot(clients, target) -> tuple:
    """Everything a rotation could change."""
    return (
        stages(clients, target["secret_id"]),
        secret_body(clients, target["secret_id"]),
        cluster_password(target["db_cluster"]),
    )


def assert_rotated_cleanly(clients, target) -> str:
    """Cluster and AWSCURRENT agree, the old value is AWSPREVIOUS, no AWSPENDING is left."""
    body = secret_body(clients, target["secret_id"])
    assert body["password"] == cluster_password(target["db_cluster"])
    assert body["password"] != target["old_password"]
    assert secret_body(clients, target["secret_id"], "AWSPREVIOUS")["password"] == target["old_password"]
    assert not any("AWSPENDING" in labels for labels in stages(clients, target["secret_id"]).values())
    return body["password"]


def test_rotation_sets_a_generated_password_on_cluster_and_secret(clients, target, platform):
    result = rotate(clients, target)
    assert (result.ok, result.changed, result.details["plan"]) == (True, True, "rotate")
    new_password = assert_rotated_cleanly(clients, target)
    assert len(new_password) == PASSWORD_LENGTH
    assert not set(EXCLUDED_CHARACTERS) & set(new_password)
    body = secret_body(clients, target["secret_id"])
    assert body["username"] == platform.aurora.master_username
    assert body["dbClusterIdentifier"] == target["db_cluster"]
    assert result.details["new_version_id"] in stages(clients, target["secret_id"])


def test_result_never_contains_any_seeded_secret_value(clients, seeded, platform):
    target = {
        "db_cluster": platform.aurora.cluster_id,
        "secret_id": platform.aurora.master_secret_id,
        "old_password": seeded.secret_values[0],
    }
    result = rotate(clients, target)
    assert_rotated_cleanly(clients, target)
    text = json.dumps(result.to_dict(), default=str)
    new_password = secret_body(clients, target["secret_id"])["password"]
    for value in [new_password, *seeded.secret_values]:
        assert value not in text


def test_cli_prints_no_password_on_stdout_stderr_or_logs(clients, target, capsys, caplog, monkeypatch):
    monkeypatch.setenv("ZELLY_DB_SECRET_ID", target["secret_id"])  # the secret comes from the env
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="runbook_actions")
    code = main([NAME, "--db-cluster", target["db_cluster"], "--incident-id", "INC-1"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["changed"] is True
    new_password = secret_body(clients, target["secret_id"])["password"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in (new_password, target["old_password"]):
        assert value not in out and value not in err and value not in logged


def test_dry_run_generates_and_changes_nothing(clients, target):
    before = snapshot(clients, target)
    result = rotate(clients, target, dry_run=True)
    assert (result.changed, result.dry_run, result.details["would_change"]) == (False, True, True)
    assert result.details["would"][0].startswith("stage a generated password")
    assert snapshot(clients, target) == before


def test_second_run_for_the_same_incident_does_not_rotate_again(clients, target):
    first = rotate(clients, target, incident_id="INC-7")
    after_first = snapshot(clients, target)
    second = rotate(clients, target, incident_id="INC-7")
    assert second.changed is False and second.details["plan"] == "already-rotated"
    assert second.details["new_version_id"] == first.details["new_version_id"]
    assert second.details["still_current"] is True
    assert snapshot(clients, target) == after_first


def test_force_rotates_again_for_the_same_incident(clients, target):
    first = rotate(clients, target, incident_id="INC-7")
    first_password = secret_body(clients, target["secret_id"])["password"]
    forced = rotate(clients, target, incident_id="INC-7", force=True)
    assert forced.changed is True
    assert forced.details["new_version_id"] != first.details["new_version_id"]
    assert forced.details["previous_version_id"] == first.details["new_version_id"]
    assert secret_body(clients, target["secret_id"], "AWSPREVIOUS")["password"] == first_password
    assert secret_body(clients, target["secret_id"])["password"] == cluster_password(target["db_cluster"])


def test_without_an_incident_id_each_run_is_a_new_rotation(clients, target):
    first = rotate(clients, target)
    second = rotate(clients, target)
    assert second.changed is True
    assert second.details["previous_version_id"] == first.details["new_version_id"]


def _fail(operation: str, when=lambda kwargs: True):
    """A stand-in for a client method that fails like AWS when ``when(kwargs)`` holds."""

    def call(original):
        def failing(**kwargs):
            if when(kwargs):
                raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "boom"}}, operation)
            return original(**kwargs)

        return failing

    return call


CRASH_POINTS = {
    # (client, method, which call fails, what the rerun has to do)
    "before the cluster changed": ("rds", "modify_db_cluster", lambda kw: True, "resume"),
    "before promotion": (
        "secretsmanager",
        "update_secret_version_stage",
        lambda kw: kw["VersionStage"] == "AWSCURRENT",
        "resume",
    ),
    "before removing the AWSPENDING label": (
        "secretsmanager",
        "update_secret_version_stage",
        lambda kw: kw["VersionStage"] == "AWSPENDING",
        "finish",
    ),
}


@pytest.mark.parametrize("crash", CRASH_POINTS, ids=list(CRASH_POINTS))
def test_rerun_after_a_crash_finishes_with_the_staged_password(clients, target, crash, monkeypatch):
    service, method, when, expected_plan = CRASH_POINTS[crash]
    client = clients.get(service)
    monkeypatch.setattr(client, method, _fail(method, when)(getattr(client, method)))
    with pytest.raises(RunbookError) as failure:
        rotate(clients, target)
    assert "rerun" in str(failure.value) or expected_plan == "finish"
    staged = secret_body(clients, target["secret_id"], "AWSPENDING")["password"]
    assert (
        secret_body(
            clients, target["secret_id"], "AWSPREVIOUS" if expected_plan == "finish" else "AWSCURRENT"
        )["password"]
        == target["old_password"]
    )
    assert staged not in str(failure.value)
    monkeypatch.undo()

    rerun = rotate(clients, target)
    assert (rerun.changed, rerun.details["plan"]) == (True, expected_plan)
    assert assert_rotated_cleanly(clients, target) == staged
    assert rotate(clients, target, dry_run=True).details["plan"] == "rotate"  # nothing left over


def test_dry_run_after_a_crash_reports_the_resume(clients, target, monkeypatch):
    monkeypatch.setattr(
        clients.rds, "modify_db_cluster", _fail("ModifyDBCluster")(clients.rds.modify_db_cluster)
    )
    with pytest.raises(AwsCallError):
        rotate(clients, target)
    monkeypatch.undo()
    before = snapshot(clients, target)
    result = rotate(clients, target, dry_run=True)
    assert result.details["plan"] == "resume" and result.details["would_change"] is True
    assert snapshot(clients, target) == before


def _secret_for_user(clients, target, **body):
    clients.secretsmanager.create_secret(Name="zelly/other", SecretString=json.dumps(body))
    return {**target, "secret_id": "zelly/other"}


REFUSALS = {
    "secret for another user": (
        lambda c, t: _secret_for_user(c, t, username="intruder", password="x" * 12),
        RefusedError,
        "intruder",
    ),
    "secret for another cluster": (
        lambda c, t: _secret_for_user(
            c, t, username="admin", password="x" * 12, dbClusterIdentifier="zelly-aurora-staging"
        ),
        RefusedError,
        "zelly-aurora-staging",
    ),
    "secret that is not JSON credentials": (
        lambda c, t: (
            c.secretsmanager.create_secret(Name="zelly/plain", SecretString="hunter2hunter2"),
            {**t, "secret_id": "zelly/plain"},
        )[1],
        RefusedError,
        "username and a password",
    ),
    "unknown secret": (lambda c, t: {**t, "secret_id": "zelly/missing"}, NotFoundError, "zelly/missing"),
    "unknown cluster": (
        lambda c, t: {**t, "db_cluster": "zelly-aurora-missing"},
        NotFoundError,
        "zelly-aurora-missing",
    ),
    "RDS-managed master password": (
        lambda c, t: (
            c.rds.create_db_cluster(
                DBClusterIdentifier="zelly-aurora-managed",
                Engine="aurora-mysql",
                MasterUsername="admin",
                ManageMasterUserPassword=True,
            ),
            {**t, "db_cluster": "zelly-aurora-managed"},
        )[1],
        RefusedError,
        "rotate-master-user-password",
    ),
    "staged password for another user": (
        lambda c, t: (
            c.secretsmanager.put_secret_value(
                SecretId=t["secret_id"],
                SecretString=json.dumps({"username": "intruder", "password": "y" * 12}),
                VersionStages=["AWSPENDING"],
            ),
            t,
        )[1],
        RefusedError,
        "AWSPENDING",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refusals_change_nothing(clients, target, case):
    arrange, error, words = REFUSALS[case]
    arguments = arrange(clients, target)
    before = snapshot(clients, target)
    for dry_run in (True, False):
        with pytest.raises(error, match=words):
            rotate(clients, arguments, dry_run=dry_run)
    assert snapshot(clients, target) == before


def test_error_messages_are_masked():
    with pytest.raises(AwsCallError) as raised, _never_revealing("s3cr3t-value", ""):
        raise KeyError("cluster rejected s3cr3t-value")
    assert "s3cr3t-value" not in str(raised.value) and "***" in str(raised.value)
    with pytest.raises(RefusedError, match="unrelated"), _never_revealing("s3cr3t-value"):
        raise RefusedError("unrelated")
