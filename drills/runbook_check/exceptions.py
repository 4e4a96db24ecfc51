"""Errors of the runbook checker; each message is one line that names the file and line."""

from ..exceptions import DrillError


class RunbookFormatError(DrillError):
    """The runbook or one of its annotations is malformed; nothing was run."""
