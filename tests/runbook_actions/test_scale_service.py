"""scale-service: sets the desired count, reports the previous one, rejects bad counts."""

from __future__ import annotations

import pytest

from runbook_actions import invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError
from tests.support.platform_names import CLUSTER


def _desired(clients, service: str) -> int:
    return clients.ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["desiredCount"]


def test_scales_and_reports_previous(clients, seeded) -> None:
    result = invoke("scale-service", clients, {"cluster": CLUSTER, "service": "fastify-nova", "desired": 8})
    assert (result.changed, result.details["previous_desired"], result.details["desired"]) == (True, 4, 8)
    assert _desired(clients, "fastify-nova") == 8


def test_same_count_is_no_change(clients, seeded) -> None:
    result = invoke("scale-service", clients, {"cluster": CLUSTER, "service": "fastify-nova", "desired": 4})
    assert result.changed is False and "already" in result.details["note"]


def test_dry_run_changes_nothing(clients, seeded) -> None:
    result = invoke(
        "scale-service", clients, {"cluster": CLUSTER, "service": "fastify-nova", "desired": 0}, dry_run=True
    )
    assert result.details["would_change"] is True and result.changed is False
    assert _desired(clients, "fastify-nova") == 4


@pytest.mark.parametrize(
    "desired, message",
    [
        (-1, "--desired: -1 is below the minimum 0"),
        ("2.5", "--desired: expected a whole number, got '2.5'"),
        (2.5, "--desired: expected a whole number, got 2.5"),
        (True, "--desired: expected a whole number, got True"),
        ("four", "expected a whole number"),
        (100000, "above the maximum"),
    ],
)
def test_rejects_bad_counts(clients, seeded, desired, message) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": "fastify-nova", "desired": desired})
    assert message in str(raised.value)
    assert _desired(clients, "fastify-nova") == 4


def test_missing_desired_is_required(clients, seeded) -> None:
    with pytest.raises(InvalidArgumentError, match="--desired is required"):
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": "fastify-nova"})


def test_unknown_service(clients, seeded) -> None:
    with pytest.raises(NotFoundError, match="no-such"):
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": "no-such", "desired": 1})
