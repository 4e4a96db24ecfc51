"""Every runbook action, found by looking for an ``ACTION`` in the package's modules."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .action import Action
from .exceptions import InvalidArgumentError


@lru_cache(maxsize=1)
def all_actions() -> dict[str, Action]:
    package = importlib.import_module(__package__)
    actions: dict[str, Action] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{module_info.name}")
        action = getattr(module, "ACTION", None)
        if isinstance(action, Action):
            if action.name in actions:
                raise RuntimeError(f"two runbook actions are named {action.name!r}")
            actions[action.name] = action
    return dict(sorted(actions.items()))


def get_action(name: str) -> Action:
    actions = all_actions()
    if name not in actions:
        raise InvalidArgumentError(f"unknown action {name!r} (actions: {', '.join(actions)})")
    return actions[name]
