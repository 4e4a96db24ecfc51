"""The write fence: network ACL entries that cut the services off the database's port.

stop-writes fences the database before it scales anything: on every network ACL associated
with the Aurora cluster's subnets (its DB subnet group's), one inbound DENY entry per
application subnet (the subnets of the services' awsvpc configuration), TCP, the cluster's port.
Network ACLs are stateless and evaluated on every packet, so the deny also cuts the connections
the services' pools already hold, which a security-group revoke does not (security groups track
connections and let established ones run on). Traffic from every other CIDR (the responders'
VPN, a bastion) keeps the NACL's own rules. Everything is read from the account: the cluster's
subnet group and port (RDS), the services' subnets (ECS), their CIDRs (EC2 DescribeSubnets),
the ACLs of the database subnets (DescribeNetworkAcls, ``association.subnet-id``). No list is
kept by hand. The number of EC2 calls depends on the ACLs and application subnets, never on
the number of services.

What it does not do: stop writes made from inside the database subnets, from Lambdas or tasks
in subnets that are not the services' (they are not fenced), or Aurora's own replication; nor
anything over IPv6 (only IPv4 entries are planned). On an emulator the entries are stored but
no traffic is modelled: a drill verifies the entries, not blocked packets.

Rules AWS evaluates lowest number first, and the first rule that matches decides. A deny is
effective only numbered below every inbound ALLOW that matches the same traffic (the rule
``100 allow all`` of a default ACL): the plan takes the lowest free numbers below it, and
reports the ACL when there is none. An ACL holds at most ``RULES_PER_ACL`` inbound rules (Amazon
VPC quotas: 20 per direction by default, the default deny counted; adjustable), so a fence that
would pass it is reported instead of half-built. An application subnet that is also a database
subnet is reported, not fenced: the deny would cut the database's own subnet.

A plan is a list of ``FenceEntry`` (ACL, rule number, CIDR, port, egress false). stop-writes
journals it in the incident's record *before* creating any entry, so whatever a failed or
killed run created is named in the record, and restore-writes lifts exactly those entries: an
entry is deleted only while it still matches the recorded spec and no other open incident's
record holds it (two records may hold one entry when two incidents fence the same ACL at the
same moment). A rerun keeps the recorded entries that are present and creates the missing ones.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable

from .aws_errors import aws_call
from .exceptions import RunbookError

RULES_PER_ACL = 20  # Amazon VPC quotas, "Rules per network ACL", per direction, default deny included
DEFAULT_DENY_RULES = (32767, 32768)  # the "*" rules: IPv4, IPv6
MAX_RULE_NUMBER = 32766
TCP = "6"
ALL_PROTOCOLS = "-1"


class FenceError(RunbookError):
    """The fence cannot be planned: the account does not say where the database or services are."""


@dataclass(frozen=True, order=True)
class FenceEntry:
    """One inbound deny entry: the identity AWS gives it (ACL, number, direction) and its spec."""

    nacl_id: str
    rule_number: int
    cidr: str
    port: int
    egress: bool = False

    @property
    def key(self) -> tuple[str, int, bool]:
        return (self.nacl_id, self.rule_number, self.egress)

    def to_json(self) -> dict[str, Any]:
        return {
            "nacl_id": self.nacl_id,
            "rule_number": self.rule_number,
            "cidr": self.cidr,
            "port": self.port,
            "egress": self.egress,
        }

    @classmethod
    def from_json(cls, data: Any) -> "FenceEntry":
        """Raises ValueError on anything but the shape ``to_json`` writes."""
        if not isinstance(data, dict) or set(data) != {"nacl_id", "rule_number", "cidr", "port", "egress"}:
            raise ValueError("not a fence entry")
        number, port, egress = data["rule_number"], data["port"], data["egress"]
        if not (
            isinstance(data["nacl_id"], str)
            and isinstance(data["cidr"], str)
            and _whole(number)
            and 1 <= number <= MAX_RULE_NUMBER
            and _whole(port)
            and 0 <= port <= 65535
            and egress is False
        ):
            raise ValueError("not a fence entry")
        ipaddress.IPv4Network(data["cidr"])
        return cls(data["nacl_id"], number, data["cidr"], port, egress)

    def matches(self, entry: dict[str, Any]) -> bool:
        """``entry`` (as DescribeNetworkAcls lists it) is this deny, exactly."""
        ports = entry.get("PortRange") or {}
        return (
            entry.get("RuleNumber") == self.rule_number
            and bool(entry.get("Egress")) == self.egress
            and entry.get("RuleAction") == "deny"
            and str(entry.get("Protocol")) == TCP
            and entry.get("CidrBlock") == self.cidr
            and ports.get("From") == self.port
            and ports.get("To") == self.port
        )

    def describe(self) -> str:
        return f"{self.nacl_id} rule {self.rule_number} deny tcp {self.cidr} -> :{self.port}"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Network:
    """What the account says about the database and the services, read once per run."""

    db_cluster: str
    port: int
    db_subnets: tuple[str, ...]
    app_subnets: dict[str, str]  # subnet id -> IPv4 CIDR
    acls: tuple[dict[str, Any], ...]  # DescribeNetworkAcls' entries for the database subnets
    unnetworked: tuple[str, ...] = ()  # services without an awsvpc configuration


@dataclass
class FencePlan:
    """The entries to record (and then make present), and what could not be fenced."""

    entries: list[FenceEntry] = field(default_factory=list)
    to_create: list[FenceEntry] = field(default_factory=list)
    present: list[FenceEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the fence is incomplete: ok=false
    warnings: list[str] = field(default_factory=list)


def discover(ec2: Any, rds: Any, db_cluster: str, services: list[dict[str, Any]]) -> Network:
    """The cluster's port and subnets, the services' subnets and CIDRs, the database ACLs."""
    with aws_call(f"describing DB cluster {db_cluster}"):
        clusters = rds.describe_db_clusters(DBClusterIdentifier=db_cluster)["DBClusters"]
    cluster = clusters[0] if clusters else {}
    group = cluster.get("DBSubnetGroup")
    if not group:
        raise FenceError(f"DB cluster {db_cluster} has no DB subnet group: its subnets are unknown")
    with aws_call(f"describing DB subnet group {group}"):
        found = rds.describe_db_subnet_groups(DBSubnetGroupName=group)["DBSubnetGroups"]
    db_subnets = tuple(sorted({s["SubnetIdentifier"] for g in found for s in g.get("Subnets", [])}))
    if not db_subnets:
        raise FenceError(f"DB subnet group {group} of {db_cluster} lists no subnets")
    by_service = {
        s["serviceName"]: (s.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        for s in services
    }
    app_ids = sorted({subnet for config in by_service.values() for subnet in config.get("subnets", [])})
    unnetworked = tuple(sorted(name for name, config in by_service.items() if not config.get("subnets")))
    if not app_ids:
        raise FenceError(
            "no service has an awsvpc network configuration: the application subnets are unknown"
        )
    with aws_call("describing the application subnets"):
        pages = ec2.get_paginator("describe_subnets").paginate(SubnetIds=app_ids)
        app_subnets = {s["SubnetId"]: s["CidrBlock"] for page in pages for s in page["Subnets"]}
    with aws_call("describing the network ACLs of the database subnets"):
        pages = ec2.get_paginator("describe_network_acls").paginate(
            Filters=[{"Name": "association.subnet-id", "Values": list(db_subnets)}]
        )
        acls = tuple(acl for page in pages for acl in page["NetworkAcls"])
    return Network(db_cluster, int(cluster.get("Port") or 0), db_subnets, app_subnets, acls, unnetworked)


def plan(network: Network, recorded: Iterable[FenceEntry], others: dict[FenceEntry, list[str]]) -> FencePlan:
    """One deny per database ACL and application CIDR. ``recorded``: this incident's entries
    (a rerun keeps them); ``others``: entries other open incidents' records hold, by entry."""
    result = FencePlan()
    if network.port <= 0:
        result.problems.append(f"DB cluster {network.db_cluster} reports no port")
        return result
    if network.unnetworked:
        result.problems.append(
            "services without an awsvpc network configuration are not fenced (their subnets are "
            f"unknown): {', '.join(network.unnetworked)}"
        )
    shared = sorted(set(network.app_subnets) & set(network.db_subnets))
    if shared:
        result.problems.append(
            f"application subnet(s) {', '.join(shared)} are also database subnets of "
            f"{network.db_cluster}: not fenced (the deny would cut the database's own subnet)"
        )
    cidrs = sorted({cidr for subnet, cidr in network.app_subnets.items() if subnet not in shared})
    mine = list(recorded)
    for acl in sorted(network.acls, key=lambda a: str(a["NetworkAclId"])):
        _plan_acl(result, acl, cidrs, network.port, mine, others)
    return result


