"""Stop all writes (P0-B, first step): fence the database, then scale every service to 0.

Writes stop in O(1), whatever the number of services: the first change is the write fence
(write_fence), network ACL entries on the database subnets denying the application subnets the
cluster's port. ACLs are stateless, so the pooled connections are cut too; the responders' path
stays open (an allow below the denies for a responder CIDR inside an application subnet).

With the application CIDRs given (``--app-cidr``, ``ZELLY_APP_CIDRS``, the stack config's
``network.applicationSubnetCidrs``) the fence goes up *first*: planned from them and the
database side alone, with the incident's record and the other records read right after its
ACLs (a constant handful of calls, the same at 5 services and at 500), journalled in the record (the
write that opens a new record, with no counts, or reopens a restored one, its old counts
dropped: see incident_state), created (``fenced_at``: writes stopped), and only then are the
services read, their counts recorded (a rewrite of the open record, which keeps its opening
time) and scaled to 0. A service found in a subnet outside the configured CIDRs is fenced then
(journalled first) with a warning naming it, the subnet and the key to fix. Without them the
fence is planned from the services' subnets after the fleet is read, recorded with the counts,
built, then the services scaled; the result's warnings say the fence waited for the fleet and
how to make it immediate. A fence that cannot be built (no subnet group, services without awsvpc
networking, a full ACL, an allow rule that would win) does not hold up the scale-down (a P0-B
cannot wait): the services still go to 0, ``fence.problems`` says what failed, ok is false, and
a rerun finishes what can be finished. restore-writes lifts the recorded entries before scaling
back up.

A run stopped between the fence and the counts (killed, or an AWS error reading the services)
leaves a record holding the fence and no counts: a rerun completes it (the entries kept, the
counts recorded), restore-writes lifts the fence and scales nothing.

Each service's desired count is recorded durably *before* anything is scaled, in one SSM
parameter per incident, so restore-writes can bring the platform back exactly as it was. A
rerun never overwrites that record with the zeros it now sees: it keeps what is recorded and
only adds services the record lacks. If some services fail to scale, the others still go to
0, the failures are reported (ok=false, non-zero exit) and a rerun finishes the job.

Nor does another incident id (a typo, a second responder) record zeros as originals: a service
at 0 that another incident's open record holds at a count above 0 is recorded at that count,
and ``originals_from`` names the incident and services (the newest open record wins when two
disagree, with a warning: records are ordered by when they were opened, by SSM's clock, see
incident_state). Stopping writes is not refused for this: a P0-B cannot wait. A service at 0
that no open record explains is recorded at 0 (a worker scaled to 0 on purpose), as long as
some service is recorded above 0.

A whole fleet at 0 that no open record explains is refused (RefusedError, exit 1, nothing
recorded or changed; a fence put up first is lifted again and the record put back as it was,
deleted if this run created it, before the refusal, and the message says so, or says what is
left if that failed): writes are already stopped, by an incident whose record this run cannot
see (another --state-prefix: SSM names are case-sensitive, so /Incident-Guardrails is not
/incident-guardrails) or by hand. Its zeros are nobody's original counts, and a record of them
would make restore-writes bring nothing back; the message says to find that incident's record.
A rerun of the incident that did stop them is not refused: its own record holds the counts.

Against another incident's stop-writes or restore-writes running at the same time:

- The other records are read *before* the counts, and again after. A record is marked restored
  only after restore-writes has read every service back at its count, so counts read after a
  record was seen closed reflect that restore; a zero read while a record was open is explained
  by it. If a record changed between the two reads (a restore finished, another stop recorded),
  the reads start over; after a few changing rounds the zeros are explained by the records of
  either read (a record open in either one held the service at its count).
- After scaling, every service is described again, and any service not at 0 (a concurrent
  restore-writes that scaled it up after the counts were read) is scaled to 0 again: ``ok`` means
  every service was *seen* at 0 after this run's record was written. A restore-writes of an
  older incident that scales up later sees this record and puts its services back to 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .action import Action, ActionResult, IamCondition, IamGrant
from .clients import AwsClients
from .common_params import APP_CIDR, CLUSTER, DB_CLUSTER, INCIDENT_ID, RESPONDER_CIDR
from .ecs_helpers import describe_services, list_service_names
from .exceptions import RefusedError, RunbookError
from .fanout import fan_out, paced
from .fleet import set_desired_counts
from .incident_state import (
    STATE_PREFIX,
    DesiredCounts,
    desired_counts_parameter,
    merge_fence,
    open_records,
    placed,
    put_back,
    read_record,
    read_record_value,
    save_record,
    snapshot,
)
from .rds_helpers import iso, utc_now
from .write_fence import (
    FenceEntry,
    FencePlan,
    Network,
    as_json,
    build,
    discover,
    discover_database,
    held_by,
    lift,
    plan,
    reconcile,
)

NAME = "stop-writes"


# Rounds of (records, counts, records) before the counts are used anyway, and of scaling again
# services seen running after the scale-down: each round follows a concurrent change, not a timer.
_READ_ROUNDS = 3
_STOP_ROUNDS = 3

WAITED_FOR_THE_FLEET = (
    "the write fence waited for the fleet to be read (its CIDRs come from the services' subnets): "
    "configure the application subnets' CIDRs (stack config network.applicationSubnetCidrs, "
    "ZELLY_APP_CIDRS, --app-cidr) to fence first, in a constant number of calls"
)


@dataclass
class FenceFirst:
    """What the fence-first step did, before the services were read (to merge into the result,
    or to undo on a refusal)."""

    prior: str | None  # the record as stored before this run (None: there was none)
    prior_fence: tuple[FenceEntry, ...]
    network: Network | None  # None: the database side could not be read
    plan: FencePlan
    wrote: bool = False  # this run wrote the record (opened, reopened, or added entries)
    record: str = "kept"  # created | reopened | kept
    made: list[FenceEntry] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    fenced_at: str | None = None
    merged: bool = False  # another run of the incident journalled other entries at our numbers


def stop_writes(
    clients: AwsClients,
    *,
    cluster: str,
    db_cluster: str,
    incident_id: str,
    state_prefix: str,
    app_cidr: list[str] | None = None,
    responder_cidr: list[str] | None = None,
    dry_run: bool = False,
) -> ActionResult:
    ecs, ssm = paced(clients.ecs), clients.ssm  # the process's ECS buckets, shared with every action
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)  # refuses bad names
    cidrs = Cidrs(sorted(set(app_cidr or [])), sorted(set(responder_cidr or [])))
    first = None
    if cidrs.app and not dry_run:  # writes stop here, before a single service is read
        first = _fence_first(clients, cluster, db_cluster, incident_id, state_prefix, parameter, cidrs)
    current, described, others, warnings = _consistent_read(ecs, ssm, state_prefix, cluster, parameter)
    own = read_record(ssm, parameter)
    recorded = own.counts if own is not None and own.open else None
    recorded_fence = own.fence if own is not None and own.open else ()
    if len(others) > 1:  # their order decides between counts they disagree on
        others, unplaced = placed(ssm, others, strict=False)
        warnings = warnings + unplaced
    originals, sources, conflicts = _originals(
        {name: count for name, count in current.items() if name not in (recorded or {})}, others
    )
    to_record = {**originals, **(recorded or {})}
    if current and not any(current.values()) and not any(to_record.values()):
        raise RefusedError(_refusal(clients, cluster, incident_id, state_prefix, parameter, first))
    to_stop = {name: 0 for name, count in current.items() if count != 0}
    fence = _plan_fence(clients, db_cluster, described, recorded_fence, others, cidrs, first)
    fence_to_record = merge_fence(recorded_fence, tuple(fence.entries))
    details: dict[str, Any] = {
        "cluster": cluster,
        "incident_id": incident_id,
        "record_parameter": parameter,
        "already_stopped": sorted(name for name, count in current.items() if count == 0),
        "originals_from": sources,
        "warnings": warnings + conflicts + ([] if cidrs.app else [WAITED_FOR_THE_FLEET]),
    }
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_record": {**originals, **(recorded or {})},
                "would_record_as": _planned_record_action(own, originals),
                "would_stop": _plan(to_stop, current),
                "would_fence": {**_fence_details(fence, fence_to_record), "first": bool(cidrs.app)},
                "would_change": bool(originals or to_stop or fence.to_create) or recorded is None,
            },
        )
    details["record"] = first.record if first is not None and first.wrote else _record_action(own, originals)
    record_written = bool(originals) or recorded is None or set(fence_to_record) != set(recorded_fence)
    if record_written:
        opened = None  # this write opens the record (created, or reopened after a restore) ...
        if own is not None and own.open:  # ... or keeps the place it was opened at
            [own], unplaced = placed(ssm, [own], strict=False)
            opened = own.opened
            details["warnings"] += unplaced
        recorded, fence_to_record = save_record(
            ssm,
            parameter,
            cluster=cluster,
            incident_id=incident_id,
            counts={**originals, **(recorded or {})},
            replace=own is not None,
            opened=opened,
            fence=fence_to_record,
        )
        _only_recorded(fence, fence_to_record)
    details["fence"] = _fence(clients.ec2, fence, fence_to_record, first)  # without CIDRs: writes stop here
    stopped, failed = set_desired_counts(ecs, cluster, to_stop, current)
    running = _stop_what_still_runs(ecs, cluster, sorted(current), stopped, failed)
    details["already_stopped"] = sorted(set(details["already_stopped"]) - {s["service"] for s in stopped})
    details.update(recorded_counts=recorded, stopped=stopped, failed=failed, not_stopped=running)
    if failed or running:
        details["note"] = (
            "some services were not scaled to 0; rerun the same command to "
            "finish (the recorded counts are kept)"
        )
    fenced = not details["fence"]["problems"] and not details["fence"]["failed"]
    if not fenced:
        details["note"] = "; ".join(
            filter(
                None,
                [
                    details.get("note"),
                    "the write fence is not complete (fence.problems, fence.failed); the services "
                    "were scaled to 0 regardless; rerun the same command once fixed",
                ],
            )
        )
    return ActionResult(
        NAME,
        ok=not failed and not running and fenced,
        changed=record_written
        or bool(stopped)
        or bool(details["fence"]["created"])
        or (first is not None and first.wrote),
        dry_run=False,
        details=details,
    )


@dataclass(frozen=True)
class Cidrs:
    """The configured CIDRs: the application subnets' (fenced first) and the responders'."""

    app: list[str]
    responders: list[str]


def _fence_first(
    clients: AwsClients,
    cluster: str,
    db_cluster: str,
    incident_id: str,
    state_prefix: str,
    parameter: str,
    cidrs: Cidrs,
) -> FenceFirst:
    """Plan the fence from the configured CIDRs and the database side alone, journal it (this
    write opens a new record, with no counts), then create the entries: a constant number of
    calls, whatever the number of services. The records are read *after* the ACLs (both at
    once): every run journals an entry before creating it, so an entry seen in an ACL is then
    in the record read, never taken for someone else's (read beside the ACLs, a concurrent run
    of this incident journalled and created between the two reads: its entries were foreign
    here, its allow 'won' over the denies and a deny of its CIDR was planned at a new number,
    then dropped from the record by that run's own rewrite: an entry no record names)."""
    ssm = clients.ssm
    found = _database(clients, db_cluster)
    reads: list[Any] = fan_out(
        _call,
        [
            lambda: read_record_value(ssm, parameter),
            lambda: open_records(ssm, state_prefix, cluster, but=parameter),
        ],
    )
    (prior, own), (others, _) = reads
    is_open = own is not None and own.open
    recorded: tuple[FenceEntry, ...] = own.fence if is_open else ()
    network = found if isinstance(found, Network) else None
    if network is not None:
        fence = plan(
            network, recorded, held_by(others), app_cidrs=cidrs.app, responder_cidrs=cidrs.responders
        )
    else:
        fence = FencePlan(entries=list(recorded), problems=[f"the write fence cannot be planned: {found}"])
    first = FenceFirst(prior, recorded, network, fence)
    to_record = merge_fence(recorded, tuple(fence.entries))
    if set(to_record) != set(recorded):
        opened = placed(ssm, [own], strict=False)[0][0].opened if is_open else None
        _, to_record = save_record(
            ssm,
            parameter,
            cluster=cluster,
            incident_id=incident_id,
            counts=dict(own.counts) if is_open else {},  # a reopened record's old counts explain nothing
            replace=own is not None,
            opened=opened,
            fence=to_record,
        )
        first.wrote = True
        first.record = "created" if own is None else "kept" if is_open else "reopened"
    first.merged = _only_recorded(fence, to_record)
    first.made, first.failed = build(clients.ec2, fence.to_create) if fence.to_create else ([], [])
    if fence.entries and not first.failed and not first.merged:
        first.fenced_at = iso(utc_now())  # writes stop here
    return first


