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
    existing = set(list_service_names(ecs, cluster))
    present = sorted(set(recorded) & existing)
    current = _desired_counts(ecs, cluster, present)
    others, warnings = open_records(clients.ssm, state_prefix, cluster, but=parameter)
    targets = {name: recorded[name] for name in present
               if recorded[name] > 0 and current[name] != recorded[name]}
    if not record.open:
        _refuse_undoing_a_newer_stop(record, targets, current, others)
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
        if recorded[name] > 0 and after[name] != recorded[name] and name not in failed_names],
        held_at_zero=_held_at_zero(recorded, after, others))
    return _finish(clients, record, cluster, changed=bool(restored), details=details)


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
