"""Registries of probes (read-only checks) and faults (injected failures with their undo).

Probes and faults are plain functions registered with a decorator in the modules of
``drills.probes`` and ``drills.faults``; scenarios name them. Each declares the AWS services it
calls (IAM prefixes) and the target capabilities its verdict depends on.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from targets.target import CLOUDTRAIL_LOOKUP


@dataclass
class Check:
    """A probe's verdict. ``passed`` None means not covered on this target."""

    passed: bool | None
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    name: str
    function: Callable[..., Check]
    services: frozenset[str]
    requires: tuple[str, ...]
    params: tuple[str, ...]


@dataclass(frozen=True)
class Fault:
    """``plan(ctx, **args)`` reads, changes nothing, and returns what the undo needs even if the
    injection is cut short; it is journalled before ``inject(ctx, plan, **args)`` changes the
    target. ``undo(ctx, state)`` gets the plan, or the fuller state inject returned, and must
    be safe to repeat."""

    name: str
    plan: Callable[..., dict[str, Any]]
    inject: Callable[..., dict[str, Any]]
    undo: Callable[..., str]
    services: frozenset[str]
    params: tuple[str, ...]
    outputs: tuple[str, ...]


_PROBES: dict[str, Probe] = {}
_FAULTS: dict[str, Fault] = {}

# Runbook actions whose every call needs a behaviour some targets lack: on such a target the
# step is reported not covered, naming the gap, without the call (moto's server answers
# LookupEvents with a bare HTTP 500, which botocore retries for ~0.4 s before giving up).
ACTION_REQUIRES: dict[str, tuple[str, ...]] = {"cloudtrail-lookup": (CLOUDTRAIL_LOOKUP,)}


def probe(name: str, *, services: set[str], requires: tuple[str, ...] = ()) -> Callable:
    def register(function: Callable[..., Check]) -> Callable[..., Check]:
        _register(
            _PROBES, name, Probe(name, function, frozenset(services), requires, _keyword_params(function))
        )
        return function

    return register


def fault(
    name: str,
    *,
    services: set[str],
    plan: Callable[..., dict[str, Any]],
    undo: Callable[..., str],
    outputs: tuple[str, ...] = (),
) -> Callable:
    def register(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        _register(
            _FAULTS,
            name,
            Fault(name, plan, function, undo, frozenset(services), _keyword_params(function), outputs),
        )
        return function

    return register


@lru_cache(maxsize=1)
def _load_all() -> None:
    for package_name in ("drills.probes", "drills.faults"):
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package_name}.{info.name}")


def probes() -> dict[str, Probe]:
    _load_all()
    return dict(_PROBES)


def faults() -> dict[str, Fault]:
    _load_all()
    return dict(_FAULTS)


def _register(registry: dict[str, Any], name: str, item: Any) -> None:
    if name in registry and registry[name] != item:
        raise RuntimeError(f"two activities are named {name!r}")
    registry[name] = item


def _keyword_params(function: Callable) -> tuple[str, ...]:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # after ctx
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)
