"""Feed recorded resources to the pack's policies the way CrossGuard would, offline."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.pack import POLICIES
from tests.support.program_harness import ProgramRun, Recorded, set_config


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str | None


def crossguard_value(value: Any) -> Any:
    """Numbers arrive as floats in CrossGuard; everything else as plain JSON-like values."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: crossguard_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [crossguard_value(v) for v in value]
    return value


def _props(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return unknown_checking_proxy(crossguard_value(copy.deepcopy(dict(values))))


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def evaluate(
    run: ProgramRun, config: Mapping[str, Mapping[str, Any]] | None = None, policies: Iterable[Any] = POLICIES
) -> list[Violation]:
    """Every violation the policies report for ``run``; ``config`` is per policy name."""
    config = config or {}
    set_config(run.config)  # stack policies read the platform from the stack config
    found: list[Violation] = []
    for policy in policies:

        def report(message: str, urn: str | None = None, _name: str = policy.name) -> None:
            found.append(Violation(_name, message, urn))

        policy_config = dict(config.get(policy.name, {}))
        if isinstance(policy, ResourceValidationPolicy):
            for resource in run.resources:
                args = ResourceValidationArgs(
                    resource.typ,
                    _props(resource.inputs),
                    resource.urn,
                    resource.name,
                    _options(),
                    None,
                    policy_config,
                )
                policy.validate(args, lambda message, urn=None, _r=resource: report(message, urn or _r.urn))
        elif isinstance(policy, StackValidationPolicy):
            stack = [
                PolicyResource(r.typ, _props(r.outputs), r.urn, r.name, _options(), None, None, [], {})
                for r in run.resources
            ]
            policy.validate(StackValidationArgs(stack, policy_config), report)
    return found


def changed(
    run: ProgramRun, select: Callable[[Recorded], bool], change: Callable[[dict[str, Any]], None]
) -> ProgramRun:
    """A copy of ``run`` where ``change`` edited the inputs and outputs of selected resources."""
    resources = []
    hits = 0
    for resource in run.resources:
        resource = copy.deepcopy(resource)
        if select(resource):
            hits += 1
            change(resource.inputs)
            change(resource.outputs)
        resources.append(resource)
    assert hits, "the change selected no resource"
    return ProgramRun(run.stack, resources, run.exports, run.invokes, run.config)


def without(run: ProgramRun, select: Callable[[Recorded], bool]) -> ProgramRun:
    kept = [r for r in run.resources if not select(r)]
    assert len(kept) < len(run.resources), "nothing was removed"
    return ProgramRun(run.stack, kept, run.exports, run.invokes, run.config)


def added(run: ProgramRun, *extra: Recorded) -> ProgramRun:
    return ProgramRun(run.stack, [*run.resources, *extra], run.exports, run.invokes, run.config)
