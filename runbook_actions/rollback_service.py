"""Roll a service back to its newest ACTIVE task-definition revision older than the deployed one.

Unlike the guide's ``revision - 1``, deregistered revisions are skipped. The rollback is recorded
on the service as tags (before it is made), so running the same command again right after does
not roll back a second time (onto an even older revision) unless --force is given.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, SERVICE
from .constants import TAG_PREFIX
from .ecs_helpers import describe_service, parse_task_definition, short_task_definition
from .exceptions import NotFoundError, RefusedError
from .fanout import paced
from .params import Param

NAME = "rollback-service"
TAG_FROM = f"{TAG_PREFIX}:rollback-from"
TAG_TO = f"{TAG_PREFIX}:rollback-to"
TAG_AT = f"{TAG_PREFIX}:rollback-at"


def rollback_service(
    clients: AwsClients,
    *,
    cluster: str,
    service: str,
    to_revision: int | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> ActionResult:
    ecs = paced(clients.ecs)  # the process's ECS buckets, shared with every action
    described = describe_service(ecs, cluster, service)
    current = described["taskDefinition"]
    family, revision = parse_task_definition(current)
    base = {"cluster": cluster, "service": service, "from": short_task_definition(current)}
    if to_revision is None and not force:
        earlier = _earlier_rollback(ecs, described["serviceArn"], current)
        if earlier:
            return ActionResult(
                NAME,
                ok=True,
                changed=False,
                dry_run=dry_run,
                details={
                    **base,
                    "to": earlier["to"],
                    "already_rolled_back": True,
                    "earlier_rollback": earlier,
                    "note": "service is still on the revision an earlier rollback chose; "
                    "pass --force to roll back further",
                },
            )
    if to_revision == revision:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=dry_run,
            details={**base, "to": base["from"], "note": f"already on revision {revision}"},
        )
    target = (
        _chosen_revision(ecs, family, to_revision)
        if to_revision is not None
        else _previous_active_revision(ecs, family, revision)
    )
    details = {**base, "to": short_task_definition(target)}
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={
                **details,
                "would_roll_back": {"from": details["from"], "to": details["to"]},
                "would_change": True,
            },
        )
    # Recorded before rolling back: recorded after, a failed record would make the rerun roll
    # back a second time. A record whose rollback then fails matches no deployed revision.
    _record_rollback(ecs, described["serviceArn"], details)
    with aws_call(f"rolling back {service} to {details['to']}"):
        ecs.update_service(cluster=cluster, service=service, taskDefinition=target, forceNewDeployment=True)
    return ActionResult(NAME, ok=True, changed=True, dry_run=False, details=details)


def _previous_active_revision(ecs: Any, family: str, revision: int) -> str:
    with aws_call(f"listing ACTIVE revisions of {family}"):
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE", sort="DESC"
        )
        arns = [arn for page in pages for arn in page["taskDefinitionArns"]]
    # familyPrefix matches prefixes too ("api" also lists "api-worker"), and the sort order is
    # not something to stake a rollback on (moto ignores it), so filter and order here.
    older = [
        (parse_task_definition(arn)[1], arn)
        for arn in arns
        if parse_task_definition(arn)[0] == family and parse_task_definition(arn)[1] < revision
    ]
    if older:
        return cast(str, max(older)[1])
    raise RefusedError(f"no ACTIVE revision of {family} older than {revision} to roll back to")


def _chosen_revision(ecs: Any, family: str, to_revision: int) -> str:
    with aws_call(f"describing task definition {family}:{to_revision}"):
        try:
            found = ecs.describe_task_definition(taskDefinition=f"{family}:{to_revision}")
        except ecs.exceptions.ClientException as error:
            raise NotFoundError(f"task definition {family}:{to_revision} does not exist") from error
    task_definition = found["taskDefinition"]
    if task_definition.get("status") != "ACTIVE":
        raise RefusedError(
            f"task definition {family}:{to_revision} is {task_definition.get('status')}, not ACTIVE"
        )
    return cast(str, task_definition["taskDefinitionArn"])


def _earlier_rollback(ecs: Any, service_arn: str, current: str) -> dict[str, str] | None:
    with aws_call("reading the service's rollback record"):
        tags = {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=service_arn)["tags"]}
    if tags.get(TAG_TO) == short_task_definition(current):
        return {"from": tags.get(TAG_FROM, "?"), "to": tags[TAG_TO], "at": tags.get(TAG_AT, "?")}
    return None


def _record_rollback(ecs: Any, service_arn: str, details: dict[str, Any]) -> None:
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    details["at"] = at
    with aws_call("recording the rollback on the service (nothing was rolled back)"):
        ecs.tag_resource(
            resourceArn=service_arn,
            tags=[
                {"key": TAG_FROM, "value": details["from"]},
                {"key": TAG_TO, "value": details["to"]},
                {"key": TAG_AT, "value": at},
            ],
        )


ACTION = Action(
    name=NAME,
    summary="Roll a service back to the newest ACTIVE older task definition and redeploy.",
    params=(
        CLUSTER,
        SERVICE,
        Param("to_revision", int, "roll back to exactly this revision of the family", minimum=1),
        Param("force", bool, "roll back again even if an earlier rollback is still deployed", default=False),
    ),
    run=rollback_service,
    iam=(
        IamGrant(
            ("ecs:DescribeServices", "ecs:UpdateService", "ecs:ListTagsForResource", "ecs:TagResource"),
            "ecs-service",
        ),
        IamGrant(("ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"), "*"),
    ),
    mutating=True,
)
