"""Bring every service back to the desired count stop-writes recorded for the incident.

Services are scaled in parallel; a service already at its recorded count is left alone, so a
rerun changes nothing once the platform is back. The record is kept (it is the incident's
audit trail, and keeping it makes the rerun safe). Services recorded but since deleted are
reported as warnings (a rerun cannot bring them back); services created after stop-writes are
not in the record and are left as they are.
"""
from __future__ import annotations

from typing import Any

from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .common_params import CLUSTER, INCIDENT_ID
from .ecs_helpers import describe_services, list_service_names
from .exceptions import NotFoundError
from .fleet import set_desired_counts
from .incident_state import STATE_PREFIX, desired_counts_parameter, read_desired_counts

NAME = "restore-writes"


def restore_writes(clients: AwsClients, *, cluster: str, incident_id: str,
                   state_prefix: str, dry_run: bool = False) -> ActionResult:
    ecs = clients.ecs
    parameter = desired_counts_parameter(state_prefix, cluster, incident_id)
    recorded = read_desired_counts(clients.ssm, parameter)
    if recorded is None:
        raise NotFoundError(f"no desired counts recorded for incident {incident_id} on cluster "
                            f"{cluster} (SSM parameter {parameter}); was stop-writes run with this "
                            "--incident-id?")
    existing = set(list_service_names(ecs, cluster))
    present = sorted(set(recorded) & existing)
    current = {s["serviceName"]: s["desiredCount"] for s in describe_services(ecs, cluster, present)}
    targets = {name: recorded[name] for name in present if current[name] != recorded[name]}
    details: dict[str, Any] = {
        "cluster": cluster, "incident_id": incident_id, "record_parameter": parameter,
        "recorded_counts": recorded,
        "already_restored": sorted(set(present) - set(targets)),
        "not_in_record": sorted(existing - set(recorded)),
        "warnings": [f"service {name} is in the record but no longer exists in {cluster}"
                     for name in sorted(set(recorded) - existing)],
    }
    if dry_run:
        return ActionResult(NAME, ok=True, changed=False, dry_run=True, details={
            **details, "would_restore": [{"service": name, "from": current[name], "to": count}
                                         for name, count in sorted(targets.items())],
            "would_change": bool(targets)})
    restored, failed = set_desired_counts(ecs, cluster, targets, current)
    details.update(restored=restored, failed=failed)
    if failed:
        details["note"] = "some services were not restored; rerun the same command to finish"
    return ActionResult(NAME, ok=not failed, changed=bool(restored), dry_run=False, details=details)


ACTION = Action(
    name=NAME,
    summary="Scale every service back to the desired count stop-writes recorded, in parallel.",
    params=(CLUSTER, INCIDENT_ID, STATE_PREFIX),
    run=restore_writes,
    iam=(IamGrant(("ecs:ListServices",), "ecs-cluster"),
         IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-service"),
         IamGrant(("ssm:GetParameter",), "ssm-state-parameter")),
    mutating=True,
)
