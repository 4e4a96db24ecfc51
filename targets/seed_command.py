"""``python -m drills seed``: seed the stand-in platform into an emulator that is already running.

LocalStack's init hook (``localstack/init/ready.d/``) runs this once at start-up, because the
``localstack`` target never re-seeds between drills. Prints one JSON summary (names, ARNs,
URLs; never a secret value) and exits 1 with a one-line error if a call fails, e.g. because
the emulator was seeded already.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from stack_config import load_platform

from .exceptions import TargetError
from .seed import SeedResult, seed_platform
from .session import emulator_clients
from .target import localstack_endpoint, localstack_target

SEED_TARGETS = ("local", "localstack")


def add_seed_parser(commands: Any) -> None:
    seed = commands.add_parser("seed", help="seed the stand-in platform into a running emulator")
    seed.add_argument(
        "--target",
        choices=SEED_TARGETS,
        default="local",
        help="local: a moto server at --endpoint-url; localstack: a running LocalStack",
    )
    seed.add_argument("--stack", default="production", help="stack config to seed (default production)")
    seed.add_argument(
        "--endpoint-url",
        help="the emulator (localstack default: AWS_ENDPOINT_URL, else LOCALSTACK_HOST, else localhost:4566)",
    )


def run_seed(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError  # not needed for --help

    platform = load_platform(args.stack)
    endpoint = _endpoint(args.target, args.endpoint_url)
    try:
        result = seed_platform(emulator_clients(endpoint, platform.region), platform)
    except (ClientError, BotoCoreError) as error:
        print(
            f"error: seeding {args.stack} into {endpoint} failed: {' '.join(str(error).split())}",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(summary(result, args.stack, endpoint), indent=2))
    return 0


def summary(result: SeedResult, stack: str, endpoint: str) -> dict[str, Any]:
    """What was seeded, by name; the secret values stay out."""
    return {
        "stack": stack,
        "endpoint_url": endpoint,
        "cluster_arn": result.cluster_arn,
        "services": sorted(result.services),
        "db_cluster_endpoint": result.db_cluster_endpoint,
        "topic_arns": result.topic_arns,
        "status_queue_urls": result.status_queue_urls,
    }


def _endpoint(target: str, endpoint_url: str | None) -> str:
    """The emulator to seed, checked like every other command's before anything reaches it."""
    from .safety import check_emulator_endpoint

    if target == "localstack":
        endpoint = endpoint_url or localstack_endpoint()
        check_emulator_endpoint(target, endpoint)
        # Asks LocalStack's health endpoint first: a clear error if it is not up.
        return localstack_target(endpoint).endpoint_url or ""
    if not endpoint_url:
        raise TargetError(
            "seed --target local needs --endpoint-url of a running moto server "
            "(python -m moto.server); 'drills run' starts and seeds its own"
        )
    check_emulator_endpoint(target, endpoint_url)
    return endpoint_url
