"""Lift the incident's write fence, then bring every service back to its recorded count.

The write fence (write_fence: the network ACL deny entries stop-writes recorded in the
incident's record before creating them) is lifted first, before any service scales up: the
services, and the restored cluster in the same subnets, must reach each other again. Exactly the
recorded entries are deleted, each only while it still matches its recorded spec (one changed by
someone else is left and named in the warnings) and while no other open incident's record holds
it (``fence.held_by_other_incidents``; the last of them to restore lifts it, also when two
restores run at once: each looks again after marking its record restored). A record written
before the fence has none, and restores as before; one that holds a fence and no counts (a
stop-writes stopped between its fence-first step and the counts, see incident_state) has its
fence lifted, no service scaled, and is marked restored. The denies are deleted before the
responders' allows. While another open incident's record names deny entries, its fence still
cuts the services this run brings back off the database: a warning names that incident. An entry that could not be deleted keeps the record open (ok=false): a
rerun lifts it.

Services are scaled in parallel; a service already at its recorded count is left alone, so a
rerun changes nothing once the platform is back. Services recorded but since deleted are
reported as warnings (a rerun cannot bring them back); services created after stop-writes are
not in the record and are left as they are. A service recorded at 0 is never scaled down: this
action brings writes back, it never stops a service.

Success (ok=true) means every service of the record was seen at its recorded count *after*
scaling (described again), and that no service the record holds at 0 is still at 0 while
another incident's open record holds it above 0 (a record written with zeros as originals must
not pass for restored writes: that other incident is named, to be restored first). Only then
is the record marked restored; it is kept as the incident's audit trail. Rerunning on a record
already restored never undoes a newer incident's stop: it is refused, naming that incident.

Nor does an open record undo a newer one: while an incident that stopped writes after this one
(its record opened later, by SSM's clock: created or reopened, not merely rewritten; see
incident_state) is still open and holds services of this record at 0, restore-writes is
refused (RefusedError, exit 1: the input is valid, the platform's state forbids it), naming
that incident and what to do: restore it when it is over (its record holds the counts), then
rerun this to mark this record restored. A stop-writes that records while this
restore is scaling is seen by reading the records again after the services were described: the
services this run brought up that the newer record holds are put back to 0, and the result is
not ok, naming that incident.

A service the record holds at 0 is never reported restored while it sits at 0, unless there is
a reason to believe 0 was its count before the incident:

- Recorded at 0 while *other* services of the record were above 0: a worker scaled to 0 before
  the incident is a real case. It is left at 0, with a warning naming it; ok stays true.
- A record in which *every* service is 0 (no count above 0 at all) says nothing about the
  platform before the incident: it was written when writes were already stopped (by an
  incident under another --state-prefix, or by hand; stop-writes now refuses to write one).
  Restoring it brings nothing back, so the result is not ok (``left_at_zero`` and the note name
  the services) and the record stays open. A whole fleet meant to be at 0 is rare but possible
  (an environment scaled to zero), and an open record that can never be closed would fail every
  later run and the drills' recovery, so the responder may say so: ``--allow-zero SERVICE ...``
  names the services that are meant to stay at 0 (each must be one the record holds at 0; a
  service recorded above 0 is refused, exit 2, since this action always brings it back). Those
  are left at 0 with a warning, and the record is then marked restored. A flag naming services,
  not a blanket "yes", so the responder has looked at which services stay down.
"""

from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamCondition, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, ECS_NAME, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .exceptions import InvalidArgumentError, NotFoundError, RefusedError, RunbookError
from .fanout import paced
from .fleet import set_desired_counts
from .incident_state import (
    STATE_PREFIX,
    DesiredCounts,
    desired_counts_parameter,
    mark_restored,
    open_records,
    placed,
    read_record,
)
from .params import Param
from .write_fence import DENY, Lift, as_json, held_by, lift

