"""Pulumi components for the incident infrastructure, one module each, composed by ``__main__.py``.

The package itself imports nothing, so the pure helpers (``arns``, ``iam_documents``,
``resource_scope``, ``tags``) load without Pulumi, e.g. from the policy pack.
"""
