"""Declared parameters, parsed the same way from the command line and from Lambda events."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .exceptions import InvalidArgumentError

_MAX_TEXT = 1024
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,12}", re.ASCII)
_ASCII_SPACE = " \t\n\r"


@dataclass(frozen=True)
class Param:
    """One action parameter; ``kind`` is str, int or bool, ``multiple`` makes a list of them.

    A ``multiple`` parameter's environment variable holds its values separated by commas
    (``ZELLY_APP_CIDRS=10.0.1.0/24,10.0.2.0/24``); on the command line the flag takes one or
    more values, in an event a JSON list. ``check`` (text only) returns the value as the action
    takes it or raises ValueError saying what is wrong; it runs after ``pattern``.
    """

    name: str
    kind: type
    help: str
    required: bool = False
    default: Any = None
    env: str | None = None
    multiple: bool = False
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    check: Callable[[str], str] | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def coerce(self, raw: Any) -> Any:
        """Convert a CLI string or a JSON value; raise InvalidArgumentError naming the value."""
        if self.multiple:
            items = raw if isinstance(raw, (list, tuple)) else [raw]
            if not items:
                raise InvalidArgumentError(f"{self.flag}: needs at least one value")
            return [self._coerce_one(item) for item in items]
        return self._coerce_one(raw)

    def _coerce_one(self, raw: Any) -> Any:
        if self.kind is bool:
            return _to_bool(self.flag, raw)
        if self.kind is int:
            return self._check_range(_to_int(self.flag, raw))
        return self._check_text(raw)

    def _check_range(self, value: int) -> int:
        if self.minimum is not None and value < self.minimum:
            raise InvalidArgumentError(f"{self.flag}: {value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise InvalidArgumentError(f"{self.flag}: {value} is above the maximum {self.maximum}")
        return value

    def _check_text(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise InvalidArgumentError(f"{self.flag}: expected text, got {_show(raw)}")
        if not raw.strip():
            raise InvalidArgumentError(f"{self.flag}: must not be empty")
        if len(raw) > _MAX_TEXT:
            raise InvalidArgumentError(f"{self.flag}: value is {len(raw)} characters long (max {_MAX_TEXT})")
        if self.choices is not None and raw not in self.choices:
            raise InvalidArgumentError(f"{self.flag}: {_show(raw)} is not one of {', '.join(self.choices)}")
        if self.pattern is not None and not re.fullmatch(self.pattern, raw):
            raise InvalidArgumentError(f"{self.flag}: {_show(raw)} is not a valid value")
        if self.check is not None:
            try:
                return self.check(raw)
            except ValueError as error:
                raise InvalidArgumentError(f"{self.flag}: {_show(raw)} {error}") from None
        return raw


def fill_from_environment(
    params: tuple[Param, ...], given: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """``given``, plus each omitted argument whose variable ``environ`` sets (raw, not yet checked;
    a ``multiple`` one split at commas, blanks around each value dropped)."""
    filled = dict(given)
    for param in params:
        if filled.get(param.name) is None and param.env and environ.get(param.env):
            value = environ[param.env]
            filled[param.name] = [part.strip() for part in value.split(",")] if param.multiple else value
    return filled


def resolve(
    params: tuple[Param, ...], given: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Any]:
    """Turn given values into keyword arguments: explicit value, then ``environ``, then default.

    ``environ`` is passed, never read from the process: the command line and Lambda pass
    ``os.environ``; a drill passes the stack's own values, whatever the responder's shell holds.
    """
    unknown = sorted(set(given) - {p.name for p in params})
    if unknown:
        allowed = ", ".join(p.name for p in params) or "none"
        raise InvalidArgumentError(f"unknown argument {unknown[0]!r} (allowed: {allowed})")
    raw_values = fill_from_environment(params, given, environ)
    values: dict[str, Any] = {}
    for param in params:
        raw = raw_values.get(param.name)
        if raw is None:
            if param.required:
                hint = f" (or set {param.env})" if param.env else ""
                raise InvalidArgumentError(f"{param.flag} is required{hint}")
            values[param.name] = param.default
        else:
            try:
                values[param.name] = param.coerce(raw)
            except InvalidArgumentError as error:
                if given.get(param.name) is None and param.env:  # the responder typed no such flag
                    raise InvalidArgumentError(f"{error} (read from {param.env})") from None
                raise
    return values


def _to_bool(flag: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidArgumentError(f"{flag}: expected true or false, got {_show(raw)}")


def _to_int(flag: str, raw: Any) -> int:
    if isinstance(raw, bool):
        raise InvalidArgumentError(f"{flag}: expected a whole number, got {_show(raw)}")
    if isinstance(raw, int):
        return raw
    # ASCII only: int() and \d take every Unicode decimal digit ("٣" is 3 to them), and
    # str.strip() every Unicode space; a count must be exactly what the responder typed.
    if isinstance(raw, str) and _ASCII_INT.fullmatch(raw.strip(_ASCII_SPACE)):
        return int(raw.strip(_ASCII_SPACE))
    raise InvalidArgumentError(f"{flag}: expected a whole number, got {_show(raw)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
