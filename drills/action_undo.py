"""How a drill undoes each mutating runbook action of its procedure, should the drill stop early.

Every mutating action is listed here, with either an undo or the reason it needs none; a
scenario that uses a mutating action missing from this table is refused before it runs. An
action's entry is journalled (with what ``capture`` read from the target) before it runs.
Undo means bringing the target back to its state before the drill, not reverting the step:
reverting a rollback would redeploy the crashing build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from runbook_actions.constants import DEFAULT_STATE_PREFIX

from .context import DrillContext
from .restorers import (
    delete_incident_snapshots,
    delete_restored_clusters,
    restore_parameter,
    restore_recorded_counts,
)

Capture = Callable[[DrillContext, dict[str, Any]], dict[str, Any]]
Undo = Callable[[DrillContext, dict[str, Any], dict[str, Any]], str]


@dataclass(frozen=True)
class ActionUndo:
    capture: Capture | None = None
    undo: Undo | None = None
    no_undo_because: str = ""


def _nothing(ctx: DrillContext, arguments: dict[str, Any]) -> dict[str, Any]:
    return {}


def _incident(ctx: DrillContext, arguments: dict[str, Any]) -> str:
    return str(arguments.get("incident_id") or ctx.incident_id)


def _undo_stop_writes(ctx: DrillContext, arguments: dict[str, Any], _: dict[str, Any]) -> str:
    return restore_recorded_counts(
        ctx,
        _incident(ctx, arguments),
        arguments.get("cluster"),
        arguments.get("state_prefix") or DEFAULT_STATE_PREFIX,
    )


def _undo_snapshot(ctx: DrillContext, arguments: dict[str, Any], _: dict[str, Any]) -> str:
    return "; ".join(delete_incident_snapshots(ctx, _incident(ctx, arguments))) or "no snapshot to delete"


def _undo_restore_cluster(ctx: DrillContext, arguments: dict[str, Any], _: dict[str, Any]) -> str:
    notes = delete_restored_clusters(ctx, _incident(ctx, arguments), only=str(arguments["target"]))
    return "; ".join(notes) or f"no cluster {arguments['target']} restored for the incident"


def _capture_endpoint(ctx: DrillContext, arguments: dict[str, Any]) -> dict[str, Any]:
    name = str(arguments.get("endpoint_parameter") or ctx.platform.aurora.endpoint_parameter)
    return {"parameter": name, "value": ctx.clients.ssm.get_parameter(Name=name)["Parameter"]["Value"]}


def _undo_cutover(ctx: DrillContext, arguments: dict[str, Any], captured: dict[str, Any]) -> str:
    return restore_parameter(ctx, captured["parameter"], captured["value"])


TOWARD_STEADY_STATE = (
    "moves the platform toward its recorded steady state; the fault's undo "
    "restores each service's recorded revision and count"
)
UNDO: dict[str, ActionUndo] = {
    "stop-writes": ActionUndo(_nothing, _undo_stop_writes),
    "snapshot-cluster": ActionUndo(_nothing, _undo_snapshot),
    "restore-cluster": ActionUndo(_nothing, _undo_restore_cluster),
    "cutover": ActionUndo(_capture_endpoint, _undo_cutover),
    "restore-writes": ActionUndo(no_undo_because="it is itself the undo of stop-writes"),
    "rollback-service": ActionUndo(no_undo_because=TOWARD_STEADY_STATE),
    "scale-service": ActionUndo(no_undo_because=TOWARD_STEADY_STATE),
    "redeploy-all": ActionUndo(
        no_undo_because="a new deployment of the same revisions changes no configuration"
    ),
    "post-status": ActionUndo(
        no_undo_because="a post cannot be unsent; its record is the incident's audit trail"
    ),
    "rotate-db-credentials": ActionUndo(
        no_undo_because="undoing a rotation would bring the leaked password back"
    ),
    "deactivate-access-key": ActionUndo(
        no_undo_because="re-activating a leaked key would reopen the "
        "incident; the fault's undo deletes the drill's user"
    ),
}


def undo_for(action: str) -> ActionUndo | None:
    return UNDO.get(action)
