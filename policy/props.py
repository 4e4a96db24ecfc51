"""Reading resource properties the way CrossGuard hands them over.

CrossGuard wraps props in Mapping/Sequence proxies (not dict/list), sends every number as a
float, and may give JSON policy documents either as text or already parsed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Iterator


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def as_list(value: Any) -> list[Any]:
    """IAM and the providers allow one value or a list wherever a list is meant."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return [value]


def get(props: Any, *path: str, default: Any = None) -> Any:
    """``props[a][b]...``, or ``default`` when any step is missing."""
    node = props
    for key in path:
        if not is_mapping(node) or key not in node:
            return default
        node = node[key]
    return node


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def tags_of(props: Any) -> Mapping[str, Any]:
    tags = get(props, "tags")
    return tags if is_mapping(tags) else {}


def document(value: Any) -> Mapping[str, Any] | None:
    """A policy document from JSON text or a mapping; None when it is neither."""
    if is_mapping(value):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if is_mapping(parsed) else None
    return None


def statements(value: Any) -> Iterator[Mapping[str, Any]]:
    parsed = document(value)
    if parsed is None:
        return iter(())
    return (s for s in as_list(parsed.get("Statement")) if is_mapping(s))