NAME = "restore-writes"
ALLOW_ZERO = Param(
    "allow_zero",
    str,
    "services the record holds at 0 that are meant to stay at 0 "
    "(needed only when the record holds every service at 0)",
    multiple=True,
    pattern=ECS_NAME,
)


def restore_writes(
    clients: AwsClients,
    *,
    cluster: str,
    incident_id: str,
    state_prefix: str,
    allow_zero: list[str] | None = None,
    dry_run: bool = False,
) -> ActionResult:
    ecs = paced(clients.ecs)  # the process's ECS buckets, shared with every action
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    record = read_record(clients.ssm, parameter)
    if record is None:
        raise NotFoundError(
            f"no desired counts recorded for incident {incident_id} on cluster "
            f"{cluster} (SSM parameter {parameter}); was stop-writes run with this "
            "--incident-id?"
        )
    recorded = record.counts
    allowed = _check_allow_zero(record, allow_zero or [])
    # The other records before the counts: a stop-writes records before it scales, so a zero
    # read below that a newer stop caused is held by a record this listing already sees.
    others, warnings = open_records(clients.ssm, state_prefix, cluster, but=parameter)
    existing = set(list_service_names(ecs, cluster))
    present = sorted(set(recorded) & existing)
    current = _desired_counts(ecs, cluster, present)
    targets = {
        name: recorded[name] for name in present if recorded[name] > 0 and current[name] != recorded[name]
    }
    if not record.open:
        _refuse_undoing_a_newer_stop(record, targets, current, others)
    else:
        _refuse_while_a_newer_stop_holds(clients, record, targets, others)
    details: dict[str, Any] = {
        "cluster": cluster,
        "incident_id": incident_id,
        "record_parameter": parameter,
        "recorded_counts": recorded,
        "already_restored": sorted(name for name in present if current[name] == recorded[name]),
        "recorded_at_zero_left_running": sorted(
            name for name in present if recorded[name] == 0 and current[name] > 0
        ),
        "not_in_record": sorted(existing - set(recorded)),
        "warnings": [
            f"service {name} is in the record but no longer exists in {cluster}"
            for name in sorted(set(recorded) - existing)
        ]
        + _fence_only(record)
        + _fenced_by_others(others)
        + warnings,
    }
    if dry_run:
        fence = (
            lift(clients.ec2, list(record.fence), held_by(others), dry_run=True) if record.fence else Lift()
        )
        details["warnings"] += fence.changed
        held = _held_at_zero(recorded, current, others)
        left = _left_at_zero(record, current, held, allowed, details["warnings"])
        note = "; ".join(filter(None, [_held_note(held).get("note"), _left_note(record, left)]))
        return ActionResult(
            NAME,
            ok=not note,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_restore": [
                    {"service": name, "from": current[name], "to": count}
                    for name, count in sorted(targets.items())
                ],
                "would_lift": as_json(fence.would_lift),
                "held_at_zero": held,
                "left_at_zero": left,
                **({"note": note} if note else {}),
                "would_change": bool(targets or fence.would_lift) or (record.open and not note),
            },
        )
    # The fence first: services brought back behind it would only fail to connect.
    fence = lift(clients.ec2, list(record.fence), held_by(others)) if record.fence else Lift()
    details["fence"] = _fence_details(fence)
    details["warnings"] += fence.changed
    restored, failed = set_desired_counts(ecs, cluster, targets, current)
    # Described again: success is what the services are at now, not what the calls answered.
    after = _desired_counts(ecs, cluster, present) if restored else current
    failed_names = {f["service"] for f in failed}
    details.update(
        restored=restored,
        failed=failed,
        not_at_recorded_count=[
            {"service": name, "desired": after[name], "recorded": recorded[name]}
            for name in present
            if recorded[name] > 0 and after[name] != recorded[name] and name not in failed_names
        ],
    )
    if restored:
        # Read again after the services were described: a stop-writes that recorded while this
        # run was scaling must win, whichever of the two scaled last.
        others, _ = open_records(clients.ssm, state_prefix, cluster, but=parameter)
        overtaken = _stopped_since(clients, record, [r["service"] for r in restored], others)
        if overtaken:
            return _give_way(clients, record, cluster, overtaken, after, details)
    details["held_at_zero"] = _held_at_zero(recorded, after, others)
    details["left_at_zero"] = _left_at_zero(
        record, after, details["held_at_zero"], allowed, details["warnings"]
    )
    return _finish(
        clients, record, cluster, state_prefix, fence, changed=bool(restored or fence.lifted), details=details
    )


