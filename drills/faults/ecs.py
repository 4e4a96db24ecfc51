"""ECS faults: a bad deployment that crashes every service."""
from __future__ import annotations

import time
from typing import Any

from runbook_actions.ecs_helpers import describe_service, short_task_definition
from runbook_actions.fanout import fan_out

from ..activities import fault
from ..context import DrillContext
from ..journal import utc_now

# Fields of DescribeTaskDefinition that RegisterTaskDefinition accepts back.
_REGISTER_FIELDS = ("family", "containerDefinitions", "taskRoleArn", "executionRoleArn",
                    "networkMode", "volumes", "placementConstraints", "requiresCompatibilities",
                    "cpu", "memory")
CRASH_LINES = (
    "FATAL Unhandled promise rejection: TypeError: Cannot read properties of undefined (reading 'tenantId')",
    "ERROR process exited with code 1 after 2.1s (crash loop)",
    "Error: connect ECONNREFUSED 127.0.0.1:6379",
)


def _undo_bad_deploy(ctx: DrillContext, state: dict[str, Any]) -> str:
    notes = fan_out(lambda item: _restore_service(ctx, *item), list(state["services"].items()))
    return "; ".join(notes)


@fault("bad-deploy", services={"ecs", "logs"}, undo=_undo_bad_deploy, outputs=("fault_time",))
def bad_deploy(ctx: DrillContext, *, services: list[str] | None = None, crash_lines: int = 20,
               scale_to: dict[str, int] | None = None) -> dict[str, Any]:
    """Deploy a crashing revision to each service (optionally lowering desired counts) and
    write crash lines to its log group, as a bad release would."""
    names = services or list(ctx.platform.service_names)
    scale_to = scale_to or {}
    fault_time = utc_now()
    attempts = fan_out(lambda n: (n, _attempt(lambda: _deploy_bad_revision(ctx, n, crash_lines, scale_to.get(n)))),
                       names)
    injected = {name: state for name, (state, _) in attempts if state is not None}
    failed = {name: error for name, (_, error) in attempts if error is not None}
    if failed:
        # The runner records a fault only once inject returns: undo the half-done part here.
        _undo_bad_deploy(ctx, {"services": injected})
        name, error = next(iter(failed.items()))
        raise RuntimeError(f"bad-deploy failed on {name} ({error}); undid the other {len(injected)}")
    return {"services": injected, "outputs": {"fault_time": fault_time},
            "summary": f"bad revision deployed to {len(names)} services, "
                       f"{crash_lines} crash lines each"
                       + (f", scaled {scale_to}" if scale_to else "")}


def _attempt(inject: Any) -> tuple[dict[str, Any] | None, Exception | None]:
    try:
        return inject(), None
    except Exception as error:  # collected so the services already changed can be undone
        return None, error


def _deploy_bad_revision(ctx: DrillContext, name: str, crash_lines: int,
                         scale_to: int | None) -> dict[str, Any]:
    ecs = ctx.clients.ecs
    service = describe_service(ecs, ctx.platform.cluster, name)
    current = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    bad = {k: current[k] for k in _REGISTER_FIELDS if current.get(k)}
    bad["containerDefinitions"] = [dict(c, image=c["image"].split(":")[0] + f":bad-{ctx.run_id}")
                                   for c in current["containerDefinitions"]]
    bad_arn = ecs.register_task_definition(**bad)["taskDefinition"]["taskDefinitionArn"]
    update: dict[str, Any] = {"taskDefinition": bad_arn}
    if scale_to is not None:
        update["desiredCount"] = scale_to
    ecs.update_service(cluster=ctx.platform.cluster, service=name, **update)
    log_group = ctx.platform.service(name).log_group
    stream = _write_crash_lines(ctx, log_group, crash_lines)
    return {"previous_task_definition": service["taskDefinition"],
            "previous_desired": service["desiredCount"], "bad_task_definition": bad_arn,
            "log_group": log_group, "log_stream": stream}


def _write_crash_lines(ctx: DrillContext, log_group: str, count: int) -> str:
    stream = f"drill/{ctx.run_id}"
    logs = ctx.clients.logs
    logs.create_log_stream(logGroupName=log_group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now - (count - i) * 100, "message": CRASH_LINES[i % len(CRASH_LINES)]}
              for i in range(count)]
    if events:
        logs.put_log_events(logGroupName=log_group, logStreamName=stream, logEvents=events)
    return stream


def _restore_service(ctx: DrillContext, name: str, injected: dict[str, Any]) -> str:
    ecs = ctx.clients.ecs
    current = describe_service(ecs, ctx.platform.cluster, name)
    note = f"{name}: remediated by the procedure"
    if current["taskDefinition"] == injected["bad_task_definition"]:
        ecs.update_service(cluster=ctx.platform.cluster, service=name,
                           taskDefinition=injected["previous_task_definition"],
                           desiredCount=injected["previous_desired"])
        note = f"{name}: restored {short_task_definition(injected['previous_task_definition'])}"
    ecs.deregister_task_definition(taskDefinition=injected["bad_task_definition"])
    ctx.clients.logs.delete_log_stream(logGroupName=injected["log_group"],
                                       logStreamName=injected["log_stream"])
    return note
