"""Composite-alarm rules as data, e.g. "for every web service, no tasks OR no healthy hosts".

Grammar of a rule node in alarms.yaml::

    "<alarm name template>"                      ALARM("<name>")
    {allOf: [node, ...]}  / {anyOf: [node, ...]}  AND / OR of the nodes
    {allOfEach: <scope>, rule: node}             AND of ``node`` repeated for each item of
    {anyOfEach: <scope>, rule: node}             the scope (web_service, service, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

from .exceptions import CatalogError
from .model import AlarmState, AllOf, AnyOf, RuleNode
from .render import check_fields, render
from .variables import SCOPE_VARIABLES, Item

# AllOf or AnyOf: builds the group node from its children.
Combine = Callable[[tuple[RuleNode, ...]], RuleNode]
_GROUPS: dict[str, Combine] = {"allOf": AllOf, "anyOf": AnyOf}
_EACH: dict[str, Combine] = {"allOfEach": AllOf, "anyOfEach": AnyOf}


@dataclass(frozen=True)
class RefTemplate:
    name: str


@dataclass(frozen=True)
class GroupTemplate:
    combine: Combine
    children: tuple["RuleTemplate", ...]


@dataclass(frozen=True)
class EachTemplate:
    combine: Combine
    scope: str
    child: "RuleTemplate"


RuleTemplate = Union[RefTemplate, GroupTemplate, EachTemplate]
ItemsOf = Callable[[str], list[Item]]


def parse_rule(raw: Any, where: str, allowed: frozenset[str]) -> RuleTemplate:
    """Check a rule node's shape and variables; ``allowed`` are the variables in scope here."""
    if isinstance(raw, str):
        check_fields(raw, allowed, where)
        return RefTemplate(raw)
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: a rule is an alarm name or a mapping, got {raw!r}")
    keys = set(raw)
    group_keys = keys & set(_GROUPS)
    each_keys = keys & set(_EACH)
    if len(group_keys) == 1 and keys == group_keys:
        key = group_keys.pop()
        children = raw[key]
        if not isinstance(children, list) or not children:
            raise CatalogError(f"{where}.{key}: expected a non-empty list of rules")
        return GroupTemplate(
            _GROUPS[key],
            tuple(parse_rule(child, f"{where}.{key}[{i}]", allowed) for i, child in enumerate(children)),
        )
    if len(each_keys) == 1 and keys == each_keys | {"rule"}:
        key = each_keys.pop()
        scope = raw[key]
        if scope not in SCOPE_VARIABLES or scope is None:
            scopes = ", ".join(s for s in SCOPE_VARIABLES if s)
            raise CatalogError(f"{where}.{key}: unknown scope {scope!r} (scopes: {scopes})")
        return EachTemplate(
            _EACH[key], scope, parse_rule(raw["rule"], f"{where}.rule", allowed | SCOPE_VARIABLES[scope])
        )
    raise CatalogError(
        f"{where}: a rule mapping has exactly one of allOf, anyOf, or one of "
        f"allOfEach/anyOfEach with 'rule'; got keys {sorted(keys)}"
    )


def expand_rule(
    template: RuleTemplate, variables: Mapping[str, Any], items_of: ItemsOf, where: str
) -> RuleNode:
    """The concrete rule; an ``Each`` over an empty scope is an error, never a vacuous truth."""
    if isinstance(template, RefTemplate):
        return AlarmState(render(template.name, variables, where))
    if isinstance(template, GroupTemplate):
        return template.combine(
            tuple(expand_rule(child, variables, items_of, where) for child in template.children)
        )
    items = items_of(template.scope)
    if not items:
        # AllOf([]) would be permanently true: an "everything is down" alarm always firing.
        raise CatalogError(f"{where}: scope {template.scope!r} has no items on this platform")
    return template.combine(
        tuple(expand_rule(template.child, {**variables, **item.variables}, items_of, where) for item in items)
    )