def _only_recorded(fence: FencePlan, recorded: tuple[FenceEntry, ...]) -> bool:
    """Keep only the planned entries the record now holds: a concurrent run of the incident that
    journalled first keeps its entries at the rule numbers both plans chose (``merge_fence``),
    and an entry no record names must never be created. True when some were dropped (the
    record's own entries are then planned again after the read)."""
    dropped = set(fence.entries) - set(recorded)
    fence.entries = [e for e in fence.entries if e not in dropped]
    fence.to_create = [e for e in fence.to_create if e not in dropped]
    return bool(dropped)


def _call(read: Callable[[], Any]) -> Any:
    return read()


def _database(clients: AwsClients, db_cluster: str) -> Network | str:
    try:
        return discover_database(clients.ec2, clients.rds, db_cluster, cidrs=True)
    except RunbookError as error:
        return str(error)


def _plan_fence(
    clients: AwsClients,
    db_cluster: str,
    described: list[dict[str, Any]],
    recorded: tuple[FenceEntry, ...],
    others: list[DesiredCounts],
    cidrs: Cidrs,
    first: FenceFirst | None,
) -> FencePlan:
    """The fence to record and build after the read: from the services' subnets without
    configured CIDRs; with them, what the services show the configuration misses (reconcile).
    One that cannot be planned is a problem, not a failure."""
    try:
        if not cidrs.app:
            network = discover(clients.ec2, clients.rds, db_cluster, described)
            return plan(network, recorded, held_by(others))
        if first is not None and first.network is None:
            return FencePlan(entries=list(recorded))  # the fence-first step said why
        network = (
            first.network
            if first is not None and first.network is not None
            else discover_database(clients.ec2, clients.rds, db_cluster, cidrs=True)
        )
        return reconcile(
            clients.ec2,
            network,
            described,
            recorded,
            held_by(others),
            cidrs.app,
            cidrs.responders,
            fresh=first is not None,
            settled=first is None or not first.merged,
        )
    except RunbookError as error:
        return FencePlan(entries=list(recorded), problems=[f"the write fence cannot be planned: {error}"])


