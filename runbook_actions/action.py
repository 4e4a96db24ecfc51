"""What every runbook action declares, and the one result shape every action returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .params import Param


@dataclass(frozen=True)
class IamCondition:
    """A condition on a grant: ``key`` compared by ``operator`` with values the component fills in.

    With ``kind``, the values are the ARNs of that resource kind: ``ecs:ListServices`` has no
    resource type (AWS authorises it against "*"), so ``ArnEquals ecs:cluster`` on the kind
    "ecs-cluster" is what limits it to the platform's cluster. With ``via_service``, the value is
    that AWS service's endpoint in the platform's region (``StringEquals kms:ViaService``
    ``rds.<region>.amazonaws.com``): the grant serves calls the service makes on the action's
    behalf, such as RDS using a cluster's KMS key during a restore.
    """

    operator: str
    key: str
    kind: str | None = None
    via_service: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is None) == (self.via_service is None):
            raise ValueError(f"IamCondition on {self.key}: give exactly one of kind and via_service")


@dataclass(frozen=True)
class IamGrant:
    """API actions an action calls on one kind of resource; the Lambda role is built from these.

    ``resource`` is a resource kind ("ecs-service", "log-group", ...) that the Pulumi component
    maps to the platform's ARNs, or "*" where the API has no resource type (then ``condition``
    should scope it, where AWS offers a condition key).
    """

    actions: tuple[str, ...]
    resource: str
    condition: IamCondition | None = None

    @property
    def on_behalf(self) -> bool:
        """The actions are made by an AWS service for the action (kms:ViaService), not by its clients."""
        return self.condition is not None and self.condition.via_service is not None


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
    """What every run prints (CLI) or returns (Lambda), success and failure alike.

    ``error`` is None when ``ok``; otherwise one line saying why (taken from the details' own
    ``error`` or ``note`` when the action gave one).
    """

    action: str | None
    ok: bool
    changed: bool
    dry_run: bool
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        if self.ok:
            result["error"] = None
        elif not self.error:
            result["error"] = _one_line(self.details) or f"{self.action} did not finish; see details"
        return result


def _one_line(details: dict[str, Any]) -> str | None:
    for key in ("error", "note"):
        if isinstance(details.get(key), str) and details[key].strip():
            return " ".join(details[key].split())
    return None


def failure(
    action: str | None, error: BaseException, *, dry_run: bool, changed: bool = False
) -> ActionResult:
    """The result of a run that raised: the success shape, ``ok`` false and ``error`` one line."""
    details = getattr(error, "details", None)
    return ActionResult(
        action=action,
        ok=False,
        changed=bool(getattr(error, "changed", changed)),
        dry_run=dry_run,
        details=dict(details) if isinstance(details, dict) else {},
        error=" ".join(str(error).split()) or type(error).__name__,
    )
