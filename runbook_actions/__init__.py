"""Runbook actions for the Zelly incident response guide (standard library and boto3 only).

Other packages import what ``__all__`` names: the action API below, and the public modules
``aws`` (the helpers behind the actions), ``cli`` (the command line), ``constants`` and
``exceptions``. Everything else is the actions' own business.
"""

# First: under ``python -m runbook_actions``, from this line on a signal exits 130 (see interrupts).
from . import interrupts as _interrupts  # noqa: F401
from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .exceptions import InvalidArgumentError, NotFoundError, NotSupportedError, RunbookError
from .invoke import arguments_with_environment, invoke
from .registry import all_actions, get_action

__all__ = [
    "Action",
    "ActionResult",
    "AwsClients",
    "IamGrant",
    "InvalidArgumentError",
    "NotFoundError",
    "NotSupportedError",
    "RunbookError",
    "all_actions",
    "arguments_with_environment",
    "aws",
    "cli",
    "constants",
    "exceptions",
    "get_action",
    "invoke",
]
