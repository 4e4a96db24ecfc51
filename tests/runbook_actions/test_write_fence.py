"""The write fence: stop-writes denies the services' subnets the database's port before it scales
anything, journals the entries first, and restore-writes lifts exactly them (issue 13)."""

from __future__ import annotations

import json

import pytest

from runbook_actions import invoke
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD

STOP = {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT}
RESTORE = {"cluster": CLUSTER, "incident_id": INCIDENT}
OTHER = "INC-20261126-02"
OTHER_RECORD = RECORD.replace(INCIDENT, OTHER)
PORT = 3306  # moto's Aurora MySQL port, read from DescribeDBClusters by the action
ALL_STOPPED = {name: 0 for name in SEEDED_COUNTS}


def _inbound(clients, acl_id: str) -> list[tuple]:
    [acl] = clients.ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
    return sorted(
        (
            e["RuleNumber"],
            e["RuleAction"],
            e["Protocol"],
            e["CidrBlock"],
            (e.get("PortRange") or {}).get("From"),
        )
        for e in acl["Entries"]
        if not e["Egress"]
    )


def _denies(clients, seeded) -> list[tuple]:
    return [e for e in _inbound(clients, seeded.network.db_acl_id) if e[1] == "deny"]


def _record(clients, name: str = RECORD) -> dict:
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def _app_cidrs(clients, seeded) -> list[str]:
    subnets = clients.ec2.describe_subnets(SubnetIds=list(seeded.network.app_subnets))["Subnets"]
    return sorted(s["CidrBlock"] for s in subnets)


def test_fence_denies_each_application_subnet_the_db_port_below_the_allow_rule(clients, seeded) -> None:
    result = invoke("stop-writes", clients, STOP)
    assert result.ok and result.changed, result.details
    cidrs = _app_cidrs(clients, seeded)
    assert _denies(clients, seeded) == [(1, "deny", "6", cidrs[0], PORT), (2, "deny", "6", cidrs[1], PORT)]
    acl = seeded.network.db_acl_id
    expected = [
        {"nacl_id": acl, "rule_number": n, "cidr": cidr, "port": PORT, "egress": False, "action": "deny"}
        for n, cidr in zip((1, 2), cidrs)
    ]
    assert _record(clients)["fence"] == expected
    assert result.details["fence"]["created"] == expected and result.details["fence"]["fenced_at"]
    assert desired_counts(clients) == ALL_STOPPED


def test_fence_is_journalled_then_built_before_any_service_is_scaled(clients, seeded, aws_hooks) -> None:
    order: list[str] = []

    def on_create(params, **_):
        order.append("fence")
        assert _record(clients)["fence"], "an entry created before the plan was recorded"

    aws_hooks.on(clients.ec2, "before-parameter-build.ec2.CreateNetworkAclEntry", on_create)
    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", lambda **_: order.append("scale"))
    assert invoke("stop-writes", clients, STOP).ok
    assert order[:2] == ["fence", "fence"] and set(order[2:]) == {"scale"}


def _ec2_calls(clients, aws_hooks) -> list[str]:
    calls: list[str] = []
    aws_hooks.on(clients.ec2, "before-call", lambda model, **_: calls.append(model.name))
    return calls


@pytest.mark.parametrize("services", [5, 50])
def test_ec2_calls_do_not_depend_on_the_number_of_services(clients, seeded, aws_hooks, services) -> None:
    template = clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0]
    for index in range(services - len(SEEDED_COUNTS)):
        clients.ecs.create_service(
            cluster=CLUSTER,
            serviceName=f"worker-{index:02d}",
            desiredCount=1,
            taskDefinition=template["taskDefinition"],
            networkConfiguration=template["networkConfiguration"],
        )
    calls = _ec2_calls(clients, aws_hooks)
    result = invoke("stop-writes", clients, STOP)
    assert result.ok and len(result.details["stopped"]) == services
    # Two subnets' CIDRs x one ACL: the same 4 calls at 5 services and at 50.
    assert sorted(calls) == sorted(
        ["DescribeSubnets", "DescribeNetworkAcls", "CreateNetworkAclEntry", "CreateNetworkAclEntry"]
    )


