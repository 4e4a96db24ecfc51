"""Errors raised while loading or expanding the alarm catalog."""


class CatalogError(Exception):
    """The catalog cannot be used; the message names the entry (and key) at fault."""
