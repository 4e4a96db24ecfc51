"""The guardrail policy pack (pulumi-policy / CrossGuard) for the incident infrastructure.

Policies live in small modules that import without starting the analyzer's gRPC server;
only ``__main__.py`` builds the ``PolicyPack`` (which serves and blocks).
"""