def test_restore_writes_lifts_the_fence_before_scaling_up(clients, seeded, aws_hooks) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    order: list[str] = []
    aws_hooks.on(
        clients.ec2, "before-parameter-build.ec2.DeleteNetworkAclEntry", lambda **_: order.append("lift")
    )
    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", lambda **_: order.append("scale"))
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok, result.details
    assert order[:2] == ["lift", "lift"] and set(order[2:]) == {"scale"}
    assert _denies(clients, seeded) == []
    assert _inbound(clients, seeded.network.db_acl_id) == [(100, "allow", "-1", "0.0.0.0/0", None)]
    assert len(result.details["fence"]["lifted"]) == 2
    assert desired_counts(clients) == SEEDED_COUNTS
    assert _record(clients)["fence"]  # kept in the closed record, as the audit trail
    again = invoke("restore-writes", clients, RESTORE)
    assert again.ok and not again.changed and len(again.details["fence"]["already_lifted"]) == 2


def test_a_rerun_keeps_the_entries_it_finds_and_duplicates_none(clients, seeded) -> None:
    first = invoke("stop-writes", clients, STOP)
    again = invoke("stop-writes", clients, STOP)
    assert again.ok and not again.changed, again.details
    assert again.details["fence"]["created"] == [] and len(again.details["fence"]["kept"]) == 2
    assert len(_denies(clients, seeded)) == 2
    assert _record(clients)["fence"] == first.details["fence"]["entries"]


def test_a_rerun_makes_the_recorded_entries_a_killed_run_did_not(clients, seeded, aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ec2, "CreateNetworkAclEntry", code="RequestLimitExceeded")
    first = invoke("stop-writes", clients, STOP)
    # The fence failed: the services went to 0 anyway, the plan is journalled, ok is false.
    assert not first.ok and len(first.details["fence"]["failed"]) == 2
    assert desired_counts(clients) == ALL_STOPPED and len(_record(clients)["fence"]) == 2
    undo()
    rerun = invoke("stop-writes", clients, STOP)
    assert rerun.ok and len(rerun.details["fence"]["created"]) == 2
    assert len(_denies(clients, seeded)) == 2


def test_dry_run_reports_the_fence_and_builds_nothing(clients, seeded) -> None:
    result = invoke("stop-writes", clients, STOP, dry_run=True)
    assert result.ok and not result.changed and result.details["would_change"]
    assert [e["rule_number"] for e in result.details["would_fence"]["create"]] == [1, 2]
    assert "fence" not in result.details
    assert _denies(clients, seeded) == [] and desired_counts(clients) == SEEDED_COUNTS
    assert invoke("stop-writes", clients, STOP).ok
    restore = invoke("restore-writes", clients, RESTORE, dry_run=True)
    assert len(restore.details["would_lift"]) == 2 and len(_denies(clients, seeded)) == 2


def test_a_lower_allow_rule_is_reported_and_the_services_still_stop(clients, seeded) -> None:
    clients.ec2.create_network_acl_entry(
        NetworkAclId=seeded.network.db_acl_id,
        RuleNumber=1,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock=clients.ec2.describe_vpcs(VpcIds=[seeded.network.vpc_id])["Vpcs"][0]["CidrBlock"],
        PortRange={"From": 3000, "To": 4000},
    )
    result = invoke("stop-writes", clients, STOP)
    assert not result.ok
    assert any("rule 1" in p and "would win" in p for p in result.details["fence"]["problems"])
    assert _denies(clients, seeded) == [] and desired_counts(clients) == ALL_STOPPED


def test_a_fence_past_the_acl_quota_is_reported_not_half_built(clients, seeded) -> None:
    for number in range(200, 217):  # 17 + rule 100 + the default deny = 19: room for one more
        clients.ec2.create_network_acl_entry(
            NetworkAclId=seeded.network.db_acl_id,
            RuleNumber=number,
            Protocol="6",
            RuleAction="allow",
            Egress=False,
            CidrBlock="192.168.0.0/24",
            PortRange={"From": number, "To": number},
        )
    result = invoke("stop-writes", clients, STOP)
    assert not result.ok and any("quota of 20" in p for p in result.details["fence"]["problems"])
    assert _denies(clients, seeded) == [] and desired_counts(clients) == ALL_STOPPED


def test_a_service_in_a_database_subnet_is_reported_not_fenced(clients, seeded) -> None:
    template = clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0]
    config = json.loads(json.dumps(template["networkConfiguration"]))
    config["awsvpcConfiguration"]["subnets"].append(seeded.network.db_subnets[0])
    clients.ecs.update_service(cluster=CLUSTER, service="storefront", networkConfiguration=config)
    result = invoke("stop-writes", clients, STOP)
    assert not result.ok
    assert any(seeded.network.db_subnets[0] in p for p in result.details["fence"]["problems"])
    # The application subnets are still fenced; the shared one is not.
    assert [e[3] for e in _denies(clients, seeded)] == _app_cidrs(clients, seeded)
    assert desired_counts(clients) == ALL_STOPPED


