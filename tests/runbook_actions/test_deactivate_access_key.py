"""deactivate-access-key against moto's IAM (users, keys and last-used are realistic there)."""

from __future__ import annotations

import json

import boto3
import pytest

from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError

NAME = "deactivate-access-key"
USER = "ci-deployer"


@pytest.fixture(scope="module")
def session():
    # Building clients from one session is ~10x faster than from a new default session.
    return boto3.session.Session(region_name="ap-south-1")


@pytest.fixture
def keys(clients, session):
    """Two keys of the leaked user (the first one used against S3), one key of another user."""
    iam = clients.iam
    for user in (USER, "backup-bot"):
        iam.create_user(UserName=user)
    leaked, spare = (iam.create_access_key(UserName=USER)["AccessKey"] for _ in range(2))
    other = iam.create_access_key(UserName="backup-bot")["AccessKey"]
    session.client(
        "s3", aws_access_key_id=leaked["AccessKeyId"], aws_secret_access_key=leaked["SecretAccessKey"]
    ).list_buckets()
    return {"leaked": leaked, "spare": spare, "other": other}


def statuses(clients, user: str = USER) -> dict[str, str]:
    listed = clients.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in listed}


def test_deactivates_one_key_and_reports_its_last_use(clients, keys):
    leaked = keys["leaked"]["AccessKeyId"]
    result = invoke(NAME, clients, {"user": USER, "access_key_id": leaked})
    assert (result.ok, result.changed) == (True, True)
    [report] = result.details["keys"]
    assert report["access_key_id"] == leaked
    assert (report["status_before"], report["status"], report["changed"]) == ("Active", "Inactive", True)
    assert report["last_used"]["service"] == "s3" and report["last_used"]["region"] == "ap-south-1"
    assert report["last_used"]["date"].endswith("Z")
    assert statuses(clients) == {leaked: "Inactive", keys["spare"]["AccessKeyId"]: "Active"}
    assert statuses(clients, "backup-bot") == {keys["other"]["AccessKeyId"]: "Active"}


def test_all_deactivates_every_key_of_the_user_only(clients, keys):
    result = invoke(NAME, clients, {"user": USER, "all": True})
    assert result.changed is True and len(result.details["keys"]) == 2
    never_used = next(r for r in result.details["keys"] if r["access_key_id"] == keys["spare"]["AccessKeyId"])
    assert never_used["last_used"] == {"date": None, "service": None, "region": None}
    assert set(statuses(clients).values()) == {"Inactive"}
    assert set(statuses(clients, "backup-bot").values()) == {"Active"}


@pytest.mark.parametrize("arguments", [{"all": True}, {"access_key_id": "leaked"}])
def test_second_run_reports_no_change(clients, keys, arguments):
    arguments = {"user": USER, **arguments}
    if "access_key_id" in arguments:
        arguments["access_key_id"] = keys["leaked"]["AccessKeyId"]
    invoke(NAME, clients, arguments)
    after_first = statuses(clients)
    second = invoke(NAME, clients, arguments)
    assert second.changed is False
    assert all(
        r["status_before"] == r["status"] == "Inactive" and not r["changed"] for r in second.details["keys"]
    )
    assert statuses(clients) == after_first


def test_dry_run_changes_nothing(clients, keys):
    before = statuses(clients)
    result = invoke(NAME, clients, {"user": USER, "all": True}, dry_run=True)
    assert (result.changed, result.dry_run, result.details["would_change"]) == (False, True, True)
    assert all(r["would_change"] and r["status"] == "Active" for r in result.details["keys"])
    assert statuses(clients) == before


REFUSALS = {
    "both a key and --all": (
        lambda k: {"user": USER, "all": True, "access_key_id": k["leaked"]["AccessKeyId"]},
        InvalidArgumentError,
        "exactly one",
    ),
    "neither a key nor --all": (lambda k: {"user": USER}, InvalidArgumentError, "exactly one"),
    "unknown user": (lambda k: {"user": "nobody", "all": True}, NotFoundError, "nobody"),
    "another user's key": (
        lambda k: {"user": USER, "access_key_id": k["other"]["AccessKeyId"]},
        NotFoundError,
        "does not belong to IAM user ci-deployer",
    ),
    "malformed key id": (
        lambda k: {"user": USER, "access_key_id": "AKIA-short"},
        InvalidArgumentError,
        "access-key-id",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refusals_change_nothing(clients, keys, case):
    arrange, error, words = REFUSALS[case]
    before = statuses(clients), statuses(clients, "backup-bot")
    with pytest.raises(error, match=words):
        invoke(NAME, clients, arrange(keys))
    assert (statuses(clients), statuses(clients, "backup-bot")) == before


def test_user_without_keys_is_reported_not_refused(clients, keys):
    clients.iam.create_user(UserName="no-keys")
    result = invoke(NAME, clients, {"user": "no-keys", "all": True})
    assert (result.ok, result.changed, result.details["keys"]) == (True, False, [])
    assert "no access keys" in result.details["note"]


def test_cli_prints_key_ids_but_never_secret_keys(clients, keys, capsys):
    code = main([NAME, "--user", USER, "--all"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert {r["access_key_id"] for r in json.loads(out)["details"]["keys"]} == set(statuses(clients))
    for key in keys.values():
        assert key["SecretAccessKey"] not in out


def test_cli_rejects_both_selectors_with_exit_code_2(clients, keys, capsys):
    code = main([NAME, "--user", USER, "--all", "--access-key-id", keys["leaked"]["AccessKeyId"]])
    assert code == 2 and "exactly one" in capsys.readouterr().err
    assert set(statuses(clients).values()) == {"Active"}