def _fence(
    ec2: Any, fence: FencePlan, recorded: tuple[FenceEntry, ...], first: FenceFirst | None
) -> dict[str, Any]:
    """Create the entries the record now holds and the account lacks (without configured CIDRs,
    writes stop here); with a fence-first step, its entries and what it reported are merged in."""
    made, failed = build(ec2, fence.to_create) if fence.to_create else ([], [])
    details = _fence_details(fence, recorded)
    fenced_at = iso(utc_now()) if not failed and fence.entries else None
    if first is not None:
        later = {entry.describe() for entry in made}
        failed = [f for f in first.failed if f["entry"] not in later] + failed
        made = sorted(set(first.made) | set(made))
        details["create"] = as_json(set(first.plan.to_create) | set(fence.to_create))
        details["kept"] = as_json(first.plan.present)
        details["problems"] = first.plan.problems + [
            p for p in fence.problems if p not in first.plan.problems
        ]
        details["warnings"] = first.plan.warnings + [
            w for w in fence.warnings if w not in first.plan.warnings
        ]
        fenced_at = first.fenced_at or (fenced_at if made and not failed else None)
    return {
        **details,
        "first": first is not None,
        "created": as_json(made),
        "failed": failed,
        "fenced_at": fenced_at,
    }


def _fence_details(fence: FencePlan, recorded: tuple[FenceEntry, ...]) -> dict[str, Any]:
    return {
        "entries": as_json(recorded),
        "create": as_json(fence.to_create),
        "kept": as_json(fence.present),
        "problems": fence.problems,
        "warnings": fence.warnings,
    }


