"""Pulumi components for the incident infrastructure, one module each, composed by ``__main__.py``.

The package itself imports nothing, so the pure helpers (``arns``, ``iam_documents``,
``resource_scope``, ``tags``) load without Pulumi, e.g. from the policy pack.
"""

__all__ = [
    "alarms",
    "arns",
    "backup",
    "break_glass",
    "gameday_schedule",
    "iam_documents",
    "lookups",
    "notifications",
    "preconditions",
    "resource_scope",
    "runbook_functions",
    "runbook_iam",
    "tags",
]
