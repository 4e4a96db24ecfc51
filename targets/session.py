"""Open a target for a series of drills: start (or reach) the emulator and prepare each run."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from runbook_actions import AwsClients
from runbook_actions.aws import aws_call, default_config
from runbook_actions.constants import ENV_ENDPOINT_URL
from runbook_actions.exceptions import RunbookError
from stack_config import Platform

from .emulator import MotoServer
from .exceptions import TargetError
from .identity import endpoint_identity
from .seed import SeedResult, seed_platform
from .target import Target, aws_target, local_target, localstack_endpoint, localstack_target

if TYPE_CHECKING:
    from .safety import CallerIdentity

# boto3, botocore and targets.safety (which reads botocore's partitions) are imported where a
# target opens: ``python -m drills --help`` and refused arguments need none of them.

TARGETS = ("local", "localstack", "aws")
# The clients the seed calls (the drills' actions use the same ones, and sts).
SEED_CLIENTS = (
    "secretsmanager",
    "ec2",
    "rds",
    "ssm",
    "ecs",
    "logs",
    "elbv2",
    "sns",
    "sqs",
    "cloudtrail",
    "s3",
    "iam",
    "sts",
)
# Told each phase of opening and preparing a target, by name, with the seconds it took:
# emulator_ready (the wait for it, once its clients are made), seeded, restored (the seeded state brought back),
# emulator_stopped. The drills pass their progress output; targets import nothing of drills.
OnPhase = Callable[[str, float], None]


@dataclass
class TargetSession:
    target: Target
    clients: AwsClients
    # Brings the target to a fresh seeded platform before a drill; None where it is pre-seeded.
    prepare: Callable[[Platform], SeedResult | None]
    # Which target this is, for fault journals: an endpoint, or an account and region.
    key: str = ""
    # A target that is not reset before each drill keeps what a killed run left: its fault
    # journal is also written into the target, and a new run is refused while one is open.
    long_lived: bool = False


def emulator_clients(endpoint_url: str, region: str) -> AwsClients:
    """Clients with dummy credentials, so a drill on an emulator can never use real ones."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    return AwsClients(region=region, endpoint_url=endpoint_url, session=session)


def default_chain_clients(region: str) -> AwsClients:
    """Clients on the default credential chain (environment, profile, SSO, instance role) and
    AWS's own endpoints: never the emulators' dummy credentials, and never an endpoint set by
    ``AWS_ENDPOINT_URL_<SERVICE>`` or the AWS config file, which could send STS alone to an
    emulator that answers with any account id while the faults go to AWS."""
    import boto3
    from botocore.config import Config

    config = default_config(region).merge(Config(ignore_configured_endpoint_urls=True))
    return AwsClients(region, None, boto3.session.Session(region_name=region), config)


def caller_identity(clients: AwsClients) -> CallerIdentity:
    from .safety import CallerIdentity

    try:
        with aws_call("asking STS which account the credentials belong to"):
            found = clients.sts.get_caller_identity()
    except RunbookError as error:
        raise TargetError(f"--target aws: {error}") from None
    return CallerIdentity(account_id=found["Account"], arn=found["Arn"])


def launch_emulator(name: str, endpoint_url: str | None) -> MotoServer | None:
    """The embedded emulator a ``local`` target without ``--endpoint-url`` will use, launched
    now so that moto's start-up overlaps the caller's; ``open_target(..., emulator=)`` waits
    for it. The caller stops it (``stop()`` is harmless once ``open_target`` has)."""
    if name != "local" or endpoint_url:
        return None
    return MotoServer().launch()


