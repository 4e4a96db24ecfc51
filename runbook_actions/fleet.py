"""Apply one change to many ECS services at once, carrying on past the ones that fail.

During a P0 every service must be changed now, not one after another, and one service
refusing (throttling, a permissions gap) must not leave the others untouched. Failures are
collected so the action can report them, exit non-zero, and be rerun to finish the job.
The ECS calls are paced by the process's buckets (``fanout.paced``), shared with every other
action, at 80% of ECS's documented rates: from full buckets, 40 UpdateService calls go at once
and the rest follow at 4/s (ECS allows a burst of 50 and a refill of 5/s).
"""

from __future__ import annotations

from typing import Any, Callable, cast

from .aws_errors import aws_call
from .exceptions import RunbookError
from .fanout import fan_out, paced

Outcome = dict[str, Any]


def apply_to_each(work: Callable[[str], Outcome], services: list[str]) -> tuple[list[Outcome], list[Outcome]]:
    """Run ``work(service)`` for every service in parallel; return (done, failed), in input order."""

    def guarded(service: str) -> Outcome:
        try:
            return work(service)
        except RunbookError as error:
            return {"service": service, "error": str(error)}

    outcomes = fan_out(guarded, services)
    return ([o for o in outcomes if "error" not in o], [o for o in outcomes if "error" in o])


def set_desired_counts(
    ecs: Any, cluster: str, targets: dict[str, int], current: dict[str, int]
) -> tuple[list[Outcome], list[Outcome]]:
    """Set each service in ``targets`` to its count; ``current`` is only reported back."""
    ecs = paced(ecs)

    def scale(service: str) -> Outcome:
        with aws_call(f"setting desired count of {service} to {targets[service]}"):
            ecs.update_service(cluster=cluster, service=service, desiredCount=targets[service])
        return {"service": service, "from": current.get(service), "to": targets[service]}

    return apply_to_each(scale, sorted(targets))


def force_new_deployments(ecs: Any, cluster: str, services: list[str]) -> tuple[list[Outcome], list[Outcome]]:
    ecs = paced(ecs)

    def redeploy(service: str) -> Outcome:
        with aws_call(f"forcing a new deployment of {service}"):
            deployment = ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)[
                "service"
            ]
        primary = primary_deployment(deployment) or {}
        return {"service": service, "deployment": primary.get("id")}

    return apply_to_each(redeploy, sorted(services))


def primary_deployment(service: dict[str, Any]) -> dict[str, Any] | None:
    for deployment in service.get("deployments") or []:
        if deployment.get("status") == "PRIMARY":
            return cast(dict[str, Any], deployment)
    return None
