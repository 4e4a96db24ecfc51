"""Shared fixtures: fake credentials first, moto in-process, one client set per test."""
from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws

from drills.seed import SeedResult, seed_platform
from runbook_actions.clients import AwsClients
from stack_config import Platform, load_platform

REGION = "ap-south-1"

# Set before any test module builds a client, so nothing can reach a real account.
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "LOCALSTACK_HOST"):
    os.environ.pop(_name, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
                  # The platform needs a VPC, not moto's ~5,000 stock AMIs (1 s per test).
                  MOTO_EC2_LOAD_DEFAULT_AMIS="false")


@pytest.fixture(scope="session")
def shared_clients() -> AwsClients:
    """One client set for the whole run: building clients costs more than most tests.

    moto intercepts at botocore's event hooks, so clients built once are mocked by every
    test's own ``mock_aws`` (which starts from empty state).
    """
    return AwsClients(region=REGION, session=boto3.session.Session(region_name=REGION))


@pytest.fixture(scope="session")
def platform() -> Platform:
    return load_platform("production")


@pytest.fixture
def moto_backend():
    with mock_aws():
        yield


@pytest.fixture
def clients(moto_backend, shared_clients) -> AwsClients:
    return shared_clients


@pytest.fixture
def seeded(clients: AwsClients, platform: Platform) -> SeedResult:
    return seed_platform(clients, platform)
