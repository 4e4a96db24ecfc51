"""Expectations on a step's result: a dotted path (``*`` for every list item), an operator, a value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

_MISSING = object()
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, expected: actual == expected,
    "ne": lambda actual, expected: actual != expected,
    "gt": lambda actual, expected: actual > expected,
    "gte": lambda actual, expected: actual >= expected,
    "lt": lambda actual, expected: actual < expected,
    "lte": lambda actual, expected: actual <= expected,
    "in": lambda actual, expected: actual in expected,
    "contains": lambda actual, expected: expected in actual,
    "empty": lambda actual, _: len(actual) == 0,
    "non_empty": lambda actual, _: len(actual) > 0,
    "length_eq": lambda actual, expected: len(actual) == expected,
    "exists": lambda actual, _: actual is not _MISSING,
}
UNARY = {"empty", "non_empty", "exists"}


@dataclass(frozen=True)
class Expectation:
    path: str
    op: str
    value: Any = None

    def describe(self) -> str:
        suffix = "" if self.op in UNARY else f" {self.value!r}"
        return f"{self.path} {self.op}{suffix}"


def resolve_path(data: Any, path: str) -> list[Any]:
    """Values at ``path``; a ``*`` segment fans out over a list. Missing keys give _MISSING."""
    values = [data]
    for segment in path.split("."):
        values = [item for value in values for item in _step(value, segment)]
    return values


def evaluate(expectation: Expectation, data: Any) -> tuple[bool, str]:
    """(passed, detail). With ``*`` every value must pass and there must be at least one."""
    values = resolve_path(data, expectation.path)
    if not values:
        return False, f"{expectation.path}: no values"
    operator = OPERATORS[expectation.op]
    for value in values:
        if value is _MISSING and expectation.op != "exists":
            return False, f"{expectation.path}: missing"
        try:
            ok = operator(value, expectation.value)
        except TypeError:
            ok = False
        if not ok:
            return False, f"{expectation.describe()}: got {_short(value)}"
    return True, f"{expectation.describe()}: ok"


def _step(value: Any, segment: str) -> list[Any]:
    if segment == "*":
        return list(value) if isinstance(value, list) else [_MISSING]
    if isinstance(value, dict):
        return [value.get(segment, _MISSING)]
    if isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
        return [value[int(segment)]]
    return [_MISSING]


def _short(value: Any) -> str:
    text = "missing" if value is _MISSING else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
