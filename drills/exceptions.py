"""Errors of the drill runner; each message is one line that says what to fix."""


class DrillError(Exception):
    """Base class for drill errors."""


class ScenarioError(DrillError):
    """A scenario file is invalid; nothing was run."""