def _fence_only(record: DesiredCounts) -> list[str]:
    if record.counts or not record.fence or not record.open:
        return []
    return [
        "the record holds the write fence but no counts: stop-writes stopped after fencing, before "
        "it read the services (it scaled none of them); the fence is lifted and no service is scaled"
    ]


def _fenced_by_others(others: list[DesiredCounts]) -> list[str]:
    """Another open incident's denies still cut the services off the database: the services this
    run brings back cannot write until that incident is restored, whatever this result says."""
    fencing = sorted({r.incident_id for r in others if any(e.action == DENY for e in r.fence)})
    if not fencing:
        return []
    return [
        f"open incident(s) {', '.join(fencing)} still fence the database port from the application "
        "subnets (the deny entries their records name): services brought back cannot write until "
        f"restore-writes --incident-id {fencing[0]} lifts that fence"
    ]


def _check_allow_zero(record: DesiredCounts, names: list[str]) -> set[str]:
    """--allow-zero names only services this record holds at 0 (InvalidArgumentError, exit 2,
    before anything is read from ECS or changed)."""
    for name in names:
        if name not in record.counts:
            raise InvalidArgumentError(
                f"--allow-zero: {name} is not in the record of incident "
                f"{record.incident_id} ({record.parameter})"
            )
        if record.counts[name] > 0:
            raise InvalidArgumentError(
                f"--allow-zero: {name} is recorded at {record.counts[name]}; restore-writes brings "
                "it back to that count, --allow-zero only names services the record holds at 0"
            )
    return set(names)


def _left_at_zero(
    record: DesiredCounts,
    counts: dict[str, int],
    held: dict[str, list[str]],
    allowed: set[str],
    warnings: list[str],
) -> list[str]:
    """The services the record holds at 0 that are at 0 and that nothing says were at 0 before
    the incident (see the module's doc). Warnings are added for the ones left at 0 anyway."""
    held_names = {name for names in held.values() for name in names}
    at_zero = sorted(
        name
        for name, count in counts.items()
        if count == 0 and record.counts.get(name) == 0 and name not in held_names
    )
    every_zero = not any(record.counts.values())
    left = []
    for name in at_zero:
        if name in allowed:
            warnings.append(f"service {name} is left at 0, as --allow-zero says")
        elif not every_zero:
            warnings.append(
                f"service {name} was recorded at 0 while other services ran (scaled "
                "to 0 before the incident?) and is left at 0"
            )
        else:
            left.append(name)
    return left


def _left_note(record: DesiredCounts, left: list[str]) -> str | None:
    if not left:
        return None
    names = " ".join(left)
    return (
        f"the record of incident {record.incident_id} holds every service at 0: stop-writes "
        "recorded zeros as originals (writes were already stopped when it ran: by another "
        "incident under another --state-prefix, or by hand), so it brings nothing back and "
        f"{', '.join(left)} are still at 0. Find the record that holds their counts and "
        "restore writes with it; if they are meant to stay at 0, rerun with --allow-zero "
        f"{names}"
    )


def _refuse_while_a_newer_stop_holds(
    clients: AwsClients, record: DesiredCounts, targets: dict[str, int], others: list[DesiredCounts]
) -> None:
    """Refuse to restart writes that an incident opened after this one still holds at 0."""
    newer = _stopped_since(clients, record, targets, others)
    if newer:
        raise RefusedError(_newer_stop_message(record, newer) + "; nothing was changed")


