"""The annotations a ``bash`` block carries: what it must print, the state after it, what it
needs, and why it is not run. Expectations and fault references are validated by the same
rules as drill scenarios, so a runbook and a scenario mean the same thing by them.

- ``expect``: ``{path, op, value}`` (or a list) on the last JSON document the block prints
- ``expect-each``: the same on every JSON document it prints (loops over services)
- ``expect-output``: ``{op, value}`` on the block's whole stdout as text
- ``expect-state``: ``{read: "ecs.describe_services", args, path, op, value}``: a read-only
  API call the checker makes after the block, independently of what the block printed
- ``given``: ``{fault, args}``: a drill fault injected before the block; its outputs become
  shell variables (``leaked_user`` -> ``LEAKED_USER``)
- ``requires``: target capabilities (``cloudtrail.lookup-events``); on a target that lacks one
  the block's arguments are checked but nothing is sent, and it is reported not covered
- ``not-covered``: why the block needs a person or a system no emulator has; never run
- ``setup``: run at the start of every procedure, as a person does once per shell
- ``timeout``: seconds the block may take (default 60)

Strings in expectations may name shell variables as ``${NAME}``; they are read from the
block's shell after it ran.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from drills.exceptions import ScenarioError
from drills.expectations import Expectation

# The scenario validator's own rules, so an expectation or fault reads the same everywhere.
from drills.scenario import check_reference, parse_expectations
from targets.target import ALL_CAPABILITIES

from .exceptions import RunbookFormatError

KEYS = (
    "expect",
    "expect-each",
    "expect-output",
    "expect-state",
    "given",
    "requires",
    "not-covered",
    "setup",
    "timeout",
)
EXPECTATION_KEYS = ("expect", "expect-each", "expect-output", "expect-state")
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 600.0
OUTPUT_PATH = "output"  # expect-output evaluates {"output": <stdout>}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_READ = re.compile(r"([a-z0-9]+)\.((?:describe|get|list)_[a-z0-9_]+)")
_ANNOTATION = re.compile(r"([a-z][a-z-]*)(?:\s*:\s*(.*))?", re.S)


@dataclass(frozen=True)
class StateCheck:
    service: str
    operation: str
    args: dict[str, Any]
    expectation: Expectation

    def describe(self) -> str:
        return f"{self.service}.{self.operation}: {self.expectation.describe()}"


@dataclass(frozen=True)
class Given:
    fault: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Annotations:
    expect: tuple[Expectation, ...] = ()
    expect_each: tuple[Expectation, ...] = ()
    expect_output: tuple[Expectation, ...] = ()
    expect_state: tuple[StateCheck, ...] = ()
    given: tuple[Given, ...] = ()
    requires: tuple[str, ...] = ()
    not_covered: str | None = None
    setup: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    raw: str = field(default="", repr=False)  # scanned for drifted names like the block itself

    @property
    def has_expectations(self) -> bool:
        return bool(self.expect or self.expect_each or self.expect_output or self.expect_state)

    def variables_used(self) -> set[str]:
        """Shell variables the expectations name as ``${NAME}``."""
        return set(VARIABLE.findall(self.raw))

    @classmethod
    def build(cls, pending: list[tuple[int, str, str | None]], where: str) -> "Annotations":
        fields: dict[str, Any] = {"raw": "\n".join(f"{k}: {v or ''}" for _, k, v in pending)}
        for line, key, value in pending:
            _add(fields, key, value, f"{where.rsplit(':', 1)[0]}:{line}")
        annotations = cls(**fields)
        _check_combination(annotations, where)
        return annotations


def parse_annotation(content: str, where: str) -> tuple[str, str | None] | None:
    """``(key, value)`` of an annotation comment; None for an ordinary comment."""
    match = _ANNOTATION.fullmatch(content)
    if not match:
        return None
    key, value = match.group(1), match.group(2)
    if key not in KEYS:
        if value is None:
            return None  # a one-word comment such as <!-- draft -->
        raise RunbookFormatError(f"{where}: unknown annotation {key!r} (known: {', '.join(KEYS)})")
    if key == "setup" and value is not None:
        raise RunbookFormatError(f"{where}: 'setup' takes no value")
    if key != "setup" and not (value or "").strip():
        raise RunbookFormatError(f"{where}: annotation {key!r} needs a value")
    return key, value.strip() if value is not None else None


_SINGLE_FIELDS = {"not-covered": "not_covered", "setup": "setup", "timeout": "timeout_s"}


def _add(fields: dict[str, Any], key: str, value: str | None, where: str) -> None:
    if _SINGLE_FIELDS.get(key) in fields:
        raise RunbookFormatError(f"{where}: {key!r} given twice for one block")
    if key == "setup":
        fields["setup"] = True
    elif key == "not-covered":
        fields["not_covered"] = value
    elif key == "timeout":
        fields["timeout_s"] = _timeout(value or "", where)
    elif key == "requires":
        fields["requires"] = fields.get("requires", ()) + _capabilities(value or "", where)
    else:
        parsed = {
            "expect": _expectations,
            "expect-each": _expectations,
            "expect-output": _output_expectations,
            "expect-state": _state_checks,
            "given": _givens,
        }[key](_json_items(value or "", where), f"{where}: {key}")
        name = key.replace("-", "_")
        fields[name] = fields.get(name, ()) + parsed


def _json_items(value: str, where: str) -> list[Any]:
    try:
        data = json.loads(value)
    except json.JSONDecodeError as error:
        raise RunbookFormatError(
            f"{where}: annotation value is not JSON ({error.msg} at column {error.colno})"
        ) from None
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            raise RunbookFormatError(f"{where}: expected a JSON object or a list of them")
    return items


def _expectations(items: list[dict[str, Any]], where: str) -> tuple[Expectation, ...]:
    try:
        return parse_expectations(items, where)
    except ScenarioError as error:
        raise RunbookFormatError(str(error)) from None


def _output_expectations(items: list[dict[str, Any]], where: str) -> tuple[Expectation, ...]:
    for item in items:
        if "path" in item:
            raise RunbookFormatError(
                f"{where}: takes no 'path' (it checks the whole output); use 'expect' for JSON fields"
            )
    return _expectations([{"path": OUTPUT_PATH, **item} for item in items], where)


def _state_checks(items: list[dict[str, Any]], where: str) -> tuple[StateCheck, ...]:
    checks = []
    for i, item in enumerate(items):
        read, args = item.pop("read", None), item.pop("args", {})
        match = _READ.fullmatch(read) if isinstance(read, str) else None
        if not match:
            raise RunbookFormatError(
                f"{where}[{i}].read: {read!r} is not 'service.describe_…', "
                "'service.get_…' or 'service.list_…' (reads only)"
            )
        if not isinstance(args, dict):
            raise RunbookFormatError(f"{where}[{i}].args: expected a JSON object")
        (expectation,) = _expectations([item], f"{where}[{i}]")
        checks.append(StateCheck(match.group(1), match.group(2), args, expectation))
    return tuple(checks)


def _givens(items: list[dict[str, Any]], where: str) -> tuple[Given, ...]:
    givens = []
    for i, item in enumerate(items):
        unknown = sorted(set(item) - {"fault", "args"})
        if unknown:
            raise RunbookFormatError(f"{where}[{i}]: unknown key {unknown[0]!r} (allowed: args, fault)")
        args = item.get("args", {})
        if not isinstance(args, dict):
            raise RunbookFormatError(f"{where}[{i}].args: expected a JSON object")
        try:
            check_reference("fault", item.get("fault"), args, f"{where}[{i}]")
        except ScenarioError as error:
            raise RunbookFormatError(str(error)) from None
        givens.append(Given(item["fault"], args))
    return tuple(givens)


def _capabilities(value: str, where: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    for name in names:
        if name not in ALL_CAPABILITIES:
            raise RunbookFormatError(
                f"{where}: unknown capability {name!r} (known: {', '.join(sorted(ALL_CAPABILITIES))})"
            )
    return names


def _timeout(value: str, where: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise RunbookFormatError(f"{where}: timeout {value!r} is not a number of seconds") from None
    if not 0 < seconds <= MAX_TIMEOUT_S:
        raise RunbookFormatError(f"{where}: timeout {seconds:g} is outside 0..{MAX_TIMEOUT_S:g} s")
    return seconds


def _check_combination(annotations: Annotations, where: str) -> None:
    if annotations.not_covered is not None:
        extra = [
            k
            for k, present in (
                ("expectations", annotations.has_expectations),
                ("given", annotations.given),
                ("requires", annotations.requires),
                ("setup", annotations.setup),
            )
            if present
        ]
        if extra:
            raise RunbookFormatError(
                f"{where}: a not-covered block is never run, so it takes no {', '.join(extra)}"
            )
        return
    if not annotations.has_expectations:
        raise RunbookFormatError(
            f"{where}: bash block without an expectation; say what it does "
            f"({', '.join(EXPECTATION_KEYS)}) or why it is not run (not-covered)"
        )
    if annotations.setup and (annotations.requires or annotations.given):
        raise RunbookFormatError(f"{where}: a setup block runs everywhere; it takes no requires or given")