@contextmanager
def open_target(
    name: str,
    platform: Platform,
    endpoint_url: str | None = None,
    *,
    stack: str = "production",
    confirm_account: str | None = None,
    identify: Callable[[AwsClients], CallerIdentity] = caller_identity,
    emulator: MotoServer | None = None,
    on_phase: OnPhase | None = None,
) -> Iterator[TargetSession]:
    """Open a target; ``--target aws`` only after every check of targets.safety has passed.
    ``emulator``: the local target's embedded emulator, from ``launch_emulator``. ``on_phase``
    is told when the emulator is ready, each seed or restore, and the emulator's stop."""
    from .safety import check_emulator_endpoint, check_emulator_options

    if name in ("local", "localstack"):
        check_emulator_options(name, confirm_account)
    if emulator is not None and (name != "local" or endpoint_url):
        raise TargetError("an embedded emulator serves only --target local without --endpoint-url")
    if name == "local":
        check_emulator_endpoint(name, endpoint_url)
        with _local(platform, endpoint_url, emulator, on_phase or _no_phase) as session:
            yield session
    elif name == "localstack":
        endpoint = endpoint_url or localstack_endpoint()
        check_emulator_endpoint(name, endpoint)
        target = localstack_target(endpoint)
        yield TargetSession(
            target,
            emulator_clients(target.endpoint_url or "", platform.region),
            prepare=lambda _platform: None,
            key=f"localstack:{endpoint_identity(target.endpoint_url or '')}",
            long_lived=True,
        )
    elif name == "aws":
        yield _aws(platform, stack, endpoint_url, confirm_account, identify)
    else:
        raise TargetError(f"unknown target {name!r} (targets: {', '.join(TARGETS)})")


def _aws(
    platform: Platform,
    stack: str,
    endpoint_url: str | None,
    confirm_account: str | None,
    identify: Callable[[AwsClients], CallerIdentity],
) -> TargetSession:
    from .safety import (
        AwsDrillRequest,
        check_aws_drill,
        check_aws_options,
        check_stack_may_be_drilled,
        production_markers,
    )

    check_aws_options(endpoint_url, os.environ.get(ENV_ENDPOINT_URL))
    markers = production_markers()
    check_stack_may_be_drilled(stack, platform, markers)
    clients = default_chain_clients(platform.region)
    identity = identify(clients)
    check_aws_drill(AwsDrillRequest(identity, stack, platform, confirm_account, markers))
    # A real account is never reset or seeded: the drill runs on what is deployed there.
    return TargetSession(
        aws_target(),
        clients,
        prepare=lambda _platform: None,
        key=f"aws:{identity.account_id}:{platform.region}",
        long_lived=True,
    )


def _no_phase(name: str, seconds: float) -> None:
    pass


@contextmanager
def _local(
    platform: Platform, endpoint_url: str | None, emulator: MotoServer | None, on_phase: OnPhase
) -> Iterator[TargetSession]:
    server = emulator or (None if endpoint_url else MotoServer().launch())
    try:
        url = server.endpoint_url if server else str(endpoint_url)
        clients = emulator_clients(url, platform.region)
        if server is not None:
            for service in SEED_CLIENTS:  # ~50 ms each, made while moto loads on the other core
                clients.get(service)
            began = time.monotonic()
            server.wait_until_ready()
            on_phase("emulator_ready", time.monotonic() - began)
        prepare = (
            _embedded_prepare(server, clients, on_phase)
            if server
            else _reset_and_seed(url, clients, on_phase)
        )
        yield TargetSession(local_target(url), clients, prepare, key=f"local:{endpoint_identity(url)}")
    finally:
        if server is not None and server.pid is not None:
            began = time.monotonic()
            server.stop()
            on_phase("emulator_stopped", time.monotonic() - began)


def _reset_and_seed(
    url: str, clients: AwsClients, on_phase: OnPhase = _no_phase
) -> Callable[[Platform], SeedResult]:
    """An emulator someone else runs: cleared and seeded again before each drill."""

    def prepare(for_platform: Platform) -> SeedResult:
        began = time.monotonic()
        MotoServer.reset_at(url)
        seeded = seed_platform(clients, for_platform)
        on_phase("seeded", time.monotonic() - began)
        return seeded

    return prepare


def _embedded_prepare(
    server: MotoServer, clients: AwsClients, on_phase: OnPhase = _no_phase
) -> Callable[[Platform], SeedResult]:
    """The embedded emulator is seeded once and its state kept; each later drill of the same
    platform starts from that state, restored in milliseconds (a seed is ~70 calls, 0.25-0.6 s),
    so no drill sees another's leftovers. Another platform is seeded afresh."""
    kept: list[tuple[Platform, SeedResult]] = []

    def prepare(for_platform: Platform) -> SeedResult:
        began = time.monotonic()
        if kept and kept[0][0] == for_platform:
            server.restore()
            on_phase("restored", time.monotonic() - began)
            return kept[0][1]
        server.reset()
        seeded = seed_platform(clients, for_platform)
        if not server.has_snapshot:
            server.snapshot()
            kept.append((for_platform, seeded))
        on_phase("seeded", time.monotonic() - began)
        return seeded

    return prepare
