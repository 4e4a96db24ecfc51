"""Bring every service back to the desired count stop-writes recorded for the incident.

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
(its record written later, by SSM's clock) is still open and holds services of this record at
0, restore-writes is refused (RefusedError, exit 1: the input is valid, the platform's state
forbids it), naming that incident and what to do: restore it when it is over (its record holds
the counts), then rerun this to mark this record restored. A stop-writes that records while this
restore is scaling is seen by reading the records again after the services were described: the
services this run brought up that the newer record holds are put back to 0, and the result is
not ok, naming that incident.
"""
from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .exceptions import NotFoundError, RefusedError, RunbookError
from .fleet import set_desired_counts
from .incident_state import (STATE_PREFIX, DesiredCounts, desired_counts_parameter, mark_restored,
                             open_records, read_record)

NAME = "restore-writes"


def restore_writes(clients: AwsClients, *, cluster: str, incident_id: str,
                   state_prefix: str, dry_run: bool = False) -> ActionResult:
    ecs = clients.ecs
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    record = read_record(clients.ssm, parameter)
    if record is None:
        raise NotFoundError(f"no desired counts recorded for incident {incident_id} on cluster "
                            f"{cluster} (SSM parameter {parameter}); was stop-writes run with this "
                            "--incident-id?")
    recorded = record.counts
    # The other records before the counts: a stop-writes records before it scales, so a zero
    # read below that a newer stop caused is held by a record this listing already sees.
    others, warnings = open_records(clients.ssm, state_prefix, cluster, but=parameter)
    existing = set(list_service_names(ecs, cluster))
    present = sorted(set(recorded) & existing)
    current = _desired_counts(ecs, cluster, present)
    targets = {name: recorded[name] for name in present
               if recorded[name] > 0 and current[name] != recorded[name]}
    if not record.open:
        _refuse_undoing_a_newer_stop(record, targets, current, others)
    else:
        _refuse_while_a_newer_stop_holds(record, targets, others)
    details: dict[str, Any] = {
        "cluster": cluster, "incident_id": incident_id, "record_parameter": parameter,
        "recorded_counts": recorded,
        "already_restored": sorted(name for name in present if current[name] == recorded[name]),
        "recorded_at_zero_left_running": sorted(name for name in present
                                                if recorded[name] == 0 and current[name] > 0),
        "not_in_record": sorted(existing - set(recorded)),
        "warnings": [f"service {name} is in the record but no longer exists in {cluster}"
                     for name in sorted(set(recorded) - existing)] + warnings,
    }
    if dry_run:
        held = _held_at_zero(recorded, current, others)
        return ActionResult(NAME, ok=not held, changed=False, dry_run=True, details={
            **details, "would_restore": [{"service": name, "from": current[name], "to": count}
                                         for name, count in sorted(targets.items())],
            "held_at_zero": held, **_held_note(held),
            "would_change": bool(targets) or (record.open and not held)})
    restored, failed = set_desired_counts(ecs, cluster, targets, current)
    # Described again: success is what the services are at now, not what the calls answered.
    after = _desired_counts(ecs, cluster, present) if restored else current
    failed_names = {f["service"] for f in failed}
    details.update(restored=restored, failed=failed, not_at_recorded_count=[
        {"service": name, "desired": after[name], "recorded": recorded[name]} for name in present
        if recorded[name] > 0 and after[name] != recorded[name] and name not in failed_names])
    if restored:
        # Read again after the services were described: a stop-writes that recorded while this
        # run was scaling must win, whichever of the two scaled last.
        others, _ = open_records(clients.ssm, state_prefix, cluster, but=parameter)
        overtaken = _stopped_since(record, [r["service"] for r in restored], others)
        if overtaken:
            return _give_way(clients, record, cluster, overtaken, after, details)
    details["held_at_zero"] = _held_at_zero(recorded, after, others)
    return _finish(clients, record, cluster, changed=bool(restored), details=details)


def _refuse_while_a_newer_stop_holds(record: DesiredCounts, targets: dict[str, int],
                                     others: list[DesiredCounts]) -> None:
    """Refuse to restart writes that an incident opened after this one still holds at 0."""
    newer = _stopped_since(record, targets, others)
    if newer:
        raise RefusedError(_newer_stop_message(record, newer) + "; nothing was changed")


