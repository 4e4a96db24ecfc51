"""Stop all writes (P0-B, first step): fence the database, then scale every service to 0.

Writes stop in O(1), whatever the number of services: the first change is the write fence
(write_fence), network ACL entries on the database subnets denying the services' subnets the
cluster's port. ACLs are stateless, so the pooled connections are cut too, in a few EC2 calls
that do not depend on the number of services; the responders' VPN path stays open. Its plan is
recorded with the counts, in the same write and before any entry is created; the result gives
the entries and ``fenced_at``. Then every service is scaled to 0, behind the fence, as the guide
says. A fence that cannot be built (no subnet group, services without awsvpc networking, a full
ACL, an allow rule that would win) does not hold up the scale-down (a P0-B cannot wait): the
services still go to 0, ``fence.problems`` says what failed, ok is false, and a rerun finishes
what can be finished. restore-writes lifts the recorded entries before scaling back up.

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
recorded or changed): writes are already stopped, by an incident whose record this run cannot
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

from typing import Any

from .action import Action, ActionResult, IamCondition, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, DB_CLUSTER, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .exceptions import RefusedError, RunbookError
from .fanout import paced
from .fleet import set_desired_counts
from .incident_state import (
    STATE_PREFIX,
    DesiredCounts,
    desired_counts_parameter,
    merge_fence,
    open_records,
    placed,
    read_record,
    save_desired_counts,
    snapshot,
)
from .rds_helpers import iso, utc_now
from .write_fence import FenceEntry, FencePlan, as_json, build, discover, held_by, plan

NAME = "stop-writes"


# Rounds of (records, counts, records) before the counts are used anyway, and of scaling again
# services seen running after the scale-down: each round follows a concurrent change, not a timer.
_READ_ROUNDS = 3
_STOP_ROUNDS = 3


def stop_writes(
    clients: AwsClients,
    *,
    cluster: str,
    db_cluster: str,
    incident_id: str,
    state_prefix: str,
    dry_run: bool = False,
) -> ActionResult:
    ecs, ssm = paced(clients.ecs), clients.ssm  # the process's ECS buckets, shared with every action
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)  # refuses bad names
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
        raise RefusedError(_nothing_to_record(cluster, incident_id, state_prefix))
    to_stop = {name: 0 for name, count in current.items() if count != 0}
    fence = _plan_fence(clients, db_cluster, described, recorded_fence, others)
    fence_to_record = merge_fence(recorded_fence, tuple(fence.entries))
    details: dict[str, Any] = {
        "cluster": cluster,
        "incident_id": incident_id,
        "record_parameter": parameter,
        "record": _record_action(own, originals),
        "already_stopped": sorted(name for name, count in current.items() if count == 0),
        "originals_from": sources,
        "warnings": warnings + conflicts,
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
                "would_stop": _plan(to_stop, current),
                "would_fence": _fence_details(fence, fence_to_record),
                "would_change": bool(originals or to_stop or fence.to_create) or recorded is None,
            },
        )
    record_written = bool(originals) or recorded is None or set(fence_to_record) != set(recorded_fence)
    if record_written:
        opened = None  # this write opens the record (created, or reopened after a restore) ...
        if own is not None and own.open:  # ... or keeps the place it was opened at
            [own], unplaced = placed(ssm, [own], strict=False)
            opened = own.opened
            details["warnings"] += unplaced
        recorded = save_desired_counts(
            ssm,
            parameter,
            cluster=cluster,
            incident_id=incident_id,
            counts={**originals, **(recorded or {})},
            replace=own is not None,
            opened=opened,
            fence=fence_to_record,
        )
    details["fence"] = _fence(clients.ec2, fence, fence_to_record)  # writes stop here
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
        changed=record_written or bool(stopped) or bool(details["fence"]["created"]),
        dry_run=False,
        details=details,
    )


def _plan_fence(
    clients: AwsClients,
    db_cluster: str,
    described: list[dict[str, Any]],
    recorded: tuple[FenceEntry, ...],
    others: list[DesiredCounts],
) -> FencePlan:
    """The fence to record and build; one that cannot be planned is a problem, not a failure."""
    try:
        network = discover(clients.ec2, clients.rds, db_cluster, described)
    except RunbookError as error:
        return FencePlan(entries=list(recorded), problems=[f"the write fence cannot be planned: {error}"])
    return plan(network, recorded, held_by(others))


def _fence(ec2: Any, fence: FencePlan, recorded: tuple[FenceEntry, ...]) -> dict[str, Any]:
    """Create the entries the record now holds and the account lacks: writes stop here."""
    made, failed = build(ec2, fence.to_create) if fence.to_create else ([], [])
    return {
        **_fence_details(fence, recorded),
        "created": as_json(made),
        "failed": failed,
        "fenced_at": iso(utc_now()) if not failed and fence.entries else None,
    }


def _fence_details(fence: FencePlan, recorded: tuple[FenceEntry, ...]) -> dict[str, Any]:
    return {
        "entries": as_json(recorded),
        "create": as_json(fence.to_create),
        "kept": as_json(fence.present),
        "problems": fence.problems,
        "warnings": fence.warnings,
    }


def _nothing_to_record(cluster: str, incident_id: str, state_prefix: str) -> str:
    return (
        f"writes are already stopped: every service of {cluster} is at 0 and no open "
        f"incident record under {state_prefix} explains it (another incident under another "
        f"--state-prefix, or by hand?); nothing to record for {incident_id}, since zeros are "
        "nobody's original counts: find that incident's record and restore writes with its "
        "--incident-id and --state-prefix; nothing was changed"
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
    summary="Record every service's desired count and the write fence, fence the database's port "
    "from the services' subnets, then scale all to 0 in parallel.",
    params=(CLUSTER, DB_CLUSTER, INCIDENT_ID, STATE_PREFIX),
    run=stop_writes,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-cluster-services"),
        # GetParametersByPath: the other incidents' records (the path is under the same prefix);
        # GetParameterHistory: when a record was opened, which orders the incidents.
        IamGrant(
            ("ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParametersByPath", "ssm:PutParameter"),
            "ssm-state-parameter",
        ),
        # The write fence, read from the account: the cluster's subnet group and port ...
        IamGrant(("rds:DescribeDBClusters",), "rds-cluster"),
        IamGrant(("rds:DescribeDBSubnetGroups",), "rds-subnet-group"),
        # ... the services' subnets and the database subnets' ACLs (no resource type: "*") ...
        IamGrant(("ec2:DescribeNetworkAcls", "ec2:DescribeSubnets"), "*"),
        # ... and the deny entries, on the account's network ACLs in the region.
        IamGrant(("ec2:CreateNetworkAclEntry",), "ec2-network-acl"),
    ),
    mutating=True,
)
