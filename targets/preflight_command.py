"""``python -m drills preflight --stack S [--target local|localstack|aws] [--endpoint-url URL]``.

Checks the platform's preconditions (``stack_config.preconditions``, the list in
docs/deployment.md) on a target, read-only (``targets.preflight``), and prints one line per
precondition: ``ok``, ``MISSING`` with the fix, or ``not covered`` where the target cannot show it.
Exits 0 when none is missing, 1 when one is, 2 on a usage error (through ``drills.cli``).

- ``aws``: the account of the default credential chain, in the stack's region, on AWS's own
  endpoints (``--endpoint-url`` and ``AWS_ENDPOINT_URL`` are refused, as for drills). Read-only,
  so unlike a drill it needs no ``drills.allowedAccounts`` entry and may read a production
  account; a stack that pins ``accountId`` refuses credentials for any other account.
- ``local``: with ``--endpoint-url``, a running moto server as it is; without, an embedded one,
  seeded with the stand-in platform first (the seed is the only writer, on its own clients).
- ``localstack``: a running LocalStack; preconditions of services it does not answer are not covered.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, TextIO

from runbook_actions import AwsClients
from runbook_actions.constants import ENV_ENDPOINT_URL
from stack_config import Platform, load_platform

from .exceptions import TargetError
from .session import TARGETS, caller_identity, open_target

if TYPE_CHECKING:
    from stack_config.preconditions import Finding

    from .preflight import PreflightTarget
    from .safety import CallerIdentity

# boto3, botocore, targets.preflight and targets.safety are imported where the pre-flight runs:
# ``python -m drills --help`` and refused arguments need none of them.

EMULATORS = {"local": "moto", "localstack": "LocalStack"}


def add_preflight_parser(commands: Any) -> None:
    preflight = commands.add_parser(
        "preflight", help="check the platform's preconditions on a target, read-only (docs/deployment.md)"
    )
    preflight.add_argument("--stack", default="production", help="stack config to check (default production)")
    preflight.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: embedded moto server, seeded (default), or the one at --endpoint-url as it is; "
        "localstack: a running LocalStack; aws: the account of the default AWS credentials, "
        "in the stack's region, read-only",
    )
    preflight.add_argument("--endpoint-url", help="an emulator that is already running (local, localstack)")


def run_preflight(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from stack_config.preconditions import report_line

    from .preflight import check_all

    platform = load_platform(args.stack)
    with open_preflight(args.target, platform, args.endpoint_url) as target:
        _say(out, f"pre-flight of stack {args.stack} on {describe(target, platform)}")
        findings = check_all(platform, target)
    for found in findings:
        _say(out, report_line(found))
    _say(out, summary(findings))
    return 1 if any(f.problems for f in findings) else 0


def describe(target: PreflightTarget, platform: Platform) -> str:
    where = f"account {target.account_id}"
    if target.caller:
        where += f" as {target.caller}"
    if target.emulator:
        where = f"{target.emulator} at {target.clients.endpoint_url}, {where}"
    return f"{target.name}: {where}, region {platform.region}"


def summary(findings: list[Finding]) -> str:
    from stack_config.preconditions import MISSING, NOT_COVERED, OK

    counts = {status: sum(f.status == status for f in findings) for status in (OK, MISSING, NOT_COVERED)}
    return (
        f"{counts[OK]} hold, {counts[MISSING]} missing, {counts[NOT_COVERED]} not covered on this target"
        " (read-only: Describe/Get/List calls only)"
    )


@contextmanager
def open_preflight(
    name: str,
    platform: Platform,
    endpoint_url: str | None = None,
    *,
    identify: Callable[[AwsClients], CallerIdentity] = caller_identity,
) -> Iterator[PreflightTarget]:
    """The target's read-only view; an embedded emulator is started and seeded first."""
    import boto3

    from .preflight import NEEDS, PreflightTarget, ReadOnlyClients

    if name == "aws":
        yield _aws(platform, endpoint_url, identify)
        return
    with open_target(name, platform, endpoint_url) as session:
        if name == "local" and not endpoint_url:
            session.prepare(platform)  # the embedded emulator starts empty: seed the stand-in platform
        url = session.target.endpoint_url
        clients = ReadOnlyClients(
            platform.region,
            url,
            boto3.session.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing", region_name=platform.region
            ),
        )
        needed = set().union(*NEEDS.values())
        yield PreflightTarget(
            name,
            clients,
            _emulator_account(clients),
            emulator=EMULATORS.get(name, name),
            missing_services=frozenset(session.target.missing_services(needed)),
        )


def _aws(
    platform: Platform, endpoint_url: str | None, identify: Callable[[AwsClients], CallerIdentity]
) -> PreflightTarget:
    import boto3
    from botocore.config import Config

    from runbook_actions.aws import default_config

    from .preflight import PreflightTarget, ReadOnlyClients
    from .safety import check_aws_options

    check_aws_options(endpoint_url, os.environ.get(ENV_ENDPOINT_URL))
    # The default credential chain and AWS's own endpoints, in the stack's region; as for drills
    # (targets.session.default_chain_clients), no endpoint from AWS_ENDPOINT_URL_<SERVICE> or the
    # config file, which could send STS alone elsewhere and name another account.
    config = default_config(platform.region).merge(Config(ignore_configured_endpoint_urls=True))
    session = boto3.session.Session(region_name=platform.region)
    clients = ReadOnlyClients(platform.region, None, session, config)
    identity = identify(clients)
    if platform.account_id is not None and identity.account_id != platform.account_id:
        raise TargetError(
            f"the stack pins account {platform.account_id}, but the credentials are for "
            f"account {identity.account_id}; the pre-flight would check the wrong account"
        )
    return PreflightTarget("aws", clients, identity.account_id, caller=identity.arn)


def _emulator_account(clients: AwsClients) -> str | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        account = clients.sts.get_caller_identity().get("Account")
    except (ClientError, BotoCoreError):
        return None  # an emulator without STS: the log group's account is not compared
    return str(account) if account else None


def _say(out: TextIO | None, line: str) -> None:
    print(line, file=out)