def test_no_subnet_group_still_scales_to_0_and_says_why(clients, seeded) -> None:
    clients.rds.delete_db_subnet_group(DBSubnetGroupName=seeded.network.db_subnet_group)
    result = invoke("stop-writes", clients, STOP)
    assert not result.ok and "cannot be planned" in result.details["fence"]["problems"][0]
    assert desired_counts(clients) == ALL_STOPPED
    assert "fence" not in _record(clients)
    assert invoke("restore-writes", clients, RESTORE).ok


def test_a_record_written_before_the_fence_restores(clients, seeded, aws_hooks) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    old = {k: v for k, v in _record(clients).items() if k != "fence"}
    clients.ssm.put_parameter(Name=RECORD, Value=json.dumps(old), Type="String", Overwrite=True)
    calls = _ec2_calls(clients, aws_hooks)
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok and calls == [] and desired_counts(clients) == SEEDED_COUNTS
    assert len(_denies(clients, seeded)) == 2  # nothing recorded: nothing lifted


def test_an_entry_changed_by_someone_else_is_left_and_reported(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    clients.ec2.replace_network_acl_entry(
        NetworkAclId=seeded.network.db_acl_id,
        RuleNumber=1,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="10.99.0.0/24",
        PortRange={"From": 22, "To": 22},
    )
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok and any("changed by someone else" in w for w in result.details["warnings"])
    assert [e[0] for e in _denies(clients, seeded)] == [1]


# -- two incidents on one ACL ------------------------------------------------------------------


def test_a_second_incident_fences_with_its_own_entries_and_each_lifts_its_own(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    second = invoke("stop-writes", clients, {**STOP, "incident_id": OTHER})
    assert [e["rule_number"] for e in second.details["fence"]["created"]] == [3, 4]
    assert invoke("restore-writes", clients, {**RESTORE, "incident_id": OTHER}).ok
    assert [e[0] for e in _denies(clients, seeded)] == [1, 2]  # the first incident's stand
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _denies(clients, seeded) == []


def _share_the_fence(clients) -> None:
    """The other incident's record holds the very entries of this one (two stop-writes planned
    the same free numbers at once; the second create found the first's entry). It holds none of
    the services above 0, so restoring this one is not refused for it."""
    mine = _record(clients)
    other = {**mine, "incident_id": OTHER, "desired_counts": {"legacy-worker": 1}}
    clients.ssm.put_parameter(Name=OTHER_RECORD, Value=json.dumps(other), Type="String")


def test_an_entry_another_open_record_holds_is_lifted_only_by_the_last_restore(clients, seeded) -> None:
    assert invoke("stop-writes", clients, STOP).ok
    _share_the_fence(clients)
    first = invoke("restore-writes", clients, RESTORE)
    assert first.ok and first.details["fence"]["lifted"] == []
    assert set(sum(first.details["fence"]["held_by_other_incidents"].values(), [])) == {OTHER}
    assert len(_denies(clients, seeded)) == 2
    last = invoke("restore-writes", clients, {**RESTORE, "incident_id": OTHER})
    assert last.ok and len(last.details["fence"]["lifted"]) == 2
    assert _denies(clients, seeded) == []


def test_two_restores_closing_at_once_do_not_leave_a_shared_fence(clients, seeded, aws_hooks) -> None:
    """Each restore sees the other open while it lifts; the one that closes last must lift."""
    assert invoke("stop-writes", clients, STOP).ok
    _share_the_fence(clients)

    def other_closes_meanwhile(params, **_):
        if params.get("Name") == RECORD and '"restored"' in params.get("Value", ""):
            other = {**_record(clients, OTHER_RECORD), "status": "restored"}
            clients.ssm.put_parameter(
                Name=OTHER_RECORD, Value=json.dumps(other), Type="String", Overwrite=True
            )

    aws_hooks.on(clients.ssm, "before-parameter-build.ssm.PutParameter", other_closes_meanwhile)
    result = invoke("restore-writes", clients, RESTORE)
    assert result.ok and len(result.details["fence"]["lifted"]) == 2, result.details
    assert _denies(clients, seeded) == []
