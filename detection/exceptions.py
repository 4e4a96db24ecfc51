"""Errors of the detection evaluator; each message is one line naming what to fix."""

from __future__ import annotations


class DetectionError(Exception):
    """Base class; also raised when a result is asked about something it does not know (an unknown alarm)."""


class SymptomError(DetectionError):
    """A scenario's ``symptoms`` section (or a Symptoms object built in code) is invalid."""


class FilterPatternError(DetectionError):
    """A CloudWatch Logs filter pattern is malformed or uses syntax the evaluator does not model."""
