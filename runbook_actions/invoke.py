"""Run an action by name with raw arguments: the one path shared by the CLI, Lambda and drills."""

from __future__ import annotations

from typing import Any, Mapping

from .action import ActionResult
from .clients import AwsClients
from .params import resolve
from .registry import get_action


def invoke(
    name: str, clients: AwsClients, arguments: Mapping[str, Any], dry_run: bool = False
) -> ActionResult:
    """Validate ``arguments`` against the action's parameters, then run it."""
    action = get_action(name)
    kwargs = resolve(action.params, arguments)
    return action.run(clients, dry_run=dry_run, **kwargs)
