"""Names derived from the stack config: one derivation, used by the program, checked at config time.

Red-team finding (issue 12): a valid 60-character ``aurora.clusterId`` gave an EventBridge rule of
78 characters (64 allowed), a backup role of 67 (64), vaults of 68 and 73, a plan of 72 and a
selection of 67 (50 each): ``pulumi up`` failed midway. Now the config refuses it, naming the key,
the name and the limit. tests/pulumi/test_aws_name_limits.py checks every name the program
creates against AWS's limits for the longest values the config accepts.
"""

from __future__ import annotations

import copy
import dataclasses
import re

import pytest

import alarm_catalog
from stack_config import Platform, StackConfigError, load_platform, load_stack_config, platform_from_config
from stack_config.derived_names import (
    ALARM_SUFFIX_BUDGET,
    LOAD_BALANCER_NAME_MAX,
    backup_names,
    check_derived_names,
    derived_names,
)
from tests.support.program_harness import program_run

KEY = "incident-guardrails:platform"
STACKS = ("production", "staging")
# The inputs that carry a name the program derives from the config (not the catalog's alarms).
CREATED_NAMES = {
    "aws:backup/vault:Vault": "name",
    "aws:backup/plan:Plan": "name",
    "aws:backup/selection:Selection": "name",
    "aws:iam/role:Role": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
    "aws:cfg/rule:Rule": "name",
    "aws:lambda/function:Function": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:sns/topic:Topic": "name",
    "aws:kms/alias:Alias": "name",
    "aws:scheduler/schedule:Schedule": "name",
}


def _raw(stack: str = "production") -> dict:
    return copy.deepcopy(load_stack_config(stack)[KEY])


@pytest.mark.parametrize("stack", STACKS)
def test_every_name_the_program_creates_is_one_the_config_derived_and_checked(stack: str) -> None:
    """The components take their names from stack_config.derived_names, not their own f-strings."""
    run = program_run(stack)
    derived = {d.name for d in derived_names(load_platform(stack))}
    created = {
        str(r.inputs[key]) for r in run.resources for typ, key in CREATED_NAMES.items() if r.typ == typ
    }
    assert created and sorted(created - derived) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_catalogs_names_fit_the_shapes_the_config_checks(stack: str) -> None:
    """Alarm names <cluster>-<service>-<what>, <cluster>-queue-<queue>-<what>, <aurora>-<what>,
    <cluster>-<load balancer>-<what>, <cluster>-<what>: <what> within ALARM_SUFFIX_BUDGET."""
    platform = load_platform(stack)
    catalog = alarm_catalog.expand(platform)
    names = [a.name for a in catalog.alarms] + [f.name for f in catalog.log_metric_filters]
    prefixes = [
        *(f"{platform.cluster}-{s.name}-" for s in platform.services),
        *(f"{platform.cluster}-queue-{q.name}-" for q in platform.queues),
        f"{platform.aurora.cluster_id}-",
        f"{platform.cluster}-",
    ]
    unfit = []
    for name in names:
        # The longest prefix the name has, or the cluster's with a load balancer's name in it.
        prefix = max((p for p in prefixes if name.startswith(p)), key=len, default=None)
        if prefix is None:
            unfit.append(f"{name}: no derived prefix")
            continue
        rest = name[len(prefix) :]
        if len(rest) > ALARM_SUFFIX_BUDGET and not (
            prefix == f"{platform.cluster}-" and len(rest) <= LOAD_BALANCER_NAME_MAX + 1 + ALARM_SUFFIX_BUDGET
        ):
            unfit.append(f"{name}: {rest!r} is {len(rest)} characters, over {ALARM_SUFFIX_BUDGET}")
    assert names and unfit == []


def test_the_red_team_cluster_id_is_refused_naming_each_name_aws_would_refuse() -> None:
    raw = _raw()
    raw["aurora"]["clusterId"] = "a" * 60
    raw["aurora"]["auditLogGroup"] = "/aws/rds/cluster/" + "a" * 60 + "/audit"
    with pytest.raises(StackConfigError) as refused:
        platform_from_config(raw, "platform")
    assert str(refused.value) == (
        "platform.aurora.clusterId: the backup vault name (CreateBackupVault) derived from it, "
        f"'{'a' * 60}-backups', is 68 characters; AWS allows at most 50"
    )
    # Every name the red team listed is among the ones refused, with its own limit.
    long_id = _with_cluster_id(platform_from_config(_raw(), "platform"), "a" * 60)
    problems = {
        d.name[60:]: (d.length, d.limit)
        for d in derived_names(long_id)
        if d.problem() is not None and d.key == "aurora.clusterId"
    }
    assert {
        "-backup-job-failed": (78, 64),
        "-backup": (67, 64),
        "-backups": (68, 50),
        "-backups-copy": (73, 50),
        "-backup-plan": (72, 50),
        "-aurora": (67, 50),
    }.items() <= problems.items()


def _with_cluster_id(platform: Platform, cluster_id: str) -> Platform:
    return dataclasses.replace(platform, aurora=dataclasses.replace(platform.aurora, cluster_id=cluster_id))


@pytest.mark.parametrize("length, accepted", [(37, True), (38, False)])
def test_the_longest_cluster_id_whose_names_aws_accepts_is_37(length: int, accepted: bool) -> None:
    raw = _raw()
    raw["aurora"]["clusterId"] = "a" * length
    if accepted:
        assert backup_names(platform_from_config(raw)).copy_vault == "a" * 37 + "-backups-copy"
    else:
        with pytest.raises(StackConfigError, match=r"^platform\.aurora\.clusterId: .*at most 50$"):
            platform_from_config(raw)


@pytest.mark.parametrize(
    "section, key, value, expected",
    [
        (
            "",
            "cluster",
            "c" * 35,
            r"platform\.cluster: the IAM role name \(CreateRole\) derived from it, 'c{35}-runbook-",
        ),
        ("notifications", "topicPrefix", "t" * 60, None),  # <prefix>-p3-issues: 70 of SQS's 80
        ("services", "name", "s" * 230, r"platform\.services\[0\]\.name: the CloudWatch alarm name"),
        ("queues", "name", "q" * 128, None),
        ("", "environment", "e" * 80, r"platform\.environment: the SNS topic display name"),
    ],
)
def test_each_key_that_names_things_is_held_to_the_names(section, key, value, expected) -> None:
    raw = _raw()
    node = raw[section][0] if section in ("services", "queues") else raw[section] if section else raw
    node[key] = value
    if expected is None:
        platform_from_config(raw)
        return
    with pytest.raises(StackConfigError, match=expected) as refused:
        platform_from_config(raw)
    assert "\n" not in str(refused.value) and re.search(r"at most \d+$", str(refused.value))


def test_the_check_is_the_one_validation_runs() -> None:
    platform = load_platform("production")
    check_derived_names(platform, "platform")  # the committed stacks' names all fit
    assert sum(1 for _ in derived_names(platform)) > 50
