"""The write fence's CIDR parameters: IPv4 networks, several per flag, and from the environment
comma-separated (a multiple parameter's variable holds its values separated by commas)."""

from __future__ import annotations

import pytest

from runbook_actions.common_params import APP_CIDR, RESPONDER_CIDR
from runbook_actions.constants import ENV_APP_CIDRS, ENV_RESPONDER_CIDRS
from runbook_actions.exceptions import InvalidArgumentError
from runbook_actions.params import resolve


def test_the_cidrs_come_from_the_environment_comma_separated() -> None:
    environ = {ENV_APP_CIDRS: "10.0.1.0/24, 10.0.2.0/24", ENV_RESPONDER_CIDRS: "10.0.1.10/32"}
    values = resolve((APP_CIDR, RESPONDER_CIDR), {}, environ)
    assert values == {"app_cidr": ["10.0.1.0/24", "10.0.2.0/24"], "responder_cidr": ["10.0.1.10/32"]}
    given = resolve((APP_CIDR,), {"app_cidr": ["10.9.0.0/16"]}, environ)
    assert given == {"app_cidr": ["10.9.0.0/16"]}  # an explicit argument beats the environment
    assert resolve((APP_CIDR,), {}, {}) == {"app_cidr": None}


@pytest.mark.parametrize("bad", ["10.0.1.5/24", "10.0.1.0/33", "fd00::/64", "subnet-0abc"])
def test_a_cidr_that_is_not_an_ipv4_network_is_refused(bad) -> None:
    with pytest.raises(InvalidArgumentError, match="--app-cidr: .* is not an IPv4 network"):
        resolve((APP_CIDR,), {"app_cidr": [bad]}, {})
    with pytest.raises(InvalidArgumentError, match="--app-cidr"):
        resolve((APP_CIDR,), {}, {ENV_APP_CIDRS: f"10.0.1.0/24,{bad}"})
