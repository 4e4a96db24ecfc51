"""Errors raised by runbook actions. Each carries a one-line message fit for stderr at 3 am."""

from __future__ import annotations

from typing import Any


class RunbookError(Exception):
    """Base class: the action did not do what was asked."""

    exit_code = 1

    def __init__(self, message: str, details: dict[str, Any] | None = None, *, changed: bool = False) -> None:
        super().__init__(" ".join(str(message).split()))
        self.details = details or {}
        self.changed = changed  # the action had changed something before it failed


class InvalidArgumentError(RunbookError):
    """Bad input: an argument is missing, malformed, out of range or contradicts another; judged
    from the arguments alone, so nothing was asked of AWS and nothing was changed (exit 2)."""

    exit_code = 2


class NotFoundError(RunbookError):
    """A cluster, service, revision or other named resource does not exist."""


class RefusedError(RunbookError):
    """The action refuses to act because acting would be unsafe or meaningless."""


class NotSupportedError(RunbookError):
    """The endpoint does not implement an API the action needs."""


class AwsCallError(RunbookError):
    """An AWS API call failed (after the client's retries)."""
