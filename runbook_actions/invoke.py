"""Run an action by name with raw arguments: the one path shared by the CLI, Lambda and drills."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from .action import ActionResult
from .clients import AwsClients
from .params import fill_from_environment, resolve
from .registry import get_action

NO_ENVIRONMENT: Mapping[str, str] = MappingProxyType({})


def invoke(
    name: str,
    clients: AwsClients,
    arguments: Mapping[str, Any],
    dry_run: bool = False,
    *,
    environ: Mapping[str, str] = NO_ENVIRONMENT,
) -> ActionResult:
    """Validate ``arguments`` (omitted ones taken from ``environ``) against the action's parameters, then run it."""
    action = get_action(name)
    kwargs = resolve(action.params, arguments, environ)
    return action.run(clients, dry_run=dry_run, **kwargs)


def arguments_with_environment(
    name: str, arguments: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """``arguments`` with each omitted one that ``environ`` sets, as ``invoke`` would fill them."""
    return fill_from_environment(get_action(name).params, arguments, environ)
