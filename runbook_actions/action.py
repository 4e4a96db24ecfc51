"""What every runbook action declares, and the one result shape every action returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .params import Param


@dataclass(frozen=True)
class IamGrant:
    """API actions an action calls on one kind of resource; the Lambda role is built from these.

    ``resource`` is a resource kind ("ecs-service", "log-group", ...) that the Pulumi component
    maps to the platform's ARNs, or "*" where the API cannot be scoped to a resource.
    """

    actions: tuple[str, ...]
    resource: str


@dataclass(frozen=True)
class Action:
    """A runbook step: its name, parameters, the function that does it and the IAM it needs."""

    name: str
    summary: str
    params: tuple[Param, ...]
    run: Callable[..., "ActionResult"]
    iam: tuple[IamGrant, ...]
    mutating: bool


@dataclass
class ActionResult:
    action: str
    ok: bool
    changed: bool
    dry_run: bool
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