def _plan_acl(
    result: FencePlan,
    acl: dict[str, Any],
    cidrs: list[str],
    port: int,
    recorded: list[FenceEntry],
    others: dict[FenceEntry, list[str]],
) -> None:
    acl_id = str(acl["NetworkAclId"])
    inbound = [e for e in acl.get("Entries", []) if not e.get("Egress")]
    taken = {int(e["RuleNumber"]) for e in inbound} | {e.rule_number for e in others if e.nacl_id == acl_id}
    mine = {e.cidr: e for e in recorded if e.nacl_id == acl_id and e.port == port}
    kept: list[FenceEntry] = []
    new: list[FenceEntry] = []
    for cidr in cidrs:
        entry = mine.get(cidr)
        if entry is not None:
            at_number = [e for e in inbound if e.get("RuleNumber") == entry.rule_number]
            if any(entry.matches(e) for e in at_number):
                kept.append(entry)
                continue
            if not at_number:  # recorded, never made (a killed run) or deleted: made again
                new.append(entry)
                taken.add(entry.rule_number)
                continue
            result.warnings.append(
                f"{entry.describe()} was recorded, but rule {entry.rule_number} now holds another "
                "entry: left as it is, and a new number is chosen"
            )
        number = _free_number(taken, _first_allow(inbound, cidr, port))
        if number is None:
            result.problems.append(
                f"{acl_id}: no free inbound rule number below the first rule allowing tcp from {cidr} "
                f"to :{port} (rule {_first_allow(inbound, cidr, port)}); that allow would win over a "
                "deny: not fenced"
            )
            continue
        taken.add(number)
        new.append(FenceEntry(acl_id, number, cidr, port))
    # AWS lists the default deny; moto does not: counted once either way.
    used = len({int(e["RuleNumber"]) for e in inbound} | {DEFAULT_DENY_RULES[0]})
    if new and used + len(new) > RULES_PER_ACL:
        result.problems.append(
            f"{acl_id} has {used} inbound rules (the default deny counted); {len(new)} more would "
            f"pass AWS's default quota of {RULES_PER_ACL} rules per network ACL: not fenced (raise "
            "the quota, or free rule numbers, then rerun)"
        )
        new = []
    for entry in kept + new:
        allow = _first_allow(inbound, entry.cidr, entry.port)
        if allow is not None and allow < entry.rule_number:
            result.problems.append(
                f"{entry.describe()} is not effective: rule {allow} allows the same traffic first"
            )
    result.entries += kept + new
    result.present += kept
    result.to_create += new