def _refusal(
    clients: AwsClients,
    cluster: str,
    incident_id: str,
    state_prefix: str,
    parameter: str,
    first: FenceFirst | None,
) -> str:
    """The refusal's message; a fence-first step's entries and record write are undone first
    (the record put back as it was, deleted when there was none), so that it stays true."""
    message = _nothing_to_record(cluster, incident_id, state_prefix)
    ours = list(first.made) if first is not None else []  # every one was absent before this run
    if first is None or not (ours or first.wrote):
        return message + "; nothing was changed"
    try:
        others, _ = open_records(clients.ssm, state_prefix, cluster, but=parameter)
        undone = lift(clients.ec2, ours, held_by(others))
        if undone.failed or undone.changed:
            raise RunbookError("; ".join([f["error"] for f in undone.failed] + undone.changed))
        if first.wrote:
            put_back(clients.ssm, parameter, first.prior)
    except RunbookError as error:
        return (
            f"{message}; the write fence this run put up before reading the services could not be "
            f"taken down ({error}): record {parameter} names its entries, lift them with "
            f"restore-writes --incident-id {incident_id} --state-prefix {state_prefix}"
        )
    return (
        f"{message}; nothing was changed (the write fence this run put up before reading the "
        f"services, {len(ours)} entries, was lifted again and its record put back as it was)"
    )


