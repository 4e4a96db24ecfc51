"""Build frozen dataclasses from plain mappings, naming the exact key on any error.

Config files use camelCase keys (Pulumi's convention); the dataclasses use snake_case.
Unknown keys, missing required keys and wrong types are all rejected, so a typo in a
stack file fails loudly instead of silently falling back to a default.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Mapping, cast

from .exceptions import StackConfigError


def camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def build(cls: type, data: Any, path: str) -> Any:
    """Return ``cls`` built from ``data``; ``path`` names ``data`` in error messages."""
    if not isinstance(data, Mapping):
        raise StackConfigError(f"{path}: expected a mapping, got {_describe(data)}")
    fields = {camel_case(f.name): f for f in dataclasses.fields(cls)}
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        raise StackConfigError(f"{path}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(cls)
    values = {}
    for key, field in fields.items():
        if key in data:
            values[field.name] = convert(hints[field.name], data[key], f"{path}.{key}")
        elif _is_required(field):
            raise StackConfigError(f"{path}.{key}: required key is missing")
    instance = cls(**values)
    validate = getattr(instance, "validate", None)
    if validate is not None:
        validate(path)
    return instance


def convert(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _convert_optional(args, value, path)
    if origin is tuple:
        return _convert_sequence(args[0], value, path)
    if origin in (dict, Mapping) or hint is dict:
        return _convert_mapping(args[1] if args else Any, value, path)
    if dataclasses.is_dataclass(hint):
        return build(cast(type, hint), value, path)
    return _convert_scalar(hint, value, path)


def _convert_optional(args: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None:
        return None
    inner = [a for a in args if a is not type(None)]
    return convert(inner[0], value, path)


def _convert_sequence(item_hint: Any, value: Any, path: str) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise StackConfigError(f"{path}: expected a list, got {_describe(value)}")
    return tuple(convert(item_hint, item, f"{path}[{i}]") for i, item in enumerate(value))


def _convert_mapping(value_hint: Any, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise StackConfigError(f"{path}: expected a mapping, got {_describe(value)}")
    return {str(k): convert(value_hint, v, f"{path}.{k}") for k, v in value.items()}


def _convert_scalar(hint: Any, value: Any, path: str) -> Any:
    if hint is Any:
        return value
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str) and value.strip() != ""
    else:
        raise TypeError(f"unsupported field type {hint!r} at {path}")
    if not ok:
        raise StackConfigError(f"{path}: expected {_type_name(hint)}, got {_describe(value)}")
    return float(value) if hint is float else value


def require_pattern(value: str, pattern: str, path: str, meaning: str) -> None:
    """Raise a StackConfigError unless ``value`` fully matches ``pattern``."""
    if not re.fullmatch(pattern, value):
        raise StackConfigError(f"{path}: {value!r} is not {meaning}")


def _is_required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _type_name(hint: Any) -> str:
    return {str: "a non-empty string", int: "an integer", bool: "true or false", float: "a number"}.get(
        hint, getattr(hint, "__name__", str(hint))
    )


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"
