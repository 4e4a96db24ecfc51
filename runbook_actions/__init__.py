"""Runbook actions for the Zelly incident response guide (standard library and boto3 only)."""

from .action import Action, ActionResult, IamGrant
from .clients import AwsClients
from .invoke import invoke
from .registry import all_actions, get_action

__all__ = ["Action", "ActionResult", "AwsClients", "IamGrant", "all_actions", "get_action", "invoke"]