def _nothing_to_record(cluster: str, incident_id: str, state_prefix: str) -> str:
    return (
        f"writes are already stopped: every service of {cluster} is at 0 and no open "
        f"incident record under {state_prefix} explains it (another incident under another "
        f"--state-prefix, or by hand?); nothing to record for {incident_id}, since zeros are "
        "nobody's original counts: find that incident's record and restore writes with its "
        "--incident-id and --state-prefix"
    )


def _consistent_read(
    ecs: Any, ssm: Any, prefix: str, cluster: str, parameter: str
) -> tuple[dict[str, int], list[dict[str, Any]], list[DesiredCounts], list[str]]:
    """The current counts (and the services as described), and the open records that explain
    their zeros: records first, then counts, then records again, until no record changed in
    between."""
    for _ in range(_READ_ROUNDS):
        before, warnings = open_records(ssm, prefix, cluster, but=parameter)
        described = describe_services(ecs, cluster, list_service_names(ecs, cluster))
        current = _counts(described)
        after, warnings_after = open_records(ssm, prefix, cluster, but=parameter)
        if snapshot(before) == snapshot(after):
            return current, described, after, warnings_after
    # Still changing: a record open in either read held its services at its counts.
    merged = {r.parameter: r for r in before}
    merged.update({r.parameter: r for r in after})
    return (
        current,
        described,
        list(merged.values()),
        sorted(set(warnings + warnings_after))
        + [
            f"other incidents' records changed while the counts were read, {_READ_ROUNDS} times in a "
            "row (another stop-writes or restore-writes is running): zeros were explained by the "
            "records of both reads"
        ],
    )


