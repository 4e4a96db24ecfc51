"""Errors of the detection evaluator; each message is one line naming what to fix."""

from __future__ import annotations

from drills.exceptions import DrillError, ScenarioError


class SymptomError(ScenarioError):
    """A scenario's ``symptoms`` section (or a Symptoms object built in code) is invalid."""


class FilterPatternError(DrillError):
    """A CloudWatch Logs filter pattern is malformed or uses syntax the evaluator does not model."""


class DetectionError(DrillError):
    """The detection result was asked about something it does not know (e.g. an unknown alarm)."""
