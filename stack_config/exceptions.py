"""Errors raised while loading and validating a stack's platform description."""


class StackConfigError(Exception):
    """The stack config cannot be used; the message names the offending key."""


class StackNotFoundError(StackConfigError):
    """No Pulumi.<stack>.yaml exists for the requested stack."""