def _stop_what_still_runs(
    ecs: Any, cluster: str, names: list[str], stopped: list[dict[str, Any]], failed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Describe every service again and scale to 0 the ones not at 0 (a concurrent restore
    scaled them up after the counts were read); ``stopped`` and ``failed`` are updated. Returns
    what still runs after a few rounds (the failed ones are reported as failed instead)."""
    for round_ in range(_STOP_ROUNDS + 1):
        failed_names = {f["service"] for f in failed}
        present = set(list_service_names(ecs, cluster))
        seen = _desired_counts(ecs, cluster, [name for name in names if name in present])
        running = {name: count for name, count in seen.items() if count != 0 and name not in failed_names}
        if not running or round_ == _STOP_ROUNDS:
            return [{"service": name, "desired": count} for name, count in sorted(running.items())]
        again, again_failed = set_desired_counts(ecs, cluster, {name: 0 for name in running}, running)
        done = {s["service"] for s in again}
        stopped[:] = [s for s in stopped if s["service"] not in done] + again
        failed += again_failed
    return []  # not reached: the last round returns


def _originals(
    current: dict[str, int], others: list[DesiredCounts]
) -> tuple[dict[str, int], dict[str, list[str]], list[str]]:
    """The count to record for each service: its current one, unless it is 0 and an open record
    of another incident holds it above 0. Also which incident each count came from, and a
    warning where open records disagree."""
    originals = dict(current)
    sources: dict[str, list[str]] = {}
    conflicts: list[str] = []
    newest_first = sorted(others, key=DesiredCounts.age, reverse=True)
    for name in sorted(n for n, count in current.items() if count == 0):
        holding = [r for r in newest_first if r.counts.get(name, 0) > 0]
        if not holding:
            continue
        originals[name] = holding[0].counts[name]
        sources.setdefault(holding[0].incident_id, []).append(name)
        if len({r.counts[name] for r in holding}) > 1:
            conflicts.append(
                f"{name}: open records disagree ("
                + ", ".join(f"{r.incident_id} {r.counts[name]}" for r in holding)
                + f"); recorded {originals[name]} from {holding[0].incident_id}, "
                "the newest"
            )
    return originals, sources, conflicts


def _desired_counts(ecs: Any, cluster: str, names: list[str]) -> dict[str, int]:
    return _counts(describe_services(ecs, cluster, names))


def _counts(described: list[dict[str, Any]]) -> dict[str, int]:
    return {s["serviceName"]: s["desiredCount"] for s in described}


def _planned_record_action(own: DesiredCounts | None, unrecorded: dict[str, int]) -> str:
    """What a dry run's ``_record_action`` would be, said as a plan: create, reopen or keep."""
    if own is None:
        return "create"
    if not own.open:
        return "reopen"
    if unrecorded:
        return f"keep; add {', '.join(sorted(unrecorded))}"
    return "keep"


def _record_action(own: DesiredCounts | None, unrecorded: dict[str, int]) -> str:
    if own is None:
        return "created"
    if not own.open:  # writes were restored, and are now stopped again
        return "reopened"
    if unrecorded:
        return f"kept; added {', '.join(sorted(unrecorded))}"
    return "kept"


def _plan(targets: dict[str, int], current: dict[str, int]) -> list[dict[str, Any]]:
    return [{"service": name, "from": current[name], "to": targets[name]} for name in sorted(targets)]


ACTION = Action(
    name=NAME,
    summary="Fence the database's port from the application subnets (first, when their CIDRs are "
    "given), record every service's desired count, then scale all to 0 in parallel.",
    params=(CLUSTER, DB_CLUSTER, INCIDENT_ID, STATE_PREFIX, APP_CIDR, RESPONDER_CIDR),
    run=stop_writes,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-cluster-services"),
        # GetParametersByPath: the other incidents' records (the path is under the same prefix);
        # GetParameterHistory: when a record was opened, which orders the incidents.
        # DeleteParameter: only to undo a record this run opened for its fence, when it refuses.
        IamGrant(
            (
                "ssm:DeleteParameter",
                "ssm:GetParameter",
                "ssm:GetParameterHistory",
                "ssm:GetParametersByPath",
                "ssm:PutParameter",
            ),
            "ssm-state-parameter",
        ),
        # The write fence, read from the account: the cluster's subnet group and port ...
        IamGrant(("rds:DescribeDBClusters",), "rds-cluster"),
        IamGrant(("rds:DescribeDBSubnetGroups",), "rds-subnet-group"),
        # ... the services' subnets and the database subnets' ACLs (no resource type: "*") ...
        IamGrant(("ec2:DescribeNetworkAcls", "ec2:DescribeSubnets"), "*"),
        # ... and the entries, on the account's network ACLs in the region (deleted only to undo
        # this run's own fence when it refuses).
        IamGrant(("ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"), "ec2-network-acl"),
    ),
    mutating=True,
)
