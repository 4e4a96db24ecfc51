"""Errors of the runbook checker; each message is one line that names the file and line."""


class RunbookCheckError(Exception):
    """Base class for the runbook checker's errors."""


class RunbookFormatError(RunbookCheckError):
    """The runbook or one of its annotations is malformed; nothing was run."""
