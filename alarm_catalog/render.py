"""``{variable}`` templates: which variables a text uses, and the text with their values."""

from __future__ import annotations

import string
from typing import Any, Iterable, Mapping

from .exceptions import CatalogError

_FORMATTER = string.Formatter()


def template_fields(text: str, where: str) -> frozenset[str]:
    """The variable names in ``text``; only plain ``{name}`` fields are allowed."""
    names = set()
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as error:
        raise CatalogError(f"{where}: {text!r} is not a valid template ({error})") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise CatalogError(
                f"{where}: template field {{{name}}} in {text!r} must be a plain "
                "{variable} (no format spec, conversion, index or attribute)"
            )
        names.add(name)
    return frozenset(names)


def check_fields(text: str, allowed: frozenset[str], where: str) -> None:
    """Raise naming ``where`` when ``text`` uses a variable outside ``allowed``."""
    unknown = sorted(template_fields(text, where) - allowed)
    if unknown:
        raise CatalogError(
            f"{where}: unknown template variable {{{unknown[0]}}} "
            f"(variables here: {', '.join(sorted(allowed))})"
        )


def render(text: str, variables: Mapping[str, Any], where: str) -> str:
    """``text`` with every ``{name}`` replaced; a variable without a value is an error."""
    for name in template_fields(text, where):
        _value(variables, name, where)
    return text.format_map(variables)


def _value(variables: Mapping[str, Any], name: str, where: str) -> Any:
    value = variables.get(name)
    if value is None:
        raise CatalogError(
            f"{where}: template variable {{{name}}} has no value on this "
            "platform (set it in the stack config)"
        )
    return value


def render_pattern(pattern: str, names: Iterable[str], variables: Mapping[str, Any], where: str) -> str:
    """A filter pattern with each ``{name}`` of ``names`` replaced; everything else stays literal
    (JSON patterns and regex quantifiers use braces too)."""
    for name in names:
        pattern = pattern.replace(f"{{{name}}}", str(_value(variables, name, where)))
    return pattern
