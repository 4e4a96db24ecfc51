"""The stack config's ``network``: the write fence's CIDRs, validated and passed to the actions
as the same environment the Lambdas and the drills use (issue 13)."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from components.runbook_functions import function_environment
from runbook_actions import get_action
from runbook_actions.constants import ENV_APP_CIDRS, ENV_RESPONDER_CIDRS
from stack_config import StackConfigError, load_platform
from stack_config.loader import load_stack_config, platform_from_config, project_name
from stack_config.runbook_env import runbook_environment

KEY = f"{project_name()}:platform"


def _config(stack: str = "staging") -> dict[str, Any]:
    return copy.deepcopy(load_stack_config(stack)[KEY])


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_both_stacks_name_their_application_and_responder_cidrs(stack: str) -> None:
    network = load_platform(stack).network
    assert network is not None and len(network.application_subnet_cidrs) >= 2
    apps = [ipaddress.IPv4Network(c) for c in network.application_subnet_cidrs]
    responders = [ipaddress.IPv4Network(c) for c in network.responder_cidrs]
    # One responder range inside an application subnet (an allow), one outside (no entry).
    assert any(any(r.subnet_of(a) for a in apps) for r in responders)
    assert any(not any(r.overlaps(a) for a in apps) for r in responders)


def test_the_environment_carries_the_cidrs_comma_separated_to_lambdas_and_drills() -> None:
    platform = load_platform("production")
    assert platform.network is not None
    environment = runbook_environment(platform)
    assert environment[ENV_APP_CIDRS] == ",".join(platform.network.application_subnet_cidrs)
    assert environment[ENV_RESPONDER_CIDRS] == ",".join(platform.network.responder_cidrs)
    lambda_env = function_environment(platform, get_action("stop-writes"))
    assert lambda_env[ENV_APP_CIDRS] == environment[ENV_APP_CIDRS]


def test_without_a_network_section_no_cidr_variable_is_set() -> None:
    data = _config()
    del data["network"]
    platform = platform_from_config(data, KEY)
    assert platform.network is None
    assert ENV_APP_CIDRS not in runbook_environment(platform)


def test_without_responders_only_the_application_cidrs_are_set() -> None:
    data = _config()
    del data["network"]["responderCidrs"]
    environment = runbook_environment(platform_from_config(data, KEY))
    assert ENV_APP_CIDRS in environment and ENV_RESPONDER_CIDRS not in environment


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda n: n.pop("applicationSubnetCidrs"), r"network\.applicationSubnetCidrs: required key"),
        (lambda n: n.update(applicationSubnetCidrs=[]), r"applicationSubnetCidrs: at least one CIDR"),
        (
            lambda n: n.update(applicationSubnetCidrs=["10.1.1.5/24"]),
            r"applicationSubnetCidrs\[0\]: '10\.1\.1\.5/24' is not an IPv4 network",
        ),
        (
            lambda n: n.update(applicationSubnetCidrs=["fd00::/64"]),
            r"applicationSubnetCidrs\[0\]: 'fd00::/64' is not an IPv4 network",
        ),
        (
            lambda n: n.update(applicationSubnetCidrs=["10.1.1.0/24", "10.1.1.0/24"]),
            r"applicationSubnetCidrs\[1\]: duplicate CIDR",
        ),
        (lambda n: n.update(responderCidrs=["vpn"]), r"responderCidrs\[0\]: 'vpn' is not an IPv4 network"),
        (
            lambda n: n.update(responderCidrs=["10.1.0.0/16"]),
            r"responderCidrs\[0\]: 10\.1\.0\.0/16 holds application CIDR 10\.1\.1\.0/24",
        ),
        (lambda n: n.update(subnets=["subnet-1"]), r"network\.subnets: unknown key"),
    ],
)
def test_a_bad_network_section_is_refused_naming_the_key(change, message: str) -> None:
    data = _config()
    change(data["network"])
    with pytest.raises(StackConfigError, match=message):
        platform_from_config(data, KEY)
