"""May a drill inject faults into this target? Pure decisions, so every refusal is testable offline.

Emulator targets (local, localstack) get dummy credentials that no AWS account accepts, so they
need no confirmation; an emulator endpoint on an AWS domain is refused all the same, because it
can only be a mistake. A real account (``--target aws``) must pass every check below before the
first fault, and each failed check is refused with one line that says what to change:

1. the stack is not marked production (``production: true``);
2. neither its ECS cluster nor its Aurora cluster is a production stack's;
3. the account is no production stack's ``accountId`` and in no stack's
   ``drills.productionAccounts``;
4. the account is the stack's own ``accountId``, where the stack names one;
5. the account is in the stack's ``drills.allowedAccounts``;
6. ``--confirm-account`` repeats the account id, so nobody drills an account by accident.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from stack_config import PROJECT_ROOT, Platform, load_platform

from .exceptions import TargetError

# Hosts of AWS's own endpoints; an emulator is never reached through them.
AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "api.aws", "on.aws")


class UnsafeTargetError(TargetError):
    """A drill would inject faults where it must not; nothing was injected."""


@dataclass(frozen=True)
class CallerIdentity:
    """Whose credentials a drill runs with (STS GetCallerIdentity)."""

    account_id: str
    arn: str


@dataclass(frozen=True)
class ProductionMarkers:
    """What the stack configs mark as production: never a target for faults."""

    stacks: frozenset[str]
    clusters: frozenset[str]  # ECS and Aurora cluster names of production stacks
    accounts: frozenset[str]


@dataclass(frozen=True)
class AwsDrillRequest:
    """Everything the decision depends on: who we are, which stack, what the user confirmed."""

    identity: CallerIdentity
    stack: str
    platform: Platform
    confirm_account: str | None
    production: ProductionMarkers


def production_markers(root: Path = PROJECT_ROOT) -> ProductionMarkers:
    """Production stacks, clusters and accounts, read from every ``Pulumi.<stack>.yaml``."""
    stacks = [path.name[len("Pulumi."):-len(".yaml")] for path in root.glob("Pulumi.*.yaml")]
    loaded = {stack: load_platform(stack, root) for stack in stacks}
    production = {stack: p for stack, p in loaded.items() if p.production}
    accounts = {p.account_id for p in production.values() if p.account_id}
    accounts |= {a for p in loaded.values() for a in p.drills.production_accounts}
    clusters = {name for p in production.values() for name in (p.cluster, p.aurora.cluster_id)}
    return ProductionMarkers(frozenset(production), frozenset(clusters), frozenset(accounts))


def _production_stack(stack: str, platform: Platform, production: ProductionMarkers) -> str | None:
    if platform.production or stack in production.stacks:
        return (f"refused: stack {stack!r} is marked production (production: true); "
                "drills inject faults only into non-production stacks")
    return None


def _production_cluster(stack: str, platform: Platform, production: ProductionMarkers) -> str | None:
    for kind, name in (("ECS cluster", platform.cluster), ("Aurora cluster", platform.aurora.cluster_id)):
        if name in production.clusters:
            return f"refused: {kind} {name!r} of stack {stack!r} is a production stack's cluster"
    return None


def _production_account(request: AwsDrillRequest) -> str | None:
    account = request.identity.account_id
    if account in request.production.accounts:
        return (f"refused: AWS account {account} is marked production in the stack configs; "
                "drills never inject faults there")
    return None


def _stack_account(request: AwsDrillRequest) -> str | None:
    expected, account = request.platform.account_id, request.identity.account_id
    if expected and account != expected:
        return (f"refused: the credentials are for AWS account {account}, but stack "
                f"{request.stack!r} is account {expected} (accountId)")
    return None


def _allowlisted(request: AwsDrillRequest) -> str | None:
    account = request.identity.account_id
    if account not in request.platform.drills.allowed_accounts:
        return (f"refused: AWS account {account} is not in drills.allowedAccounts of "
                f"Pulumi.{request.stack}.yaml; add it there to allow fault injection")
    return None


def _confirmed(request: AwsDrillRequest) -> str | None:
    account, confirmed = request.identity.account_id, request.confirm_account
    if confirmed is None:
        return f"refused: pass --confirm-account {account} to inject faults into AWS account {account}"
    if confirmed != account:
        return (f"refused: --confirm-account {confirmed} does not match the account of the "
                f"credentials, {account}")
    return None


# Judged from the stack configs alone, so they refuse before any call to AWS.
STACK_CHECKS: tuple[Callable[[str, Platform, ProductionMarkers], str | None], ...] = (
    _production_stack, _production_cluster)
ACCOUNT_CHECKS: tuple[Callable[[AwsDrillRequest], str | None], ...] = (
    _production_account, _stack_account, _allowlisted, _confirmed)


def stack_refusals(stack: str, platform: Platform, production: ProductionMarkers) -> list[str]:
    return [reason for reason in (check(stack, platform, production) for check in STACK_CHECKS)
            if reason]


def aws_refusals(request: AwsDrillRequest) -> list[str]:
    """Every reason to refuse the request, most serious first; empty when it may go ahead."""
    return (stack_refusals(request.stack, request.platform, request.production)
            + [reason for reason in (check(request) for check in ACCOUNT_CHECKS) if reason])


def check_stack_may_be_drilled(stack: str, platform: Platform, production: ProductionMarkers) -> None:
    """Raise UnsafeTargetError if the stack itself is production, before asking AWS anything."""
    refusals = stack_refusals(stack, platform, production)
    if refusals:
        raise UnsafeTargetError(refusals[0])


def check_aws_drill(request: AwsDrillRequest) -> None:
    """Raise UnsafeTargetError with the most serious refusal, if any."""
    refusals = aws_refusals(request)
    if refusals:
        raise UnsafeTargetError(refusals[0])


def is_aws_endpoint(endpoint_url: str) -> bool:
    host = (urlsplit(endpoint_url).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in AWS_DOMAINS)


def check_emulator_endpoint(target: str, endpoint_url: str | None) -> None:
    """An emulator target's endpoint must be an http(s) URL that is not one of AWS's own."""
    if endpoint_url is None:
        return
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTargetError(f"endpoint {endpoint_url!r} is not an http(s) URL with a host")
    if is_aws_endpoint(endpoint_url):
        raise UnsafeTargetError(f"endpoint {endpoint_url} is AWS itself, not an emulator; to "
                                f"drill a real account use --target aws and its checks")


def check_aws_options(endpoint_url: str | None, environment_endpoint: str | None) -> None:
    """``--target aws`` talks to AWS's own endpoints only."""
    if endpoint_url:
        raise UnsafeTargetError("--endpoint-url is for emulator targets; --target aws uses AWS's "
                                "own endpoints")
    if environment_endpoint:
        raise UnsafeTargetError(f"AWS_ENDPOINT_URL is set ({environment_endpoint}); unset it: "
                                "--target aws uses AWS's own endpoints")


def check_emulator_options(target: str, confirm_account: str | None) -> None:
    if confirm_account is not None:
        raise UnsafeTargetError(f"--confirm-account is for --target aws; target {target} is an "
                                "emulator and needs no confirmation")
