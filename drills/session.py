"""Open a target for a series of drills: start (or reach) the emulator and prepare each run."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import boto3

from runbook_actions.clients import AwsClients
from stack_config import Platform

from .emulator import MotoServer
from .exceptions import TargetError
from .seed import SeedResult, seed_platform
from .targets import Target, local_target, localstack_target

TARGETS = ("local", "localstack", "aws")


@dataclass
class TargetSession:
    target: Target
    clients: AwsClients
    # Brings the target to a fresh seeded platform before a drill; None where it is pre-seeded.
    prepare: Callable[[Platform], SeedResult | None]


def emulator_clients(endpoint_url: str, region: str) -> AwsClients:
    """Clients with dummy credentials, so a drill on an emulator can never use real ones."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=region)
    return AwsClients(region=region, endpoint_url=endpoint_url, session=session)


@contextmanager
def open_target(name: str, platform: Platform, endpoint_url: str | None = None) -> Iterator[TargetSession]:
    if name == "local":
        with _local(platform, endpoint_url) as session:
            yield session
    elif name == "localstack":
        target = localstack_target(endpoint_url)
        yield TargetSession(target, emulator_clients(target.endpoint_url or "", platform.region),
                            prepare=lambda _platform: None)
    elif name == "aws":
        raise TargetError("target 'aws' needs an account allowlist and a confirmation flag, "
                          "which this version does not provide yet; use --target local or localstack")
    else:
        raise TargetError(f"unknown target {name!r} (targets: {', '.join(TARGETS)})")


@contextmanager
def _local(platform: Platform, endpoint_url: str | None) -> Iterator[TargetSession]:
    server = None if endpoint_url else MotoServer().start()
    url = endpoint_url or server.endpoint_url
    try:
        clients = emulator_clients(url, platform.region)

        def prepare(for_platform: Platform) -> SeedResult:
            MotoServer.reset_at(url)
            return seed_platform(clients, for_platform)

        yield TargetSession(local_target(url), clients, prepare)
    finally:
        if server is not None:
            server.stop()
