"""Shape checks for data read from YAML (scenarios, their symptoms): each failure raises the caller's error type."""

from __future__ import annotations

from typing import Any, Mapping


def require_mapping(value: Any, where: str, allowed: set[str] | None, error: type[Exception]) -> None:
    """``value`` is a mapping, and (when ``allowed`` is given) has no other keys."""
    if not isinstance(value, Mapping):
        raise error(f"{where}: expected a mapping, got {type(value).__name__}")
    if allowed is not None:
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            raise error(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def require_list(value: Any, where: str, error: type[Exception]) -> list[Any]:
    if not isinstance(value, list):
        raise error(f"{where}: expected a list, got {type(value).__name__}")
    return value
