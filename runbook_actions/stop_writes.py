"""Stop all writes (P0-B, first step): scale every service of the cluster to 0 at once.

Each service's desired count is recorded durably *before* anything is scaled, in one SSM
parameter per incident, so restore-writes can bring the platform back exactly as it was. A
rerun never overwrites that record with the zeros it now sees: it keeps what is recorded and
only adds services the record lacks. If some services fail to scale, the others still go to
0, the failures are reported (ok=false, non-zero exit) and a rerun finishes the job.
"""
from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .fleet import set_desired_counts
from .incident_state import (STATE_PREFIX, desired_counts_parameter, read_desired_counts,
                             save_desired_counts)

NAME = "stop-writes"


def stop_writes(clients: AwsClients, *, cluster: str, incident_id: str,
                state_prefix: str, dry_run: bool = False) -> ActionResult:
    ecs, ssm = clients.ecs, clients.ssm
    current = _desired_counts(ecs, cluster)
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    recorded = read_desired_counts(ssm, parameter)
    unrecorded = {name: count for name, count in current.items() if name not in (recorded or {})}
    to_stop = {name: 0 for name, count in current.items() if count != 0}
    details: dict[str, Any] = {
        "cluster": cluster, "incident_id": incident_id, "record_parameter": parameter,
        "record": _record_action(recorded, unrecorded),
        "already_stopped": sorted(name for name, count in current.items() if count == 0),
    }
    if dry_run:
        return ActionResult(NAME, ok=True, changed=False, dry_run=True, details={
            **details, "would_record": {**unrecorded, **(recorded or {})},
            "would_stop": _plan(to_stop, current),
            "would_change": bool(unrecorded or to_stop) or recorded is None})
    record_written = bool(unrecorded) or recorded is None
    if record_written:
        recorded = save_desired_counts(ssm, parameter, cluster=cluster, incident_id=incident_id,
                                       counts={**unrecorded, **(recorded or {})},
                                       replace=recorded is not None)
    stopped, failed = set_desired_counts(ecs, cluster, to_stop, current)
    details.update(recorded_counts=recorded, stopped=stopped, failed=failed)
    if failed:
        details["note"] = ("some services were not scaled to 0; rerun the same command to "
                           "finish (the recorded counts are kept)")
    return ActionResult(NAME, ok=not failed, changed=record_written or bool(stopped), dry_run=False,
                        details=details)


def _desired_counts(ecs: Any, cluster: str) -> dict[str, int]:
    names = list_service_names(ecs, cluster)
    return {s["serviceName"]: s["desiredCount"] for s in describe_services(ecs, cluster, names)}


def _record_action(recorded: dict[str, int] | None, unrecorded: dict[str, int]) -> str:
    if recorded is None:
        return "created"
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
         IamGrant(("ssm:GetParameter", "ssm:PutParameter"), "ssm-state-parameter")),
    mutating=True,
)
