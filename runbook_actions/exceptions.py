"""Errors raised by runbook actions. Each carries a one-line message fit for stderr at 3 am."""

from __future__ import annotations

from typing import Any


class RunbookError(Exception):
    """Base class: the action did not do what was asked."""

    exit_code = 1

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(" ".join(str(message).split()))
        self.details = details or {}


class InvalidArgumentError(RunbookError):
    """An argument is missing, of the wrong type or out of range; nothing was changed."""

    exit_code = 2


class NotFoundError(RunbookError):
    """A cluster, service, revision or other named resource does not exist."""


class RefusedError(RunbookError):
    """The action refuses to act because acting would be unsafe or meaningless."""


class NotSupportedError(RunbookError):
    """The endpoint does not implement an API the action needs."""


class AwsCallError(RunbookError):
    """An AWS API call failed (after the client's retries)."""
