"""The Lambda entry point: one function per action, chosen by the RUNBOOK_ACTION variable.

The event holds the action's arguments by name, plus an optional ``dry_run``. A failure raises,
so that asynchronous invocations reach the function's failure destination; before it does, the
function's log gets the failure as the same object a success returns (``action, ok, changed,
dry_run, details, error``), as the command line prints it.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from .action import failure
from .clients import AwsClients
from .constants import ENV_ACTION
from .exceptions import InvalidArgumentError, RunbookError
from .invoke import invoke
from .registry import all_actions

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
_clients: AwsClients | None = None  # reused across warm invocations


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    try:
        name, arguments, dry_run = parse_event(event)
        result = invoke(name, _shared_clients(), arguments, dry_run=dry_run, environ=os.environ).to_dict()
    except RunbookError as error:
        failed = failure(_named_action(event), error, dry_run=_dry_run(event)).to_dict()
        logger.error(json.dumps(failed, default=str))
        raise
    logger.info(
        json.dumps({"action": name, "ok": result["ok"], "changed": result["changed"], "dry_run": dry_run})
    )
    return result


def parse_event(event: Any) -> tuple[str, dict[str, Any], bool]:
    if not isinstance(event, dict):
        raise InvalidArgumentError(f"event must be a JSON object, got {type(event).__name__}")
    arguments = dict(event)
    configured = os.environ.get(ENV_ACTION)
    requested = arguments.pop("action", None)
    if configured and requested not in (None, configured):
        raise InvalidArgumentError(f"this function runs {configured!r}, not {requested!r}")
    name = configured or requested
    if not isinstance(name, str):
        raise InvalidArgumentError(f"no action named: set {ENV_ACTION} or give 'action' in the event")
    dry_run = arguments.pop("dry_run", False)
    if not isinstance(dry_run, bool):
        raise InvalidArgumentError(f"dry_run: expected true or false, got {dry_run!r}")
    return name, arguments, dry_run


def _named_action(event: Any) -> str | None:
    """The action a (possibly malformed) event is for, when one can be told; else None."""
    requested = event.get("action") if isinstance(event, dict) else None
    name = os.environ.get(ENV_ACTION) or requested
    return name if isinstance(name, str) and name in all_actions() else None


def _dry_run(event: Any) -> bool:
    return isinstance(event, dict) and event.get("dry_run") is True


def _shared_clients() -> AwsClients:
    global _clients
    if _clients is None:
        _clients = AwsClients()
    return _clients
