"""Set a service's desired count (the guide's "scale up first, debug second")."""

from __future__ import annotations

from .action import Action, ActionResult, IamGrant
from .aws_errors import aws_call
from .clients import AwsClients
from .common_params import CLUSTER, SERVICE
from .ecs_helpers import describe_service
from .fanout import paced
from .params import Param

NAME = "scale-service"
MAX_DESIRED = 1000


def scale_service(
    clients: AwsClients, *, cluster: str, service: str, desired: int, dry_run: bool = False
) -> ActionResult:
    ecs = paced(clients.ecs)  # the process's ECS buckets, shared with every action
    current = describe_service(ecs, cluster, service)
    previous = current["desiredCount"]
    details = {"cluster": cluster, "service": service, "previous_desired": previous, "desired": desired}
    if previous == desired:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=dry_run,
            details={**details, "note": f"already at desired count {desired}"},
        )
    if dry_run:
        return ActionResult(
            NAME,
            ok=True,
            changed=False,
            dry_run=True,
            details={**details, "would_scale": {"from": previous, "to": desired}, "would_change": True},
        )
    with aws_call(f"setting desired count of {service} to {desired}"):
        ecs.update_service(cluster=cluster, service=service, desiredCount=desired)
    return ActionResult(NAME, ok=True, changed=True, dry_run=False, details=details)


ACTION = Action(
    name=NAME,
    summary="Set a service's desired task count; reports the previous count.",
    params=(
        CLUSTER,
        SERVICE,
        Param("desired", int, "new desired count", required=True, minimum=0, maximum=MAX_DESIRED),
    ),
    run=scale_service,
    iam=(IamGrant(("ecs:DescribeServices", "ecs:UpdateService"), "ecs-service"),),
    mutating=True,
)
