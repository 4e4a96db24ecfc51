"""rollback-service: newest ACTIVE older revision, refusals, dry-run, and no double rollback."""

from __future__ import annotations

import pytest

from runbook_actions import invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from tests.support.platform_names import CLUSTER


def _deployed(clients, service: str) -> str:
    arn = clients.ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["taskDefinition"]
    return arn.rsplit("/", 1)[-1]


def _deploy_new_revision(clients, service: str) -> str:
    current = clients.ecs.describe_task_definition(taskDefinition=service)["taskDefinition"]
    arn = clients.ecs.register_task_definition(
        family=service, containerDefinitions=current["containerDefinitions"]
    )["taskDefinition"]["taskDefinitionArn"]
    clients.ecs.update_service(cluster=CLUSTER, service=service, taskDefinition=arn)
    return arn.rsplit("/", 1)[-1]


def rollback(clients, **args):
    return invoke(
        "rollback-service",
        clients,
        {"cluster": CLUSTER, **args},
        dry_run=args.pop("dry_run", False) if "dry_run" in args else False,
    )


def test_rolls_back_to_previous_active_revision_and_redeploys(clients, seeded) -> None:
    assert _deploy_new_revision(clients, "storefront") == "storefront:4"
    result = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    assert (result.ok, result.changed) == (True, True)
    assert (result.details["from"], result.details["to"]) == ("storefront:4", "storefront:3")
    assert _deployed(clients, "storefront") == "storefront:3"


def test_skips_deregistered_revisions(clients, seeded) -> None:
    # Seeded: 1 ACTIVE, 2 deregistered, 3 deployed. The guide's "revision - 1" would pick 2.
    result = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "fastify-nova"})
    assert result.details["to"] == "fastify-nova:1"
    assert _deployed(clients, "fastify-nova") == "fastify-nova:1"


def test_ignores_families_that_share_the_prefix(clients, seeded) -> None:
    for _ in range(3):
        clients.ecs.register_task_definition(
            family="storefront-canary", containerDefinitions=[{"name": "x", "image": "x", "memory": 128}]
        )
    _deploy_new_revision(clients, "storefront")
    result = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    assert result.details["to"] == "storefront:3"


def test_second_run_reports_the_earlier_rollback_instead_of_rolling_back_again(clients, seeded) -> None:
    _deploy_new_revision(clients, "storefront")
    invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    again = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    assert (again.ok, again.changed) == (True, False)
    assert again.details["already_rolled_back"] is True
    assert again.details["earlier_rollback"]["from"] == "storefront:4"
    assert _deployed(clients, "storefront") == "storefront:3"


def test_force_rolls_back_further(clients, seeded) -> None:
    _deploy_new_revision(clients, "storefront")
    invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    forced = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront", "force": True})
    assert forced.changed and forced.details["to"] == "storefront:1"


def test_a_new_deploy_after_a_rollback_can_be_rolled_back(clients, seeded) -> None:
    _deploy_new_revision(clients, "storefront")
    invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    _deploy_new_revision(clients, "storefront")  # storefront:5
    result = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"})
    assert result.changed and result.details["to"] == "storefront:4"


def test_dry_run_changes_nothing(clients, seeded) -> None:
    _deploy_new_revision(clients, "storefront")
    result = invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront"}, dry_run=True)
    assert (result.changed, result.dry_run, result.details["would_change"]) == (False, True, True)
    assert result.details["to"] == "storefront:3"
    assert _deployed(clients, "storefront") == "storefront:4"
    tags = clients.ecs.list_tags_for_resource(
        resourceArn=clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0][
            "serviceArn"
        ]
    )["tags"]
    assert tags == []


def test_explicit_revision(clients, seeded) -> None:
    _deploy_new_revision(clients, "storefront")
    result = invoke(
        "rollback-service", clients, {"cluster": CLUSTER, "service": "storefront", "to_revision": 1}
    )
    assert result.details["to"] == "storefront:1" and _deployed(clients, "storefront") == "storefront:1"


@pytest.mark.parametrize(
    "args, error, message",
    [
        ({"service": "storefront", "to_revision": 2}, RefusedError, "storefront:2 is INACTIVE"),
        ({"service": "storefront", "to_revision": 99}, NotFoundError, "storefront:99"),
        (
            {"service": "no-such-service"},
            NotFoundError,
            f"unknown service(s) in cluster {CLUSTER}: no-such-service",
        ),
        (
            {"service": "storefront", "to_revision": 0},
            InvalidArgumentError,
            "--to-revision: 0 is below the minimum 1",
        ),
        ({"service": "storefront", "to_revision": "three"}, InvalidArgumentError, "expected a whole number"),
        ({"service": ""}, InvalidArgumentError, "--service: must not be empty"),
        ({"service": "bad name!"}, InvalidArgumentError, "is not a valid value"),
    ],
)
def test_refusals(clients, seeded, args, error, message) -> None:
    before = _deployed(clients, "storefront")
    with pytest.raises(error) as raised:
        invoke("rollback-service", clients, {"cluster": CLUSTER, **args})
    assert message in str(raised.value)
    assert _deployed(clients, "storefront") == before


def test_refuses_when_no_earlier_revision_exists(clients, seeded) -> None:
    invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront", "to_revision": 1})
    with pytest.raises(RefusedError, match="no ACTIVE revision of storefront older than 1"):
        invoke("rollback-service", clients, {"cluster": CLUSTER, "service": "storefront", "force": True})


def test_unknown_cluster(clients, seeded) -> None:
    with pytest.raises(NotFoundError, match="describing services in cluster nope"):
        invoke("rollback-service", clients, {"cluster": "nope", "service": "storefront"})
