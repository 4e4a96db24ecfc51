"""The write fence: network ACL entries that cut the services off the database's port.

stop-writes fences the database before it scales anything: on every network ACL associated
with the Aurora cluster's subnets (its DB subnet group's), one inbound DENY entry per
application CIDR, TCP, the cluster's port. Network ACLs are stateless and evaluated on every
packet, so the deny also cuts the connections the services' pools already hold, which a
security-group revoke does not (security groups track connections and let established ones run
on).

Where the application CIDRs come from decides when writes stop. Configured (the stack config's
``network.applicationSubnetCidrs``, ``--app-cidr``), the plan needs only the database side
(``discover_database``: DescribeDBClusters, DescribeDBSubnetGroups, DescribeSubnets of the
database subnets, so that no configured CIDR is one of them, DescribeNetworkAcls with
``association.subnet-id``): a constant number of calls, before a single service is read. Once
the services are read, ``reconcile`` checks their awsvpc subnets against the configuration (one
DescribeSubnets) and fences any subnet outside it too, with a warning naming the service, the
subnet and the key. Not configured, the CIDRs are the services' subnets' (``discover``), known
only after the whole fleet was read. Either way the number of EC2 calls never depends on the
number of services.

Responders keep their path. Traffic from a CIDR that overlaps no application CIDR (a VPN
endpoint's own subnet) matches no deny and needs no entry. A responder CIDR *inside* an
application CIDR (a bastion's fixed address in an application subnet, or a Client VPN endpoint
whose source NAT addresses sit in one) gets an inbound ALLOW on the port, numbered below the
denies, journalled and lifted like them (entries carry ``action``: allow or deny). One that
holds a whole application CIDR would reopen the fence: reported, never allowed. An allow that
ends up behind a deny (a rerun with a new responder CIDR, another incident's deny) is a warning.

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

A plan is a list of ``FenceEntry`` (ACL, rule number, CIDR, port, egress false, action).
stop-writes journals it in the incident's record *before* creating any entry (the allows are
created first, the denies lifted first), so whatever a failed or killed run created is named in
the record, and restore-writes lifts exactly those entries: an
entry is deleted only while it still matches the recorded spec and no other open incident's
record holds it (two records may hold one entry when two incidents fence the same ACL at the
same moment). A rerun keeps the recorded entries that are present and creates the missing ones.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from .aws_errors import aws_call
from .exceptions import RunbookError

RULES_PER_ACL = 20  # Amazon VPC quotas, "Rules per network ACL", per direction, default deny included
DEFAULT_DENY_RULES = (32767, 32768)  # the "*" rules: IPv4, IPv6
MAX_RULE_NUMBER = 32766
TCP = "6"
ALL_PROTOCOLS = "-1"
ALLOW, DENY = "allow", "deny"
_ENTRY_KEYS = {"nacl_id", "rule_number", "cidr", "port", "egress"}


class FenceError(RunbookError):
    """The fence cannot be planned: the account does not say where the database or services are."""


@dataclass(frozen=True, order=True)
class FenceEntry:
    """One inbound entry, a deny (an application CIDR) or an allow (a responder CIDR inside one):
    the identity AWS gives it (ACL, number, direction) and its spec."""

    nacl_id: str
    rule_number: int
    cidr: str
    port: int
    egress: bool = False
    action: str = DENY

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
            "action": self.action,
        }

    @classmethod
    def from_json(cls, data: Any) -> "FenceEntry":
        """Raises ValueError on anything but the shape ``to_json`` writes (without ``action``: a
        record written before the responders' allows, whose entries are all denies)."""
        if not isinstance(data, dict) or set(data) - {"action"} != _ENTRY_KEYS:
            raise ValueError("not a fence entry")
        number, port, egress = data["rule_number"], data["port"], data["egress"]
        action = data.get("action", DENY)
        if not (
            isinstance(data["nacl_id"], str)
            and isinstance(data["cidr"], str)
            and _whole(number)
            and 1 <= number <= MAX_RULE_NUMBER
            and _whole(port)
            and 0 <= port <= 65535
            and egress is False
            and action in (ALLOW, DENY)
        ):
            raise ValueError("not a fence entry")
        ipaddress.IPv4Network(data["cidr"])
        return cls(data["nacl_id"], number, data["cidr"], port, egress, action)

    def matches(self, entry: dict[str, Any]) -> bool:
        """``entry`` (as DescribeNetworkAcls lists it) is this entry, exactly."""
        ports = entry.get("PortRange") or {}
        return (
            entry.get("RuleNumber") == self.rule_number
            and bool(entry.get("Egress")) == self.egress
            and entry.get("RuleAction") == self.action
            and str(entry.get("Protocol")) == TCP
            and entry.get("CidrBlock") == self.cidr
            and ports.get("From") == self.port
            and ports.get("To") == self.port
        )

    def describe(self) -> str:
        return f"{self.nacl_id} rule {self.rule_number} {self.action} tcp {self.cidr} -> :{self.port}"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Network:
    """What the account says about the database and the services, read once per run."""

    db_cluster: str
    port: int
    db_subnets: tuple[str, ...]
    app_subnets: dict[str, str]  # subnet id -> IPv4 CIDR (the services', when derived from them)
    acls: tuple[dict[str, Any], ...]  # DescribeNetworkAcls' entries for the database subnets
    unnetworked: tuple[str, ...] = ()  # services without an awsvpc configuration
    db_cidrs: dict[str, str] = field(default_factory=dict)  # database subnet id -> CIDR (configured)


@dataclass
class FencePlan:
    """The entries to record (and then make present), and what could not be fenced."""

    entries: list[FenceEntry] = field(default_factory=list)
    to_create: list[FenceEntry] = field(default_factory=list)
    present: list[FenceEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the fence is incomplete: ok=false
    warnings: list[str] = field(default_factory=list)


def discover_database(ec2: Any, rds: Any, db_cluster: str, *, cidrs: bool = False) -> Network:
    """The database side alone: the cluster's port and subnets (with their CIDRs when ``cidrs``:
    a configured application CIDR must not be one of them) and the ACLs of those subnets. A
    constant number of calls, whatever the number of services."""
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
    db_cidrs = subnet_cidrs(ec2, db_subnets, "the database subnets") if cidrs else {}
    with aws_call("describing the network ACLs of the database subnets"):
        pages = ec2.get_paginator("describe_network_acls").paginate(
            Filters=[{"Name": "association.subnet-id", "Values": list(db_subnets)}]
        )
        acls = tuple(acl for page in pages for acl in page["NetworkAcls"])
    return Network(db_cluster, int(cluster.get("Port") or 0), db_subnets, {}, acls, db_cidrs=db_cidrs)


def subnet_cidrs(ec2: Any, subnet_ids: Iterable[str], what: str) -> dict[str, str]:
    """Subnet id -> IPv4 CIDR (DescribeSubnets, paged)."""
    ids = sorted(set(subnet_ids))
    if not ids:
        return {}
    with aws_call(f"describing {what}"):
        pages = ec2.get_paginator("describe_subnets").paginate(SubnetIds=ids)
        return {s["SubnetId"]: s["CidrBlock"] for page in pages for s in page["Subnets"]}


def service_subnets(services: list[dict[str, Any]]) -> tuple[dict[str, list[str]], tuple[str, ...]]:
    """Each service's awsvpc subnets, and the services without an awsvpc configuration."""
    by_service = {
        s["serviceName"]: list(
            ((s.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets", [])
        )
        for s in services
    }
    unnetworked = tuple(sorted(name for name, subnets in by_service.items() if not subnets))
    return {name: subnets for name, subnets in by_service.items() if subnets}, unnetworked


def discover(ec2: Any, rds: Any, db_cluster: str, services: list[dict[str, Any]]) -> Network:
    """The cluster's port and subnets, the services' subnets and CIDRs, the database ACLs."""
    database = discover_database(ec2, rds, db_cluster)
    by_service, unnetworked = service_subnets(services)
    app_ids = sorted({subnet for subnets in by_service.values() for subnet in subnets})
    if not app_ids:
        raise FenceError(
            "no service has an awsvpc network configuration: the application subnets are unknown"
        )
    app_subnets = subnet_cidrs(ec2, app_ids, "the application subnets")
    return replace(database, app_subnets=app_subnets, unnetworked=unnetworked)


def outside(
    by_service: dict[str, list[str]], cidrs_by_subnet: dict[str, str], configured: Iterable[str]
) -> dict[str, list[str]]:
    """The services' subnets whose CIDR is inside no configured application CIDR: subnet id ->
    the services running in it."""
    networks = [ipaddress.IPv4Network(c) for c in configured]
    found: dict[str, list[str]] = {}
    for name, subnets in sorted(by_service.items()):
        for subnet in subnets:
            cidr = cidrs_by_subnet.get(subnet)
            if cidr and not any(ipaddress.IPv4Network(cidr).subnet_of(n) for n in networks):
                found.setdefault(subnet, []).append(name)
    return found


def plan(
    network: Network,
    recorded: Iterable[FenceEntry],
    others: dict[FenceEntry, list[str]],
    *,
    app_cidrs: Iterable[str] | None = None,
    responder_cidrs: Iterable[str] = (),
) -> FencePlan:
    """One deny per database ACL and application CIDR (``app_cidrs``, the configured ones, or
    else the services' subnets' CIDRs), and one allow below them per responder CIDR inside an
    application CIDR. ``recorded``: this incident's entries (a rerun keeps them); ``others``:
    entries other open incidents' records hold, by entry."""
    result = FencePlan()
    if network.port <= 0:
        result.problems.append(f"DB cluster {network.db_cluster} reports no port")
        return result
    if app_cidrs is None:
        cidrs = _derived_cidrs(network, result)
    else:
        cidrs = _configured_cidrs(network, sorted(set(app_cidrs)), result)
    allows = _responder_allows(cidrs, responder_cidrs, result)
    mine = list(recorded)
    for acl in sorted(network.acls, key=lambda a: str(a["NetworkAclId"])):
        _plan_acl(
            result, acl, [(ALLOW, c) for c in allows] + [(DENY, c) for c in cidrs], network.port, mine, others
        )
    return result


def reconcile(
    ec2: Any,
    network: Network,
    services: list[dict[str, Any]],
    recorded: Iterable[FenceEntry],
    others: dict[FenceEntry, list[str]],
    app_cidrs: list[str],
    responder_cidrs: list[str],
    *,
    fresh: bool,
    settled: bool = True,
) -> FencePlan:
    """After the services were read: the configured CIDRs checked against the services' subnets
    (one DescribeSubnets). A subnet whose CIDR is inside none is fenced too, with a warning
    naming the service, the subnet and the key to fix; services without awsvpc networking and
    a service in a database subnet are problems, as when the fence is derived from the
    services. ``fresh``: the fence-first step already built the configured entries, so the
    ACLs are read again (only when there is something to add, or when the fence-first step is
    not ``settled``: another run's entries took its numbers) and only what is missing is new."""
    recorded = list(recorded)
    by_service, unnetworked = service_subnets(services)
    cidrs = subnet_cidrs(
        ec2, {s for subnets in by_service.values() for s in subnets}, "the services' subnets"
    )
    missed = outside(by_service, cidrs, app_cidrs)
    shared = sorted(set(missed) & set(network.db_subnets))
    extra = sorted({cidrs[subnet] for subnet in missed if subnet not in shared})
    problems = _service_problems(network, unnetworked, shared)
    warnings = [
        f"service(s) {', '.join(missed[subnet])} run in subnet {subnet} ({cidrs[subnet]}), inside no "
        f"configured application CIDR: fenced after the services were read; add {cidrs[subnet]} "
        "to the stack config's network.applicationSubnetCidrs (ZELLY_APP_CIDRS, --app-cidr)"
        for subnet in sorted(missed)
        if subnet not in shared
    ]
    if fresh and settled and not extra:
        result = FencePlan(entries=recorded)
    else:
        if fresh:  # the fence-first entries are up now: numbers are chosen around them
            found = acl_entries(ec2, (str(acl["NetworkAclId"]) for acl in network.acls))
            network = replace(
                network, acls=tuple({"NetworkAclId": i, "Entries": e} for i, e in sorted(found.items()))
            )
        result = plan(
            network, recorded, others, app_cidrs=[*app_cidrs, *extra], responder_cidrs=responder_cidrs
        )
    result.problems[:0] = problems
    result.warnings[:0] = warnings
    return result


def _service_problems(network: Network, unnetworked: Iterable[str], shared: list[str]) -> list[str]:
    problems = []
    if unnetworked:
        problems.append(
            "services without an awsvpc network configuration are not fenced (their subnets are "
            f"unknown): {', '.join(unnetworked)}"
        )
    if shared:
        problems.append(
            f"application subnet(s) {', '.join(shared)} are also database subnets of "
            f"{network.db_cluster}: not fenced (the deny would cut the database's own subnet)"
        )
    return problems


def _derived_cidrs(network: Network, result: FencePlan) -> list[str]:
    shared = sorted(set(network.app_subnets) & set(network.db_subnets))
    result.problems += _service_problems(network, network.unnetworked, shared)
    return sorted({cidr for subnet, cidr in network.app_subnets.items() if subnet not in shared})


def _configured_cidrs(network: Network, configured: list[str], result: FencePlan) -> list[str]:
    kept = []
    for cidr in configured:
        overlapping = sorted(
            subnet
            for subnet, db_cidr in network.db_cidrs.items()
            if ipaddress.IPv4Network(db_cidr).overlaps(ipaddress.IPv4Network(cidr))
        )
        if overlapping:
            result.problems.append(
                f"application CIDR {cidr} overlaps database subnet(s) {', '.join(overlapping)} of "
                f"{network.db_cluster}: not fenced (the deny would cut the database's own subnet); "
                "fix network.applicationSubnetCidrs"
            )
        else:
            kept.append(cidr)
    return kept


def _responder_allows(cidrs: list[str], responders: Iterable[str], result: FencePlan) -> list[str]:
    """The responder CIDRs that need an allow: those inside an application CIDR. One that
    overlaps none needs no entry (no deny matches it); one that holds a whole application CIDR
    would reopen the fence, and is reported instead."""
    allows = []
    apps = [ipaddress.IPv4Network(c) for c in cidrs]
    for cidr in sorted(set(responders)):
        network = ipaddress.IPv4Network(cidr)
        covered = [str(app) for app in apps if app.subnet_of(network)]
        if covered:
            result.problems.append(
                f"responder CIDR {cidr} holds application CIDR(s) {', '.join(covered)}: an allow "
                "for it would reopen the fence, so none is made (fix network.responderCidrs)"
            )
        elif any(network.overlaps(app) for app in apps):
            allows.append(cidr)
    return allows


def _plan_acl(
    result: FencePlan,
    acl: dict[str, Any],
    wanted: list[tuple[str, str]],
    port: int,
    recorded: list[FenceEntry],
    others: dict[FenceEntry, list[str]],
) -> None:
    acl_id = str(acl["NetworkAclId"])
    inbound = [e for e in acl.get("Entries", []) if not e.get("Egress")]
    # Every number a record holds in this ACL is taken, made or not: a recorded entry not made
    # yet (a killed run, a failed create) is made at its number later in this loop or by a
    # rerun, and a new entry at that number would be left out of the record (merge_fence).
    fence = [e for e in [*recorded, *others] if e.nacl_id == acl_id]
    taken = {int(e["RuleNumber"]) for e in inbound} | {e.rule_number for e in fence}
    # The fence's own responders' allows are narrower than the denies on purpose: they decide
    # neither where a deny may go nor whether it is effective.
    foreign = [e for e in inbound if not any(f.action == ALLOW and f.matches(e) for f in fence)]
    mine = {(e.action, e.cidr): e for e in recorded if e.nacl_id == acl_id and e.port == port}
    kept: list[FenceEntry] = []
    new: list[FenceEntry] = []
    for action, cidr in wanted:  # the allows first: they take the lowest numbers
        entry = mine.get((action, cidr))
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
        number = _free_number(taken, _first_allow(foreign, cidr, port))
        if number is None:
            result.problems.append(
                f"{acl_id}: no free inbound rule number below the first rule allowing tcp from {cidr} "
                f"to :{port} (rule {_first_allow(foreign, cidr, port)}); that allow would win over a "
                f"{action}: not fenced"
            )
            continue
        taken.add(number)
        new.append(FenceEntry(acl_id, number, cidr, port, action=action))
    # AWS lists the default deny; moto does not: counted once either way.
    used = len({int(e["RuleNumber"]) for e in inbound} | {DEFAULT_DENY_RULES[0]})
    if new and used + len(new) > RULES_PER_ACL:
        result.problems.append(
            f"{acl_id} has {used} inbound rules (the default deny counted); {len(new)} more would "
            f"pass AWS's default quota of {RULES_PER_ACL} rules per network ACL: not fenced (raise "
            "the quota, or free rule numbers, then rerun)"
        )
        new = []
    _check_effective(result, foreign, kept + new)
    result.entries += kept + new
    result.present += kept
    result.to_create += new


def _check_effective(result: FencePlan, inbound: list[dict[str, Any]], entries: list[FenceEntry]) -> None:
    """A deny behind an allow of the same traffic stops nothing (a problem); a responders' allow
    behind a deny keeps their path cut (a warning: writes are stopped all the same)."""
    denies = [
        {"RuleNumber": e.rule_number, "RuleAction": DENY, "CidrBlock": e.cidr, "Protocol": TCP}
        for e in entries
        if e.action == DENY
    ]
    for entry in entries:
        if entry.action == DENY:
            allow = _first_allow(inbound, entry.cidr, entry.port)
            if allow is not None and allow < entry.rule_number:
                result.problems.append(
                    f"{entry.describe()} is not effective: rule {allow} allows the same traffic first"
                )
            continue
        deny = _first_matching(inbound + denies, DENY, entry.cidr, entry.port)
        if deny is not None and deny < entry.rule_number:
            result.warnings.append(
                f"{entry.describe()} does not keep the responders' path open: rule {deny} denies "
                "the same traffic first"
            )


def _first_allow(inbound: list[dict[str, Any]], cidr: str, port: int) -> int | None:
    """The lowest-numbered inbound ALLOW matching some of tcp from ``cidr`` to ``port``."""
    return _first_matching(inbound, ALLOW, cidr, port)


def _first_matching(inbound: list[dict[str, Any]], action: str, cidr: str, port: int) -> int | None:
    network = ipaddress.IPv4Network(cidr)
    numbers = [
        int(e["RuleNumber"])
        for e in inbound
        if e.get("RuleAction") == action
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
    """Create ``entries``, the responders' allows first (their path is never cut); an entry found
    already there with exactly its spec counts as made (another run of the same plan). Returns
    (created or found, failures)."""
    made: list[FenceEntry] = []
    failed: list[dict[str, str]] = []
    for entry in sorted(entries, key=lambda e: e.action != ALLOW):
        try:
            with aws_call(f"creating {entry.describe()}"):
                ec2.create_network_acl_entry(
                    NetworkAclId=entry.nacl_id,
                    RuleNumber=entry.rule_number,
                    Protocol=TCP,
                    RuleAction=entry.action,
                    Egress=entry.egress,
                    CidrBlock=entry.cidr,
                    PortRange={"From": entry.port, "To": entry.port},
                )
            made.append(entry)
        except RunbookError as error:
            if _there(ec2, entry):
                made.append(entry)
            else:
                failed.append({"entry": entry.describe(), "error": str(error)})
    return made, failed


def _there(ec2: Any, entry: FenceEntry) -> bool:
    """The entry is in its ACL as specified; False when that cannot be read either (a failed
    look must not stop the run before the scale-down: the entry is journalled, a rerun or
    restore-writes finds out)."""
    try:
        return entry in present(ec2, [entry])
    except RunbookError:
        return False


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
    holds, the denies first (the responders' allows go last); leave (and report) one changed by
    someone else."""
    result = Lift()
    found = acl_entries(ec2, (e.nacl_id for e in entries))
    for entry in sorted(set(entries), key=lambda e: (e.action == ALLOW, e)):
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
