"""ECS faults: a bad deployment that crashes every service."""

from __future__ import annotations

import time
from typing import Any, Callable

from runbook_actions.aws import (
    describe_service,
    describe_services,
    fan_out,
    parse_task_definition,
    short_task_definition,
)

from ..activities import fault
from ..context import DrillContext
from ..journal import utc_now

# Fields of DescribeTaskDefinition that RegisterTaskDefinition accepts back.
_REGISTER_FIELDS = (
    "family",
    "containerDefinitions",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
)
CRASH_LINES = (
    "FATAL Unhandled promise rejection: TypeError: Cannot read properties of undefined (reading 'tenantId')",
    "ERROR process exited with code 1 after 2.1s (crash loop)",
    "Error: connect ECONNREFUSED 127.0.0.1:6379",
)
# The image tag of a drill's crashing build; the steady-state probe refuses any image carrying it.
BAD_IMAGE_TAG_PREFIX = "bad-"


def bad_image_tag(run_id: str) -> str:
    return f"{BAD_IMAGE_TAG_PREFIX}{run_id}"


def _plan_bad_deploy(
    ctx: DrillContext,
    *,
    services: list[str] | None = None,
    crash_lines: int = 20,
    scale_to: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Each service's revision and count before the fault: what the undo restores."""
    names = services or list(ctx.platform.service_names)
    described = describe_services(ctx.clients.ecs, ctx.platform.cluster, names)
    return {
        "image_tag": bad_image_tag(ctx.run_id),
        "log_stream": f"drill/{ctx.run_id}",
        # family:revision, not the ARN: the journal must fit an SSM parameter for many services
        "services": {
            s["serviceName"]: {
                "previous_task_definition": short_task_definition(s["taskDefinition"]),
                "previous_desired": s["desiredCount"],
                "log_group": ctx.platform.service(s["serviceName"]).log_group,
            }
            for s in described
        },
    }


def _undo_bad_deploy(ctx: DrillContext, state: dict[str, Any]) -> str:
    """Back to the recorded revision *and* count, whatever the procedure did or did not do;
    then remove the crashing revisions and the crash logs. Safe to repeat."""
    notes = fan_out(lambda item: _restore_service(ctx, state, *item), list(state["services"].items()))
    return "; ".join(notes)


@fault(
    "bad-deploy",
    services={"ecs", "logs"},
    plan=_plan_bad_deploy,
    undo=_undo_bad_deploy,
    outputs=("fault_time",),
)
def bad_deploy(
    ctx: DrillContext,
    plan: dict[str, Any],
    *,
    services: list[str] | None = None,
    crash_lines: int = 20,
    scale_to: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Deploy a crashing revision to each service (optionally lowering desired counts) and
    write crash lines to its log group, as a bad release would."""
    scale_to = scale_to or {}
    fault_time = utc_now()
    errors = fan_out(
        lambda item: (
            item[0],
            _error_of(
                lambda: _deploy_bad_revision(ctx, item[0], item[1], plan, crash_lines, scale_to.get(item[0]))
            ),
        ),
        list(plan["services"].items()),
    )
    failed = {name: error for name, error in errors if error is not None}
    if failed:  # the journal holds the plan: the runner's undo restores every service
        name, error = next(iter(failed.items()))
        raise RuntimeError(
            f"bad-deploy failed on {name} ({error}); "
            f"{len(errors) - len(failed)} other service(s) changed, undone from the journal"
        )
    # The plan is all the undo needs: it finds the crashing revisions by their image tag.
    return {
        **plan,
        "outputs": {"fault_time": fault_time},
        "summary": f"bad revision deployed to {len(errors)} services, {crash_lines} crash lines each"
        + (f", scaled {scale_to}" if scale_to else ""),
    }


def _error_of(inject: Callable[[], None]) -> Exception | None:
    try:
        inject()
    except Exception as error:  # collected so every service is tried and the failure named
        return error
    return None


def _deploy_bad_revision(
    ctx: DrillContext,
    name: str,
    before: dict[str, Any],
    plan: dict[str, Any],
    crash_lines: int,
    scale_to: int | None,
) -> None:
    ecs = ctx.clients.ecs
    current = ecs.describe_task_definition(taskDefinition=before["previous_task_definition"])[
        "taskDefinition"
    ]
    bad = {k: current[k] for k in _REGISTER_FIELDS if current.get(k)}
    bad["containerDefinitions"] = [
        dict(c, image=_image_repository(c["image"]) + f":{plan['image_tag']}")
        for c in current["containerDefinitions"]
    ]
    bad_arn = ecs.register_task_definition(**bad)["taskDefinition"]["taskDefinitionArn"]
    update: dict[str, Any] = {"taskDefinition": bad_arn}
    if scale_to is not None:
        update["desiredCount"] = scale_to
    ecs.update_service(cluster=ctx.platform.cluster, service=name, **update)
    _write_crash_lines(ctx, before["log_group"], plan["log_stream"], crash_lines)


def _image_repository(image: str) -> str:
    """``registry:5000/repo:tag`` -> ``registry:5000/repo`` (a port is not a tag)."""
    repository, _, tag = image.rpartition(":")
    return repository if repository and "/" not in tag else image


def _write_crash_lines(ctx: DrillContext, log_group: str, stream: str, count: int) -> None:
    logs = ctx.clients.logs
    logs.create_log_stream(logGroupName=log_group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [
        {"timestamp": now - (count - i) * 100, "message": CRASH_LINES[i % len(CRASH_LINES)]}
        for i in range(count)
    ]
    if events:
        logs.put_log_events(logGroupName=log_group, logStreamName=stream, logEvents=events)


def _restore_service(ctx: DrillContext, state: dict[str, Any], name: str, before: dict[str, Any]) -> str:
    ecs = ctx.clients.ecs
    current = describe_service(ecs, ctx.platform.cluster, name)
    wanted = {
        "taskDefinition": before["previous_task_definition"],
        "desiredCount": before["previous_desired"],
    }
    deployed = {
        "taskDefinition": short_task_definition(current["taskDefinition"]),
        "desiredCount": current["desiredCount"],
    }
    changed = {k: v for k, v in wanted.items() if deployed[k] != v}
    if changed:
        # By ARN, as AWS reports it: moto would store the short form given to it as is.
        arn = ecs.describe_task_definition(taskDefinition=wanted["taskDefinition"])["taskDefinition"]
        ecs.update_service(
            cluster=ctx.platform.cluster,
            service=name,
            desiredCount=wanted["desiredCount"],
            taskDefinition=arn["taskDefinitionArn"],
        )
    removed = _deregister_bad_revisions(ctx, before["previous_task_definition"], state["image_tag"])
    _delete_log_stream(ctx, before["log_group"], state["log_stream"])
    restored = (
        f"restored {parse_task_definition(wanted['taskDefinition'])[1]} x{wanted['desiredCount']}"
        if changed
        else "already on its recorded revision and count"
    )
    return f"{name}: {restored}" + (f", deregistered {', '.join(removed)}" if removed else "")


def _deregister_bad_revisions(ctx: DrillContext, previous: str, image_tag: str) -> list[str]:
    """Every revision of the family newer than the recorded one that runs this drill's bad
    image: found in the target, so a run killed before it noted the revision still cleans up."""
    ecs = ctx.clients.ecs
    family, revision = parse_task_definition(previous)
    removed = []
    pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status="ACTIVE")
    for arn in (a for page in pages for a in page["taskDefinitionArns"]):
        arn_family, arn_revision = parse_task_definition(arn)
        if arn_family != family or arn_revision <= revision:
            continue
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        if any(c["image"].endswith(f":{image_tag}") for c in definition["containerDefinitions"]):
            ecs.deregister_task_definition(taskDefinition=arn)
            removed.append(f"{family}:{arn_revision}")
    return removed


def _delete_log_stream(ctx: DrillContext, group: str, stream: str) -> None:
    try:
        ctx.clients.logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    except ctx.clients.logs.exceptions.ResourceNotFoundException:
        pass