def _first_allow(inbound: list[dict[str, Any]], cidr: str, port: int) -> int | None:
    """The lowest-numbered inbound ALLOW matching some of tcp from ``cidr`` to ``port``."""
    network = ipaddress.IPv4Network(cidr)
    numbers = [
        int(e["RuleNumber"])
        for e in inbound
        if e.get("RuleAction") == "allow"
        and e.get("CidrBlock")
        and ipaddress.IPv4Network(str(e["CidrBlock"]), strict=False).overlaps(network)
        and _covers(e, port)
    ]
    return min(numbers, default=None)


def _covers(entry: dict[str, Any], port: int) -> bool:
    protocol = str(entry.get("Protocol"))
    if protocol == ALL_PROTOCOLS:
        return True
    if protocol != TCP:
        return False
    ports = entry.get("PortRange")
    return not ports or int(ports.get("From", 0)) <= port <= int(ports.get("To", 65535))


def _free_number(taken: set[int], below: int | None) -> int | None:
    limit = MAX_RULE_NUMBER + 1 if below is None else below
    return next((n for n in range(1, limit) if n not in taken), None)


def build(ec2: Any, entries: list[FenceEntry]) -> tuple[list[FenceEntry], list[dict[str, str]]]:
    """Create ``entries``; an entry found already there with exactly its spec counts as made
    (another run of the same plan). Returns (created or found, failures)."""
    made: list[FenceEntry] = []
    failed: list[dict[str, str]] = []
    for entry in entries:
        try:
            with aws_call(f"creating {entry.describe()}"):
                ec2.create_network_acl_entry(
                    NetworkAclId=entry.nacl_id,
                    RuleNumber=entry.rule_number,
                    Protocol=TCP,
                    RuleAction="deny",
                    Egress=entry.egress,
                    CidrBlock=entry.cidr,
                    PortRange={"From": entry.port, "To": entry.port},
                )
            made.append(entry)
        except RunbookError as error:
            if entry in present(ec2, [entry]):
                made.append(entry)
            else:
                failed.append({"entry": entry.describe(), "error": str(error)})
    return made, failed


