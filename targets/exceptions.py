"""Errors of the targets package; each message is one line that says what to fix."""


class TargetError(Exception):
    """The target cannot run the drill (unreachable, lacks a service, not allowed)."""


class EmulatorError(TargetError):
    """The embedded emulator could not be started."""
