"""Every name the stack config holds is one AWS would accept, by AWS's documented rules.

The red team's finding: the Aurora ``clusterId`` pattern allowed ``--`` and a trailing hyphen
(RDS refuses both), and the P0-B fault built its restore target by cutting the id at 40
characters, so a valid id with a hyphen at index 39 gave ``...--restore-...``, which
restore-cluster refuses. The other identifiers were checked against their API references too:
log groups may not start with ``aws/``, SSM parameter names may not start with aws/ssm, have
empty levels or more than fifteen; secret names, the audit log group, the master user name, the
topic prefix, tags and IAM principals were not checked at all or too loosely.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import string
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from drills import activities
from drills.context import DrillContext
from drills.faults import database
from runbook_actions.clients import AwsClients
from runbook_actions.invoke import invoke
from runbook_actions.restore_cluster import NEW_CLUSTER_ID
from stack_config import AuroraCluster, StackConfigError, load_platform, platform_from_config
from stack_config.typed_mapping import build
from targets.seed import seed_platform
from targets.target import local_target

ROOT = Path(__file__).resolve().parents[2]
KEY = "incident-guardrails:platform"
PRODUCTION = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())["config"][KEY]
# A valid 42-character id whose character at index 39 is a hyphen: cut at 40, it ends in "-".
HYPHEN_AT_39 = "zelly-aurora-production-with-a-long-name-x1"[:39] + "-x1"


def aws_accepts_db_cluster_id(text: str) -> bool:
    """RDS's documented rule, written out without a regular expression: 1 to 63 letters, numbers
    or hyphens; first character a letter; can't end with a hyphen or contain two consecutive
    hyphens."""
    allowed = set(string.ascii_letters + string.digits + "-")
    return (
        1 <= len(text) <= 63
        and set(text) <= allowed
        and text[0] in string.ascii_letters
        and not text.endswith("-")
        and "--" not in text
    )


def _platform(change) -> dict:
    data = copy.deepcopy(PRODUCTION)
    change(data)
    return data


def _set(*path_and_value):
    *path, value = path_and_value

    def change(data: dict) -> None:
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _aurora(cluster_id: str) -> AuroraCluster:
    """The aurora section alone, checked by its own rules (the identifier's, RDS's)."""
    data = {**PRODUCTION["aurora"], "clusterId": cluster_id}
    return build(AuroraCluster, data, "platform.aurora")


def _cluster_id(value: str):
    def change(data: dict) -> None:
        data["aurora"]["clusterId"] = value

    return change


# --- Aurora cluster id -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cluster_id",
    [
        "zelly--aurora",
        "zelly-aurora-",
        "a-",
        "a--",
        "-a",
        "1zelly",
        "a" * 64,
        "zelly_aurora",
        "zelly.aurora",
        "zélly",
        "zelly-aurora\n",
    ],
)
def test_invalid_db_cluster_ids_are_refused_naming_the_key(cluster_id: str) -> None:
    with pytest.raises(
        StackConfigError,
        match=r"^platform\.aurora\.clusterId: .* is not a valid DB "
        r"cluster identifier",
    ):
        platform_from_config(_platform(_cluster_id(cluster_id)), "platform")


@pytest.mark.parametrize(
    "cluster_id", ["a", "A", "a1", "a-1", "Zelly-Aurora-9", "a" * 63, "a-b-c-d", HYPHEN_AT_39]
)
def test_valid_db_cluster_ids_are_accepted(cluster_id: str) -> None:
    """RDS's rule for the identifier itself; the platform also holds the names derived from it
    (backup vaults: <id>-backups-copy, 50) to AWS's limits, so it takes ids up to 37 characters
    (tests/stack_config/test_derived_names.py)."""
    assert _aurora(cluster_id).cluster_id == cluster_id


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abZ09-_.", min_size=0, max_size=70))
def test_the_cluster_id_check_is_exactly_rdss_rule(cluster_id: str) -> None:
    try:
        _aurora(cluster_id)
        accepted = True
    except StackConfigError as error:
        assert "clusterId" in str(error)
        accepted = False
    assert accepted == aws_accepts_db_cluster_id(cluster_id)


# --- the restore target the P0-B fault names ---------------------------------------------------


def _valid_ids() -> st.SearchStrategy[str]:
    """Valid DB cluster ids: a letter, then letters/digits in runs joined by single hyphens."""
    run = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)
    return st.builds(
        lambda first, runs: (first + "-".join([""] + runs) if runs else first)[:63].rstrip("-"),
        st.sampled_from(string.ascii_letters),
        st.lists(run, max_size=10),
    ).filter(aws_accepts_db_cluster_id)


@pytest.mark.parametrize(
    "cluster_id",
    [
        HYPHEN_AT_39,
        "a" * 39 + "-b",
        "a" * 38 + "-b-c",
        "a" * 34 + "-b",
        "a" * 33 + "-b-c",
        "a" * 63,
        "a",
        "a-" * 31 + "a",
        "a" * 40 + "-b",
    ],
)
def test_restore_target_is_a_valid_new_cluster_id_for_edge_cases(cluster_id: str) -> None:
    assert aws_accepts_db_cluster_id(cluster_id)
    moment = datetime(2026, 11, 26, 2, 55, 7, tzinfo=timezone.utc)
    target = database.restore_target_name(cluster_id, moment, "run-1")
    assert aws_accepts_db_cluster_id(target), target
    assert re.fullmatch(NEW_CLUSTER_ID, target), target
    assert re.search(r"-restore-025507-[0-9a-f]{4}$", target), target
    assert target != database.restore_target_name(cluster_id, moment, "run-2")  # two runs, one second


@settings(max_examples=500, deadline=None)
@given(_valid_ids(), st.datetimes(timezones=st.just(timezone.utc)))
def test_restore_target_is_always_a_valid_new_cluster_id(cluster_id: str, moment: datetime) -> None:
    target = database.restore_target_name(cluster_id, moment, "run-1")
    assert aws_accepts_db_cluster_id(target), target
    assert re.fullmatch(NEW_CLUSTER_ID, target), target  # restore-cluster's own check
    assert target != cluster_id and target.startswith(cluster_id[: database.RESTORE_ID_HEAD].rstrip("-"))


def test_the_p0b_fault_names_a_target_restore_cluster_accepts(moto_backend, platform) -> None:
    """End to end on moto: a stack whose cluster id has a hyphen at index 39, the data-corruption
    fault, then restore-cluster to the target it names."""
    aurora = dataclasses.replace(
        platform.aurora, cluster_id=HYPHEN_AT_39, audit_log_group=f"/aws/rds/cluster/{HYPHEN_AT_39}/audit"
    )
    stack = dataclasses.replace(platform, aurora=aurora)
    clients = AwsClients(region="ap-south-1", session=boto3.session.Session(region_name="ap-south-1"))
    seed_platform(clients, stack)
    ctx = DrillContext(
        platform=stack,
        clients=clients,
        target=local_target("http://in-process"),
        stack="staging",
        run_id="p0-b-20261126000000-abcd",
        incident_id="DRILL-X",
    )
    fault = activities.faults()["data-corruption"]
    plan = fault.plan(ctx)
    state = fault.inject(ctx, plan)
    target = state["restore_target"]
    assert "--" not in target
    result = invoke(
        "restore-cluster",
        clients,
        {
            "source": HYPHEN_AT_39,
            "target": target,
            "incident_id": "DRILL-X",
            "latest": True,
            "wait_timeout_seconds": 60,
        },
    )
    assert result.ok and result.details["target"] == target


# --- the other identifiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, key",
    [
        # CloudWatch Logs: "Log group names can't start with the string aws/"
        (_set("services", 0, "logGroup", "aws/ecs/fastify-nova"), "services[0].logGroup"),
        (_set("cloudtrailLogGroup", "aws/cloudtrail"), "cloudtrailLogGroup"),
        # the audit log group was not checked at all
        (_set("aurora", "auditLogGroup", "/aws/rds/cluster/x/audit log"), "aurora.auditLogGroup"),
        (_set("aurora", "auditLogGroup", "aws/rds/cluster/x/audit"), "aurora.auditLogGroup"),
        (_set("aurora", "auditLogGroup", "/a" * 257), "aurora.auditLogGroup"),
        # SSM: no aws/ssm prefix (case-insensitive), no empty level, at most 15 levels
        (_set("aurora", "endpointParameter", "/aws/zelly/endpoint"), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/SSM-zelly/endpoint"), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/awsome/endpoint"), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/zelly//endpoint"), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/zelly/endpoint/"), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/l" * 16), "aurora.endpointParameter"),
        (_set("aurora", "endpointParameter", "/" + "x" * 1000), "aurora.endpointParameter"),
        # Secrets Manager names: ASCII letters, digits and /_+=.@- only, at most 512
        (_set("secrets", 1, "zelly/fastify nova/env"), "secrets[1]"),
        (_set("secrets", 1, "zelly/fastify-nova/env#1"), "secrets[1]"),
        (_set("secrets", 1, "z" * 513), "secrets[1]"),
        (
            lambda d: (
                d["aurora"].update(masterSecretId="zelly/aurora/master!"),
                d["secrets"].append("zelly/aurora/master!"),
            ),
            "aurora.masterSecretId",
        ),
        # RDS master user name: 1-16 letters or digits, first a letter
        (_set("aurora", "masterUsername", "1admin"), "aurora.masterUsername"),
        (_set("aurora", "masterUsername", "admin-user"), "aurora.masterUsername"),
        (_set("aurora", "masterUsername", "a" * 17), "aurora.masterUsername"),
        # SNS/SQS names made from the topic prefix
        (_set("notifications", "topicPrefix", "zelly production"), "notifications.topicPrefix"),
        (_set("notifications", "topicPrefix", "zelly/production"), "notifications.topicPrefix"),
        (_set("notifications", "topicPrefix", "z" * 61), "notifications.topicPrefix"),
        # tags: environment is a tag value; extraTags keys and values
        (_set("environment", "prod\nuction"), "environment"),
        (_set("environment", "prod;uction"), "environment"),
        (_set("extraTags", {"aws:owner": "me"}), "extraTags"),
        (_set("extraTags", {"owner": "me!"}), "extraTags.owner"),
        (_set("extraTags", {"k" * 129: "v"}), "extraTags"),
        # IAM principals: names at most 64, no empty path segment, no trailing slash
        (_set("breakGlass", "adminPrincipals", ["role/" + "r" * 65]), "breakGlass.adminPrincipals[0]"),
        (_set("breakGlass", "adminPrincipals", ["role//incident"]), "breakGlass.adminPrincipals[0]"),
        (_set("breakGlass", "adminPrincipals", ["role/incident/"]), "breakGlass.adminPrincipals[0]"),
    ],
)
def test_invalid_names_are_refused_naming_the_key(change, key: str) -> None:
    with pytest.raises(StackConfigError) as raised:
        platform_from_config(_platform(change), "platform")
    message = str(raised.value)
    assert message.startswith(f"platform.{key}") and len(message.splitlines()) == 1, message


@pytest.mark.parametrize(
    "change",
    [
        _set("services", 0, "logGroup", "/aws/ecs/fastify-nova"),  # AWS's own style: leading "/"
        _set("services", 0, "logGroup", "zelly.ecs_fastify-nova#1"),
        # ECS takes 255; the catalog's alarm names (<cluster>-<service>-<what>, 255) take 205 here.
        _set("services", 0, "name", "a" * 205),
        _set("cluster", "_zelly-production_"),  # ECS clusters may start with _
        _set("aurora", "endpointParameter", "/l" * 15),
        _set("aurora", "endpointParameter", "/Zelly.prod/db_endpoint-1"),
        _set("aurora", "masterUsername", "a" * 16),
        _set("notifications", "topicPrefix", "z" * 60),
        _set("extraTags", {"team": "platform ops", "cost-centre": "zelly:1/a=b+c@d", "équipe": "opérations"}),
        _set(
            "breakGlass",
            "adminPrincipals",
            ["role/ops/oncall/incident-commander", "arn:aws:iam::123456789012:user/a.b@c+d=e,f"],
        ),
    ],
)
def test_valid_names_are_accepted(change) -> None:
    platform_from_config(_platform(change), "platform")


@pytest.mark.parametrize("stack", ["production", "staging"])
def test_shipped_stacks_still_load(stack: str) -> None:
    assert load_platform(stack).aurora.cluster_id.startswith("zelly-aurora-")
