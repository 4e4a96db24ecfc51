"""The write fence goes up first when the application CIDRs are configured: planned from them and
the database side alone, journalled (the first write of the record, with no counts), built, and
only then are the services read, recorded and scaled (issue 13)."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter

import pytest

from runbook_actions import RunbookError, invoke
from runbook_actions.aws import RateLimitRegistry, process_pacing
from runbook_actions.cli import build_parser
from runbook_actions.constants import ENV_APP_CIDRS
from runbook_actions.exceptions import RefusedError
from stack_config.runbook_env import runbook_environment
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD
from tests.support.platform_names import PRODUCTION

APPS = list(PRODUCTION.network.application_subnet_cidrs) if PRODUCTION.network else []
BASTION = f"{ipaddress.IPv4Network(APPS[0]).network_address + 10}/32"  # inside the first
VPN = "10.99.100.0/28"  # outside every application CIDR
STOP = {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT, "app_cidr": APPS}
RESTORE = {"cluster": CLUSTER, "incident_id": INCIDENT}
OTHER = "INC-20261126-02"
OTHER_PREFIX = "/Incident-Guardrails"
ALL_STOPPED = {name: 0 for name in SEEDED_COUNTS}
PORT = 3306


def _entries(clients, seeded) -> list[tuple]:
    [acl] = clients.ec2.describe_network_acls(NetworkAclIds=[seeded.network.db_acl_id])["NetworkAcls"]
    return sorted(
        (e["RuleNumber"], e["RuleAction"], e["CidrBlock"])
        for e in acl["Entries"]
        if not e["Egress"] and e["RuleNumber"] != 100
    )


def _record(clients, name: str = RECORD) -> dict:
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def _calls_until_the_fence(clients, aws_hooks) -> Counter:
    """Every AWS call (by operation) made before the first CreateNetworkAclEntry."""
    calls: list[str] = []
    fenced: list[bool] = []

    def count(model, **_):
        if model.name == "CreateNetworkAclEntry":
            fenced.append(True)
        if not fenced:
            calls.append(model.name)

    for client in (clients.ec2, clients.rds, clients.ssm, clients.ecs):
        aws_hooks.on(client, "before-call", count)
    return calls  # type: ignore[return-value]


def test_the_seed_runs_the_services_in_the_configured_cidrs(clients, seeded) -> None:
    subnets = clients.ec2.describe_subnets(SubnetIds=list(seeded.network.app_subnets))["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == sorted(APPS)


@pytest.mark.parametrize("services", [5, 500])
def test_the_calls_before_the_fence_do_not_depend_on_the_number_of_services(
    clients, seeded, aws_hooks, services
) -> None:
    template = clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0]
    for index in range(services - len(SEEDED_COUNTS)):
        clients.ecs.create_service(
            cluster=CLUSTER,
            serviceName=f"worker-{index:03d}",
            desiredCount=1,
            taskDefinition=template["taskDefinition"],
            networkConfiguration=template["networkConfiguration"],
        )
    calls = _calls_until_the_fence(clients, aws_hooks)
    # The process's ECS buckets off: at 500 services they pace the scale-down to ECS's refill
    # (~2 minutes of real waiting), which is not what this counts.
    with process_pacing(RateLimitRegistry(quotas={})):
        result = invoke("stop-writes", clients, STOP)
    assert result.ok and len(result.details["stopped"]) == services, result.details
    # The record and the other records, beside the database side; the journal; then the fence.
    assert Counter(calls) == Counter(
        {
            "GetParameter": 1,
            "GetParametersByPath": 1,
            "DescribeDBClusters": 1,
            "DescribeDBSubnetGroups": 1,
            "DescribeSubnets": 1,  # the database subnets' CIDRs: no configured CIDR may be one
            "DescribeNetworkAcls": 1,
            "PutParameter": 1,
        }
    )
    assert result.details["fence"]["first"] and result.details["fence"]["fenced_at"]


def test_the_record_holds_the_fence_before_the_entry_exists_and_no_service_was_read(
    clients, seeded, aws_hooks
) -> None:
    ecs_calls: list[str] = []
    aws_hooks.on(clients.ecs, "before-call", lambda model, **_: ecs_calls.append(model.name))
    seen: list[dict] = []

    def on_create(params, **_):
        record = _record(clients)
        assert {"cidr": params["CidrBlock"], "rule_number": params["RuleNumber"]}.items() <= next(
            e for e in record["fence"] if e["rule_number"] == params["RuleNumber"]
        ).items(), "an entry created before the record named it"
        seen.append({"counts": record["desired_counts"], "ecs": list(ecs_calls)})

    aws_hooks.on(clients.ec2, "before-parameter-build.ec2.CreateNetworkAclEntry", on_create)
    result = invoke("stop-writes", clients, STOP)
    assert result.ok, result.details
    assert seen and all(s == {"counts": {}, "ecs": []} for s in seen)
    assert result.details["record"] == "created"
    assert [(e[1], e[2]) for e in _entries(clients, seeded)] == [("deny", c) for c in sorted(APPS)]
    record = _record(clients)
    assert record["desired_counts"] == SEEDED_COUNTS and record["status"] == "writes-stopped"
    assert desired_counts(clients) == ALL_STOPPED


def test_the_opening_time_is_the_fence_journal_not_the_counts(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    history = clients.ssm.get_parameter_history(Name=RECORD)["Parameters"]
    assert [v["Version"] for v in history] == [1, 2]
    assert json.loads(history[0]["Value"])["desired_counts"] == {}
    opened = _record(clients)["opened_at"]
    assert opened.startswith(history[0]["LastModifiedDate"].strftime("%Y-%m-%dT%H:%M:%S"))


def test_a_service_outside_the_configured_cidrs_is_fenced_too_and_named(clients, seeded, aws_hooks) -> None:
    vpc = clients.ec2.describe_vpcs(VpcIds=[seeded.network.vpc_id])["Vpcs"][0]["CidrBlock"]
    stray_cidr = str(list(ipaddress.IPv4Network(vpc).subnets(new_prefix=24))[3])
    stray = clients.ec2.create_subnet(VpcId=seeded.network.vpc_id, CidrBlock=stray_cidr)["Subnet"]["SubnetId"]
    template = clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0]
    config = json.loads(json.dumps(template["networkConfiguration"]))
    config["awsvpcConfiguration"]["subnets"] = [stray]
    clients.ecs.update_service(cluster=CLUSTER, service="storefront", networkConfiguration=config)
    journalled: list[bool] = []

    def on_create(params, **_):
        if params["CidrBlock"] == stray_cidr:
            journalled.append(any(e["cidr"] == stray_cidr for e in _record(clients)["fence"]))

    aws_hooks.on(clients.ec2, "before-parameter-build.ec2.CreateNetworkAclEntry", on_create)
    result = invoke("stop-writes", clients, STOP)
    assert result.ok, result.details
    assert journalled == [True]
    [warning] = [w for w in result.details["fence"]["warnings"] if stray in w]
    assert "storefront" in warning and stray_cidr in warning and "network.applicationSubnetCidrs" in warning
    assert ("deny", stray_cidr) in [(e[1], e[2]) for e in _entries(clients, seeded)]
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _entries(clients, seeded) == []


def test_the_responders_cidr_inside_an_application_subnet_gets_an_allow_below_the_denies(
    clients, seeded, aws_hooks
) -> None:
    result = invoke("stop-writes", clients, {**STOP, "responder_cidr": [BASTION, VPN]})
    assert result.ok, result.details
    # The allow first and lowest; the VPN range outside every application CIDR needs no entry.
    assert _entries(clients, seeded) == [(1, "allow", BASTION)] + [
        (n, "deny", c) for n, c in zip((2, 3), sorted(APPS))
    ]
    assert [e["action"] for e in _record(clients)["fence"]] == ["allow", "deny", "deny"]
    order: list[int] = []
    aws_hooks.on(
        clients.ec2,
        "before-parameter-build.ec2.DeleteNetworkAclEntry",
        lambda params, **_: order.append(params["RuleNumber"]),
    )
    restored = invoke("restore-writes", clients, RESTORE)
    assert restored.ok and order == [2, 3, 1]  # the denies lifted before the responders' allow
    assert _entries(clients, seeded) == []


def test_a_responder_cidr_holding_an_application_cidr_is_not_allowed(clients, seeded) -> None:
    result = invoke("stop-writes", clients, {**STOP, "responder_cidr": ["10.0.0.0/8"]})
    assert not result.ok and any("would reopen the fence" in p for p in result.details["fence"]["problems"])
    assert [e[1] for e in _entries(clients, seeded)] == ["deny", "deny"]
    assert desired_counts(clients) == ALL_STOPPED


def test_a_configured_cidr_that_is_a_database_subnet_is_not_fenced(clients, seeded) -> None:
    db = clients.ec2.describe_subnets(SubnetIds=[seeded.network.db_subnets[0]])["Subnets"][0]["CidrBlock"]
    result = invoke("stop-writes", clients, {**STOP, "app_cidr": [*APPS, db]})
    assert not result.ok and any(db in p for p in result.details["fence"]["problems"])
    assert [e[2] for e in _entries(clients, seeded)] == sorted(APPS)


def test_dry_run_fences_nothing_and_reports_the_plan(clients, seeded) -> None:
    result = invoke("stop-writes", clients, {**STOP, "responder_cidr": [BASTION]}, dry_run=True)
    assert result.ok and not result.changed and result.details["would_fence"]["first"]
    assert [e["action"] for e in result.details["would_fence"]["create"]] == ["allow", "deny", "deny"]
    assert _entries(clients, seeded) == [] and desired_counts(clients) == SEEDED_COUNTS
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=RECORD)


def test_a_rerun_is_idempotent(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    again = invoke("stop-writes", clients, STOP)
    assert again.ok and not again.changed, again.details
    assert again.details["fence"]["created"] == [] and len(_entries(clients, seeded)) == 2


# --- refusing after the fence is up ------------------------------------------------------------


def _stop_by_hand(clients) -> None:
    for name in SEEDED_COUNTS:
        clients.ecs.update_service(cluster=CLUSTER, service=name, desiredCount=0)


def test_a_refusal_after_the_fence_takes_it_down_and_removes_the_record(clients, seeded) -> None:
    _stop_by_hand(clients)
    with pytest.raises(RefusedError, match="writes are already stopped.*nothing was changed.*lifted again"):
        invoke("stop-writes", clients, STOP)
    assert _entries(clients, seeded) == []
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=RECORD)


def test_a_refusal_puts_a_restored_record_back_and_misleads_no_concurrent_stop(
    clients, seeded, aws_hooks
) -> None:
    """The record, restored, is reopened by the fence's journal: while it is open, another
    incident's stop-writes must not take the closed record's counts as originals."""
    assert invoke("stop-writes", clients, STOP).ok and invoke("restore-writes", clients, RESTORE).ok
    before = clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"]
    _stop_by_hand(clients)
    meanwhile: list[str] = []

    def another_incident_reads(**_):
        if not meanwhile:  # the first write of the run: the fence's journal reopening the record
            reopened = _record(clients)
            meanwhile.append(f"{reopened['status']} {reopened['desired_counts']}")
            try:
                invoke("stop-writes", clients, {**STOP, "incident_id": OTHER}, dry_run=True)
            except RefusedError as error:
                meanwhile.append(str(error))

    aws_hooks.on(clients.ssm, "after-call.ssm.PutParameter", another_incident_reads)
    with pytest.raises(RefusedError, match="nothing was changed"):
        invoke("stop-writes", clients, STOP)
    assert meanwhile[0] == "writes-stopped {}"  # reopened by the fence's journal, holding no counts
    assert "writes are already stopped" in meanwhile[-1]  # not misled by the reopened record
    assert clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"] == before
    assert _entries(clients, seeded) == []


# --- stopped between the fence and the counts --------------------------------------------------


def _killed_after_the_fence(clients, aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ecs, "DescribeServices", code="InternalError")
    with pytest.raises(RunbookError):
        invoke("stop-writes", clients, STOP)
    undo()


def test_a_run_stopped_after_the_fence_leaves_it_journalled_and_restore_lifts_it(
    clients, seeded, aws_hooks
) -> None:
    _killed_after_the_fence(clients, aws_hooks)
    record = _record(clients)
    assert record["desired_counts"] == {} and len(record["fence"]) == 2
    assert len(_entries(clients, seeded)) == 2 and desired_counts(clients) == SEEDED_COUNTS
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok, result.details
    assert len(result.details["fence"]["lifted"]) == 2 and result.details["restored"] == []
    assert any("no counts" in w for w in result.details["warnings"])
    assert _entries(clients, seeded) == [] and _record(clients)["status"] == "restored"
    assert desired_counts(clients) == SEEDED_COUNTS


def test_a_rerun_after_a_run_stopped_after_the_fence_completes_it(clients, seeded, aws_hooks) -> None:
    _killed_after_the_fence(clients, aws_hooks)
    rerun = invoke("stop-writes", clients, STOP)
    assert rerun.ok and rerun.details["fence"]["created"] == [], rerun.details
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS and desired_counts(clients) == ALL_STOPPED
    assert invoke("restore-writes", clients, RESTORE).ok
    assert desired_counts(clients) == SEEDED_COUNTS and _entries(clients, seeded) == []


# --- the CIDRs from the stack's environment -----------------------------------------------------


def test_the_stack_environment_names_the_configured_cidrs(clients, seeded) -> None:
    environ = runbook_environment(PRODUCTION, INCIDENT)
    assert environ[ENV_APP_CIDRS].split(",") == APPS
    result = invoke("stop-writes", clients, {}, environ=environ)
    assert result.ok and result.details["fence"]["first"], result.details
    assert [e[1] for e in _entries(clients, seeded)] == ["allow", "deny", "deny"]


def test_the_flag_takes_several_values_on_the_command_line() -> None:
    parsed = build_parser().parse_args(
        ["stop-writes", "--app-cidr", "10.0.1.0/24", "10.0.2.0/24", "--responder-cidr", "10.0.1.10/32"]
    )
    assert parsed.app_cidr == ["10.0.1.0/24", "10.0.2.0/24"] and parsed.responder_cidr == ["10.0.1.10/32"]


def test_entries_recorded_without_an_action_are_denies_and_are_lifted(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    old = _record(clients)
    old["fence"] = [{k: v for k, v in e.items() if k != "action"} for e in old["fence"]]
    clients.ssm.put_parameter(Name=RECORD, Value=json.dumps(old), Type="String", Overwrite=True)
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok and len(result.details["fence"]["lifted"]) == 2, result.details
    assert _entries(clients, seeded) == []
