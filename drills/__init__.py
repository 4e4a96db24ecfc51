"""Chaos drills that run the incident guide's procedures against an AWS emulator or account.

The engine: scenarios (``scenario``), the runner and its phases, game days, the fault journal,
reports. Other packages (the runbook checker, the benchmarks) import the modules ``__all__`` names.
"""

__all__ = [
    "activities",
    "console",
    "context",
    "exceptions",
    "expectations",
    "files",
    "redaction",
    "report",
    "scenario",
]
