"""Probes of stop-writes' write fence: the recorded network ACL entries are up, or gone.

Read from the incident's record as documented (its ``fence``: ACL id, rule number, CIDR, port,
egress, and action: ``deny`` for an application CIDR, ``allow`` for a responders' CIDR inside
one; an entry without an action is a deny) and from the ACLs themselves, not through the
action's code. ``write-fence-up`` also checks the fence covers every application CIDR the stack
config names (``network.applicationSubnetCidrs``) and that each responders' allow is numbered
below every deny of the same ACL. On an emulator the entries are stored but no traffic is
modelled, so these verify the entries, not blocked packets.
"""

from __future__ import annotations

import json
from typing import Any

from runbook_actions.aws import desired_counts_parameter
from runbook_actions.constants import DEFAULT_STATE_PREFIX

from ..activities import Check, probe
from ..context import DrillContext


def _recorded(ctx: DrillContext) -> list[dict[str, Any]]:
    name = desired_counts_parameter(DEFAULT_STATE_PREFIX, ctx.platform.cluster, ctx.incident_id)
    value = ctx.clients.ssm.get_parameter(Name=name)["Parameter"]["Value"]
    fence = json.loads(value).get("fence", [])
    return fence if isinstance(fence, list) else []


def _present(ctx: DrillContext, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = sorted({e["nacl_id"] for e in entries})
    acls = ctx.clients.ec2.describe_network_acls(NetworkAclIds=ids)["NetworkAcls"] if ids else []
    held = {
        (
            acl["NetworkAclId"],
            x["RuleNumber"],
            x["RuleAction"],
            x["CidrBlock"],
            (x.get("PortRange") or {}).get("From"),
        )
        for acl in acls
        for x in acl["Entries"]
        if not x["Egress"] and x.get("CidrBlock")
    }
    return [e for e in entries if (e["nacl_id"], e["rule_number"], _action(e), e["cidr"], e["port"]) in held]


def _action(entry: dict[str, Any]) -> str:
    return str(entry.get("action", "deny"))


def _names(entries: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{e['nacl_id']} rule {e['rule_number']} {_action(e)} ({e['cidr']} -> :{e['port']})" for e in entries
    )


def _misplaced(ctx: DrillContext, entries: list[dict[str, Any]]) -> list[str]:
    """What the config says the fence must hold that it does not: a configured application CIDR
    with no deny, a responders' allow numbered above a deny of its ACL."""
    problems = []
    denied = {e["cidr"] for e in entries if _action(e) == "deny"}
    network = ctx.platform.network
    for cidr in network.application_subnet_cidrs if network else ():
        if cidr not in denied:
            problems.append(f"no deny for application CIDR {cidr}")
    for allow in (e for e in entries if _action(e) == "allow"):
        lower = [
            e["rule_number"]
            for e in entries
            if _action(e) == "deny"
            and e["nacl_id"] == allow["nacl_id"]
            and e["rule_number"] < allow["rule_number"]
        ]
        if lower:
            problems.append(
                f"allow {allow['cidr']} (rule {allow['rule_number']}) is behind deny rule {min(lower)}"
            )
    return problems


@probe("write-fence-up", services={"ssm", "ec2"})
def write_fence_up(ctx: DrillContext) -> Check:
    """The incident's record holds a fence, every recorded entry is in its ACL, every configured
    application CIDR is denied, and the responders' allows come before the denies."""
    entries = _recorded(ctx)
    if not entries:
        return Check(False, f"the record of {ctx.incident_id} holds no write fence")
    missing = [e for e in entries if e not in _present(ctx, entries)]
    if missing:
        return Check(False, "recorded fence entries missing: " + _names(missing))
    misplaced = _misplaced(ctx, entries)
    if misplaced:
        return Check(False, "the fence is not what the stack config says: " + "; ".join(misplaced))
    return Check(True, f"{len(entries)} entries up: {_names(entries)}", {"fence": entries})


@probe("write-fence-lifted", services={"ssm", "ec2"})
def write_fence_lifted(ctx: DrillContext) -> Check:
    """No entry of the incident's recorded fence (deny or allow) is left in its ACL."""
    entries = _recorded(ctx)
    left = _present(ctx, entries)
    if left:
        return Check(False, "fence entries still up: " + _names(left))
    return Check(True, f"the {len(entries)} recorded entries are gone")