def _stopped_since(
    clients: AwsClients, record: DesiredCounts, services: Any, others: list[DesiredCounts]
) -> dict[str, tuple[DesiredCounts, list[str]]]:
    """The open records opened after ``record`` that hold some of ``services``, by incident,
    newest first (the one to restore first: it would refuse for none of the others). Only
    those records, and this one, are placed (their opening read from SSM's history)."""
    holding = [other for other in others if other.holds(services)]
    if not holding:
        return {}
    [record, *holding], _ = placed(clients.ssm, [record, *holding])
    return {
        other.incident_id: (other, other.holds(services))
        for other in sorted(holding, key=DesiredCounts.age, reverse=True)
        if other.newer(record)
    }


def _newer_stop_message(record: DesiredCounts, newer: dict[str, tuple[DesiredCounts, list[str]]]) -> str:
    names = ", ".join(newer)
    held = "; ".join(
        f"{incident} holds {', '.join(services)} at 0 (its record {other.parameter} keeps their counts)"
        for incident, (other, services) in newer.items()
    )
    first = next(iter(newer))
    return (
        f"writes of incident {record.incident_id} are not restored: incident(s) {names} "
        f"stopped writes after it and are still open ({held}); restoring "
        f"{record.incident_id} now would restart writes {names} stopped. When {first} is over, "
        f"run restore-writes --incident-id {first}, then rerun this command to mark "
        f"{record.incident_id} restored"
    )


def _give_way(
    clients: AwsClients,
    record: DesiredCounts,
    cluster: str,
    newer: dict[str, tuple[DesiredCounts, list[str]]],
    after: dict[str, int],
    details: dict[str, Any],
) -> ActionResult:
    """A newer stop recorded while this run scaled up: put its services back to 0."""
    held = sorted({name for _, services in newer.values() for name in services})
    stopped, failed = set_desired_counts(clients.ecs, cluster, {name: 0 for name in held}, after)
    details.update(
        stopped_again=stopped,
        failed=details["failed"] + failed,
        held_by_newer_incident={incident: services for incident, (_, services) in newer.items()},
        note=_newer_stop_message(record, newer) + "; the services this run had "
        "brought back that it holds were scaled to 0 again",
    )
    return ActionResult(NAME, ok=False, changed=True, dry_run=False, details=details)


def _fence_details(fence: Lift) -> dict[str, Any]:
    return {
        "lifted": as_json(fence.lifted),
        "already_lifted": as_json(fence.absent),
        "held_by_other_incidents": {e.describe(): incidents for e, incidents in sorted(fence.held.items())},
        "failed": fence.failed,
    }


def _finish(
    clients: AwsClients,
    record: DesiredCounts,
    cluster: str,
    state_prefix: str,
    fence: Lift,
    changed: bool,
    details: dict[str, Any],
) -> ActionResult:
    """ok only when every service is back and the fence lifted; then (once) the record is marked
    restored, and the entries other records held are looked at again."""
    if details["failed"] or details["not_at_recorded_count"]:
        details["note"] = (
            "some services are not back at their recorded counts; rerun the same command to finish"
        )
    if fence.failed:
        details["note"] = "; ".join(
            filter(
                None,
                [
                    details.get("note"),
                    "some entries of the write fence could not be lifted (fence.failed); rerun the "
                    "same command to lift them",
                ],
            )
        )
    held = _held_note(details["held_at_zero"])
    left = _left_note(record, details["left_at_zero"])
    if held or left:
        details["note"] = "; ".join(filter(None, [details.get("note"), held.get("note"), left]))
    if "note" not in details and record.open:
        try:
            mark_restored(clients.ssm, record, cluster=cluster)
            changed, details["record"] = True, "marked restored"
        except RunbookError as error:
            details["note"] = (
                f"every service is back, but the record could not be marked "
                f"restored ({error}); rerun the same command to mark it"
            )
        else:
            changed = _lift_released(clients, record, cluster, state_prefix, fence, details) or changed
    return ActionResult(NAME, ok="note" not in details, changed=changed, dry_run=False, details=details)


