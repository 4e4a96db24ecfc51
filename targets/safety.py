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

Identities are compared the way AWS compares them, never as raw strings: account ids are 12 ASCII
digits (surrounding spaces dropped, anything else refused); ARNs are parsed
(``arn:partition:service:region:account:resource``) and their resource name and account compared;
RDS stores DB cluster identifiers in lower case, so they are compared casefolded. ECS's docs allow
upper and lower case in cluster names but do not say how they compare, so a case-only difference
from a production cluster is refused too: a near miss of production's name is never a safe target.
With no stack marked production at all (``Pulumi.production.yaml`` missing), nothing can be
compared, so ``--target aws`` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

from stack_config import PROJECT_ROOT, Platform, load_platform

from .endpoints import EndpointError, endpoint_host, in_domains
from .exceptions import TargetError

# Domains of AWS's own endpoints, in every partition; an emulator is never reached through them.
# The partitions' DNS suffixes (IPv4 and dual-stack) come from botocore's own endpoint data, so a
# partition AWS adds (the European Sovereign Cloud's amazonaws.eu, the ISO partitions' c2s.ic.gov
# and sc2s.sgov.gov...) is refused as soon as botocore knows it. The ones known when this was
# written are listed too, so an older botocore never narrows the check.
_KNOWN_PARTITION_SUFFIXES = (
    "amazonaws.com",
    "api.aws",  # aws, aws-us-gov
    "amazonaws.com.cn",
    "api.amazonwebservices.com.cn",  # aws-cn
    "amazonaws.eu",
    "api.amazonwebservices.eu",  # aws-eusc
    "c2s.ic.gov",
    "api.aws.ic.gov",  # aws-iso
    "sc2s.sgov.gov",
    "api.aws.scloud",  # aws-iso-b
    "cloud.adc-e.uk",
    "api.cloud-aws.adc-e.uk",  # aws-iso-e
    "csp.hci.ic.gov",
    "api.aws.hci.ic.gov",  # aws-iso-f
)
# Hosts botocore's endpoint rules name outright rather than through a partition's suffix:
# on.aws (Lambda function URLs, Neptune Analytics, ...) and the sign-in endpoints of each partition.
_HOSTS_OUTSIDE_PARTITION_SUFFIXES = (
    "on.aws",
    "signin.aws",
    "aws.amazon.com",
    "amazonaws.cn",
    "amazonaws-us-gov.com",
    "amazonaws-eusc.eu",
    "c2shome.ic.gov",
    "sc2shome.sgov.gov",
    "csphome.adc-e.uk",
    "csphome.hci.ic.gov",
)


def botocore_partition_suffixes() -> tuple[str, ...]:
    """Every partition's ``dnsSuffix`` and ``dualStackDnsSuffix`` in botocore's partitions.json
    (the data its endpoint rules resolve every service's host from)."""
    from botocore.loaders import create_loader

    suffixes = [
        partition.get("outputs", {}).get(key)
        for partition in create_loader().load_data("partitions")["partitions"]
        for key in ("dnsSuffix", "dualStackDnsSuffix")
    ]
    return tuple(dict.fromkeys(s.lower().strip(".") for s in suffixes if isinstance(s, str) and s))


AWS_DOMAINS: tuple[str, ...] = tuple(
    dict.fromkeys(
        _KNOWN_PARTITION_SUFFIXES + botocore_partition_suffixes() + _HOSTS_OUTSIDE_PARTITION_SUFFIXES
    )
)


class UnsafeTargetError(TargetError):
    """A drill would inject faults where it must not; nothing was injected."""


_ACCOUNT_ID = re.compile(r"[0-9]{12}")  # ASCII digits only: \d would accept "١٢٣"


def account_id(value: object, what: str) -> str:
    """``value`` as AWS writes an account id: 12 ASCII digits, surrounding spaces dropped.

    Anything else (an int that lost its leading zeros in YAML, dashes, other digits) is refused
    rather than guessed at.
    """
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _ACCOUNT_ID.fullmatch(text):
        raise UnsafeTargetError(
            f"refused: {what} {value!r} is not a 12-digit AWS account id (quote it in YAML)"
        )
    return text