def _stopped_since(record: DesiredCounts, services: Any, others: list[DesiredCounts]
                   ) -> dict[str, tuple[DesiredCounts, list[str]]]:
    """The open records written after ``record`` that hold some of ``services``, by incident,
    newest first (the one to restore first: it would refuse for none of the others)."""
    return {other.incident_id: (other, other.holds(services))
            for other in sorted(others, key=DesiredCounts.age, reverse=True)
            if other.newer(record) and other.holds(services)}


def _newer_stop_message(record: DesiredCounts,
                        newer: dict[str, tuple[DesiredCounts, list[str]]]) -> str:
    names = ", ".join(newer)
    held = "; ".join(f"{incident} holds {', '.join(services)} at 0 (its record "
                     f"{other.parameter} keeps their counts)"
                     for incident, (other, services) in newer.items())
    first = next(iter(newer))
    return (f"writes of incident {record.incident_id} are not restored: incident(s) {names} "
            f"stopped writes after it and are still open ({held}); restoring "
            f"{record.incident_id} now would restart writes {names} stopped. When {first} is over, "
            f"run restore-writes --incident-id {first}, then rerun this command to mark "
            f"{record.incident_id} restored")


def _give_way(clients: AwsClients, record: DesiredCounts, cluster: str,
              newer: dict[str, tuple[DesiredCounts, list[str]]], after: dict[str, int],
              details: dict[str, Any]) -> ActionResult:
    """A newer stop recorded while this run scaled up: put its services back to 0."""
    held = sorted({name for _, services in newer.values() for name in services})
    stopped, failed = set_desired_counts(clients.ecs, cluster, {name: 0 for name in held}, after)
    details.update(stopped_again=stopped, failed=details["failed"] + failed,
                   held_by_newer_incident={incident: services
                                           for incident, (_, services) in newer.items()},
                   note=_newer_stop_message(record, newer) + "; the services this run had "
                        "brought back that it holds were scaled to 0 again")
    return ActionResult(NAME, ok=False, changed=True, dry_run=False, details=details)


def _finish(clients: AwsClients, record: DesiredCounts, cluster: str, changed: bool,
            details: dict[str, Any]) -> ActionResult:
    """ok only when every service is back; then (once) the record is marked restored."""
    if details["failed"] or details["not_at_recorded_count"]:
        details["note"] = ("some services are not back at their recorded counts; rerun the same "
                           "command to finish")
    held = _held_note(details["held_at_zero"])
    if held:
        details["note"] = "; ".join(filter(None, [details.get("note"), held["note"]]))
    if "note" not in details and record.open:
        try:
            mark_restored(clients.ssm, record, cluster=cluster)
            changed, details["record"] = True, "marked restored"
        except RunbookError as error:
            details["note"] = (f"every service is back, but the record could not be marked "
                               f"restored ({error}); rerun the same command to mark it")
    return ActionResult(NAME, ok="note" not in details, changed=changed, dry_run=False,
                        details=details)


def _desired_counts(ecs: Any, cluster: str, names: list[str]) -> dict[str, int]:
    return {s["serviceName"]: s["desiredCount"] for s in describe_services(ecs, cluster, names)}


def _held_at_zero(recorded: dict[str, int], counts: dict[str, int],
                  others: list[DesiredCounts]) -> dict[str, list[str]]:
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
    return {"note": f"services this record holds at 0 are at 0 while open incident(s) {incidents} "
                    "recorded them above 0; this record does not restore them: run "
                    + " and ".join(f"restore-writes --incident-id {i}" for i in sorted(held))
                    + " when that incident allows"}


def _refuse_undoing_a_newer_stop(record: DesiredCounts, targets: dict[str, int],
                                 current: dict[str, int], others: list[DesiredCounts]) -> None:
    held = sorted({other.incident_id for other in others for name in targets
                   if current[name] == 0 and name in other.counts})
    if held:
        raise RefusedError(f"writes of incident {record.incident_id} were already restored "
                           f"({record.updated_at}); services are now stopped by open incident "
                           f"{', '.join(held)}: run restore-writes --incident-id {held[0]} instead")


ACTION = Action(
    name=NAME,
    summary="Scale every service back to the desired count stop-writes recorded, in parallel.",
    params=(CLUSTER, INCIDENT_ID, STATE_PREFIX),
    run=restore_writes,
    iam=(IamGrant(("ecs:ListServices",), "ecs-cluster"),
         IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-service"),
         # GetParametersByPath: the other incidents' records; PutParameter: marks it restored.
         IamGrant(("ssm:GetParameter", "ssm:GetParametersByPath", "ssm:PutParameter"),
                  "ssm-state-parameter")),
    mutating=True,
)
