"""Stop all writes (P0-B, first step): scale every service of the cluster to 0 at once.

Each service's desired count is recorded durably *before* anything is scaled, in one SSM
parameter per incident, so restore-writes can bring the platform back exactly as it was. A
rerun never overwrites that record with the zeros it now sees: it keeps what is recorded and
only adds services the record lacks. If some services fail to scale, the others still go to
0, the failures are reported (ok=false, non-zero exit) and a rerun finishes the job.

Nor does another incident id (a typo, a second responder) record zeros as originals: a service
at 0 that another incident's open record holds at a count above 0 is recorded at that count,
and ``originals_from`` names the incident and services (the newest open record wins when two
disagree, with a warning). Stopping writes is never refused for this: a P0-B cannot wait. A
service at 0 that no open record explains is recorded at 0 (a worker scaled to 0 on purpose).
"""
from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .fleet import set_desired_counts
from .incident_state import (STATE_PREFIX, DesiredCounts, desired_counts_parameter, open_records,
                             read_record, save_desired_counts)

NAME = "stop-writes"


def stop_writes(clients: AwsClients, *, cluster: str, incident_id: str,
                state_prefix: str, dry_run: bool = False) -> ActionResult:
    ecs, ssm = clients.ecs, clients.ssm
    # Counts first, then the records: a concurrent stop-writes records before it scales, so
    # any zero it caused here is explained by a record the listing below already sees.
    current = _desired_counts(ecs, cluster)
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    own = read_record(ssm, parameter)
    others, warnings = open_records(ssm, state_prefix, cluster, but=parameter)
    recorded = own.counts if own is not None and own.open else None
    originals, sources, conflicts = _originals(
        {name: count for name, count in current.items() if name not in (recorded or {})}, others)
    to_stop = {name: 0 for name, count in current.items() if count != 0}
    details: dict[str, Any] = {
        "cluster": cluster, "incident_id": incident_id, "record_parameter": parameter,
        "record": _record_action(own, originals),
        "already_stopped": sorted(name for name, count in current.items() if count == 0),
        "originals_from": sources, "warnings": warnings + conflicts,
    }
    if dry_run:
        return ActionResult(NAME, ok=True, changed=False, dry_run=True, details={
            **details, "would_record": {**originals, **(recorded or {})},
            "would_stop": _plan(to_stop, current),
            "would_change": bool(originals or to_stop) or recorded is None})
    record_written = bool(originals) or recorded is None
    if record_written:
        recorded = save_desired_counts(ssm, parameter, cluster=cluster, incident_id=incident_id,
                                       counts={**originals, **(recorded or {})},
                                       replace=own is not None)
    stopped, failed = set_desired_counts(ecs, cluster, to_stop, current)
    details.update(recorded_counts=recorded, stopped=stopped, failed=failed)
    if failed:
        details["note"] = ("some services were not scaled to 0; rerun the same command to "
                           "finish (the recorded counts are kept)")
    return ActionResult(NAME, ok=not failed, changed=record_written or bool(stopped), dry_run=False,
                        details=details)


def _originals(current: dict[str, int], others: list[DesiredCounts]
               ) -> tuple[dict[str, int], dict[str, list[str]], list[str]]:
    """The count to record for each service: its current one, unless it is 0 and an open record
    of another incident holds it above 0. Also which incident each count came from, and a
    warning where open records disagree."""
    originals = dict(current)
    sources: dict[str, list[str]] = {}
    conflicts: list[str] = []
    newest_first = sorted(others, key=lambda r: (r.updated_at, r.incident_id), reverse=True)
    for name in sorted(n for n, count in current.items() if count == 0):
        holding = [r for r in newest_first if r.counts.get(name, 0) > 0]
        if not holding:
            continue
        originals[name] = holding[0].counts[name]
        sources.setdefault(holding[0].incident_id, []).append(name)
        if len({r.counts[name] for r in holding}) > 1:
            conflicts.append(f"{name}: open records disagree ("
                             + ", ".join(f"{r.incident_id} {r.counts[name]}" for r in holding)
                             + f"); recorded {originals[name]} from {holding[0].incident_id}, "
                             "the newest")
    return originals, sources, conflicts


def _desired_counts(ecs: Any, cluster: str) -> dict[str, int]:
    names = list_service_names(ecs, cluster)
    return {s["serviceName"]: s["desiredCount"] for s in describe_services(ecs, cluster, names)}


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
    summary="Record every service's desired count for the incident, then scale all to 0 in parallel.",
    params=(CLUSTER, INCIDENT_ID, STATE_PREFIX),
    run=stop_writes,
    iam=(IamGrant(("ecs:ListServices",), "ecs-cluster"),
         IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-service"),
         # GetParametersByPath: the other incidents' records (the path is under the same prefix).
         IamGrant(("ssm:GetParameter", "ssm:GetParametersByPath", "ssm:PutParameter"),
                  "ssm-state-parameter")),
    mutating=True,
)