def acl_entries(ec2: Any, acl_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every entry of the named ACLs, by ACL id (an ACL that no longer exists is absent)."""
    ids = sorted(set(acl_ids))
    if not ids:
        return {}
    # By id, not the network-acl-id filter (moto lacks it). AWS refuses the whole call when one
    # id no longer exists (InvalidNetworkAclID.NotFound): then each ACL is asked for alone.
    try:
        return _describe_acls(ec2, ids)
    except RunbookError:
        found: dict[str, list[dict[str, Any]]] = {}
        for acl_id in ids:
            try:
                found.update(_describe_acls(ec2, [acl_id]))
            except RunbookError as error:
                if "NotFound" not in str(error):
                    raise
        return found


def _describe_acls(ec2: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    with aws_call(f"describing network ACL(s) {', '.join(ids)}"):
        pages = ec2.get_paginator("describe_network_acls").paginate(NetworkAclIds=ids)
        return {
            str(acl["NetworkAclId"]): acl.get("Entries", []) for page in pages for acl in page["NetworkAcls"]
        }


def present(ec2: Any, entries: list[FenceEntry]) -> list[FenceEntry]:
    """Those of ``entries`` the ACLs hold, exactly as specified."""
    found = acl_entries(ec2, (e.nacl_id for e in entries))
    return [e for e in entries if any(e.matches(x) for x in found.get(e.nacl_id, []))]


@dataclass
class Lift:
    """What restore-writes did with each recorded entry."""

    lifted: list[FenceEntry] = field(default_factory=list)
    absent: list[FenceEntry] = field(default_factory=list)
    held: dict[FenceEntry, list[str]] = field(default_factory=dict)  # -> the open incidents holding it
    changed: list[str] = field(default_factory=list)  # the number holds something else now
    failed: list[dict[str, str]] = field(default_factory=list)
    would_lift: list[FenceEntry] = field(default_factory=list)


def lift(
    ec2: Any, entries: list[FenceEntry], others: dict[FenceEntry, list[str]], *, dry_run: bool = False
) -> Lift:
    """Delete each recorded entry that is still there as recorded and that no other open record
    holds; leave (and report) one changed by someone else."""
    result = Lift()
    found = acl_entries(ec2, (e.nacl_id for e in entries))
    for entry in sorted(set(entries)):
        at_number = [
            x
            for x in found.get(entry.nacl_id, [])
            if x.get("RuleNumber") == entry.rule_number and bool(x.get("Egress")) == entry.egress
        ]
        if not at_number:
            result.absent.append(entry)
        elif not any(entry.matches(x) for x in at_number):
            result.changed.append(
                f"{entry.describe()} was recorded, but rule {entry.rule_number} of {entry.nacl_id} now "
                "holds another entry (changed by someone else): left as it is, check it"
            )
        elif entry in others:
            result.held[entry] = sorted(others[entry])
        elif dry_run:
            result.would_lift.append(entry)
        else:
            _delete(ec2, entry, result)
    return result


def _delete(ec2: Any, entry: FenceEntry, result: Lift) -> None:
    try:
        with aws_call(f"deleting {entry.describe()}"):
            ec2.delete_network_acl_entry(
                NetworkAclId=entry.nacl_id, RuleNumber=entry.rule_number, Egress=entry.egress
            )
        result.lifted.append(entry)
    except RunbookError as error:
        result.failed.append({"entry": entry.describe(), "error": str(error)})


def held_by(records: Iterable[Any]) -> dict[FenceEntry, list[str]]:
    """Which incidents' records hold each fence entry (records with a ``fence`` and ``incident_id``)."""
    holders: dict[FenceEntry, list[str]] = {}
    for record in records:
        for entry in record.fence:
            holders.setdefault(entry, []).append(record.incident_id)
    return holders


def as_json(entries: Iterable[FenceEntry]) -> list[dict[str, Any]]:
    return [e.to_json() for e in sorted(entries)]