@dataclass(frozen=True)
class Arn:
    """``arn:partition:service:region:account:resource``, split at the first five colons."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_name(self) -> str:
        """The name after the resource type: ``cluster/NAME`` (ECS), ``cluster:NAME`` (RDS)."""
        return re.split(r"[/:]", self.resource, maxsplit=1)[-1]


def parse_arn(text: str) -> Arn | None:
    """The parts of an ARN, or None if ``text`` is not one."""
    parts = text.strip().split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not all(parts[i] for i in (1, 2, 5)):
        return None
    return Arn(*parts[1:])


def cluster_key(name: str) -> str:
    """How a cluster name is compared: the ARN's resource name, if an ARN, casefolded."""
    arn = parse_arn(name)
    return (arn.resource_name if arn else name.strip()).casefold()


def _accounts(values: Iterable[object], what: str) -> frozenset[str]:
    return frozenset(account_id(value, what) for value in values)


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
    stacks = [path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml")]
    loaded = {stack: load_platform(stack, root) for stack in stacks}
    production = {stack: p for stack, p in loaded.items() if p.production}
    accounts = {p.account_id for p in production.values() if p.account_id}
    accounts |= {a for p in loaded.values() for a in p.drills.production_accounts}
    clusters = {name for p in production.values() for name in (p.cluster, p.aurora.cluster_id)}
    return ProductionMarkers(
        frozenset(production), frozenset(clusters), _accounts(accounts, "production account")
    )


def _production_known(stack: str, platform: Platform, production: ProductionMarkers) -> str | None:
    if not production.stacks:
        return (
            "refused: no stack config is marked production (Pulumi.production.yaml is missing "
            "or lacks production: true), so --target aws cannot tell production apart; "
            "restore it before drilling a real account"
        )
    return None


def _production_stack(stack: str, platform: Platform, production: ProductionMarkers) -> str | None:
    if platform.production or stack in production.stacks:
        return (
            f"refused: stack {stack!r} is marked production (production: true); "
            "drills inject faults only into non-production stacks"
        )
    return None


def _production_cluster(stack: str, platform: Platform, production: ProductionMarkers) -> str | None:
    production_clusters = {cluster_key(name) for name in production.clusters}
    for kind, name in (("ECS cluster", platform.cluster), ("Aurora cluster", platform.aurora.cluster_id)):
        if cluster_key(name) in production_clusters:
            return f"refused: {kind} {name!r} of stack {stack!r} is a production stack's cluster"
        arn = parse_arn(name)
        if arn and account_id(arn.account, f"the account of {name!r}") in _production_accounts(production):
            return (
                f"refused: {kind} {name!r} of stack {stack!r} is in AWS account "
                f"{arn.account}, which is marked production"
            )
    return None


def _production_accounts(production: ProductionMarkers) -> frozenset[str]:
    return _accounts(production.accounts, "production account")


def _caller(request: AwsDrillRequest) -> str:
    return account_id(request.identity.account_id, "the credentials' account")


def _caller_arn(request: AwsDrillRequest) -> str | None:
    account, arn_text = _caller(request), request.identity.arn
    arn = parse_arn(arn_text)
    if arn is None:
        return (
            f"refused: the caller's ARN {arn_text!r} is not an ARN "
            "(arn:partition:service:region:account:resource)"
        )
    if account_id(arn.account, "the caller's ARN account") != account:
        return (
            f"refused: STS says account {account} but the caller's ARN {arn_text!r} is in "
            f"account {arn.account}"
        )
    return None


def _production_account(request: AwsDrillRequest) -> str | None:
    account = _caller(request)
    if account in _production_accounts(request.production):
        return (
            f"refused: AWS account {account} is marked production in the stack configs; "
            "drills never inject faults there"
        )
    return None


def _stack_account(request: AwsDrillRequest) -> str | None:
    expected, account = request.platform.account_id, _caller(request)
    if expected is not None and account != account_id(expected, f"accountId of {request.stack!r}"):
        return (
            f"refused: the credentials are for AWS account {account}, but stack "
            f"{request.stack!r} is account {expected} (accountId)"
        )
    return None


def _allowlisted(request: AwsDrillRequest) -> str | None:
    account = _caller(request)
    if account not in _accounts(request.platform.drills.allowed_accounts, "drills.allowedAccounts"):
        return (
            f"refused: AWS account {account} is not in drills.allowedAccounts of "
            f"Pulumi.{request.stack}.yaml; add it there to allow fault injection"
        )
    return None


def _confirmed(request: AwsDrillRequest) -> str | None:
    account, confirmed = _caller(request), request.confirm_account
    if confirmed is None:
        return f"refused: pass --confirm-account {account} to inject faults into AWS account {account}"
    if account_id(confirmed, "--confirm-account") != account:
        return (
            f"refused: --confirm-account {confirmed} does not match the account of the credentials, {account}"
        )
    return None


# Judged from the stack configs alone, so they refuse before any call to AWS.
STACK_CHECKS: tuple[Callable[[str, Platform, ProductionMarkers], str | None], ...] = (
    _production_known,
    _production_stack,
    _production_cluster,
)
ACCOUNT_CHECKS: tuple[Callable[[AwsDrillRequest], str | None], ...] = (
    _production_account,
    _caller_arn,
    _stack_account,
    _allowlisted,
    _confirmed,
)


def _reasons(checks: Iterable[Callable[..., str | None]], *args: object) -> list[str]:
    """Each check's refusal; a malformed identity it met is a refusal too, never a pass."""
    reasons = []
    for check in checks:
        try:
            reason = check(*args)
        except UnsafeTargetError as error:
            reason = str(error)
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def stack_refusals(stack: str, platform: Platform, production: ProductionMarkers) -> list[str]:
    return _reasons(STACK_CHECKS, stack, platform, production)


def aws_refusals(request: AwsDrillRequest) -> list[str]:
    """Every reason to refuse the request, most serious first; empty when it may go ahead."""
    return stack_refusals(request.stack, request.platform, request.production) + _reasons(
        ACCOUNT_CHECKS, request
    )


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
    """Whether the URL reaches one of AWS's own domains, however its host is spelled."""
    try:
        return in_domains(endpoint_host(endpoint_url), AWS_DOMAINS)
    except EndpointError:
        return False


def check_emulator_endpoint(target: str, endpoint_url: str | None) -> None:
    """An emulator target's endpoint must be an http(s) URL whose host, decoded and normalised
    the way HTTP clients do, is plainly given and is not one of AWS's own."""
    if endpoint_url is None:
        return
    try:
        host = endpoint_host(endpoint_url)
    except EndpointError as error:
        raise UnsafeTargetError(f"endpoint {endpoint_url!r} {error}") from None
    if in_domains(host, AWS_DOMAINS):
        spelled = "" if host == urlsplit(endpoint_url).hostname else f" (host {host})"
        raise UnsafeTargetError(
            f"endpoint {endpoint_url} is AWS itself{spelled}, not an emulator; "
            "to drill a real account use --target aws and its checks"
        )


def check_aws_options(endpoint_url: str | None, environment_endpoint: str | None) -> None:
    """``--target aws`` talks to AWS's own endpoints only."""
    if endpoint_url:
        raise UnsafeTargetError(
            "--endpoint-url is for emulator targets; --target aws uses AWS's own endpoints"
        )
    if environment_endpoint:
        raise UnsafeTargetError(
            f"AWS_ENDPOINT_URL is set ({environment_endpoint}); unset it: "
            "--target aws uses AWS's own endpoints"
        )


def check_emulator_options(target: str, confirm_account: str | None) -> None:
    if confirm_account is not None:
        raise UnsafeTargetError(
            f"--confirm-account is for --target aws; target {target} is an emulator and needs no confirmation"
        )