def _lift_released(
    clients: AwsClients,
    record: DesiredCounts,
    cluster: str,
    state_prefix: str,
    fence: Lift,
    details: dict[str, Any],
) -> bool:
    """Entries left for other open records, looked at again now that this record is closed: one
    that no open record holds any more is lifted (two restores at once each saw the other open;
    the one that closes last sees neither). Failures are warnings: this record is closed."""
    if not fence.held:
        return False
    others, _ = open_records(clients.ssm, state_prefix, cluster, but=record.parameter)
    late = lift(clients.ec2, list(fence.held), held_by(others))
    details["fence"]["lifted"] += as_json(late.lifted)
    details["fence"]["held_by_other_incidents"] = {
        e.describe(): incidents for e, incidents in sorted(late.held.items())
    }
    details["warnings"] += late.changed + [
        f"{failure['entry']} could not be lifted: {failure['error']}" for failure in late.failed
    ]
    return bool(late.lifted)


def _desired_counts(ecs: Any, cluster: str, names: list[str]) -> dict[str, int]:
    return {s["serviceName"]: s["desiredCount"] for s in describe_services(ecs, cluster, names)}


def _held_at_zero(
    recorded: dict[str, int], counts: dict[str, int], others: list[DesiredCounts]
) -> dict[str, list[str]]:
    """Services this record holds at 0 that are at 0, while another incident's open record
    holds them above 0: by incident."""
    held: dict[str, list[str]] = {}
    for name in sorted(counts):
        if recorded[name] == 0 and counts[name] == 0:
            for other in others:
                if other.counts.get(name, 0) > 0:
                    held.setdefault(other.incident_id, []).append(name)
    return held


def _held_note(held: dict[str, list[str]]) -> dict[str, str]:
    if not held:
        return {}
    incidents = ", ".join(sorted(held))
    return {
        "note": f"services this record holds at 0 are at 0 while open incident(s) {incidents} "
        "recorded them above 0; this record does not restore them: run "
        + " and ".join(f"restore-writes --incident-id {i}" for i in sorted(held))
        + " when that incident allows"
    }


def _refuse_undoing_a_newer_stop(
    record: DesiredCounts, targets: dict[str, int], current: dict[str, int], others: list[DesiredCounts]
) -> None:
    held = sorted(
        {
            other.incident_id
            for other in others
            for name in targets
            if current[name] == 0 and name in other.counts
        }
    )
    if held:
        raise RefusedError(
            f"writes of incident {record.incident_id} were already restored "
            f"({record.updated_at}); services are now stopped by open incident "
            f"{', '.join(held)}: run restore-writes --incident-id {held[0]} instead"
        )


ACTION = Action(
    name=NAME,
    summary="Lift the incident's write fence, then scale every service back to the desired count "
    "stop-writes recorded, in parallel.",
    params=(CLUSTER, INCIDENT_ID, STATE_PREFIX, ALLOW_ZERO),
    run=restore_writes,
    iam=(
        # ListServices has no resource type: AWS authorises it against "*", scoped by ecs:cluster.
        IamGrant(("ecs:ListServices",), "*", IamCondition("ArnEquals", "ecs:cluster", kind="ecs-cluster")),
        IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-cluster-services"),
        # GetParametersByPath: the other incidents' records; GetParameterHistory: when each was
        # opened, which orders the incidents; PutParameter: marks it restored.
        IamGrant(
            ("ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParametersByPath", "ssm:PutParameter"),
            "ssm-state-parameter",
        ),
        # The write fence: the recorded ACLs' entries read ("*": no resource type), then deleted.
        IamGrant(("ec2:DescribeNetworkAcls",), "*"),
        IamGrant(("ec2:DeleteNetworkAclEntry",), "ec2-network-acl"),
    ),
    mutating=True,
)
