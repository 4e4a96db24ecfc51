"""redeploy-all against moto's ECS (forceNewDeployment only changes the deployment id there)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import NotFoundError, RefusedError

NAME = "redeploy-all"
SECRET = "zelly/aurora/master"


@pytest.fixture
def fleet(clients, platform) -> list[str]:
    """The production cluster's services and the master secret, without the rest of the seed
    (load balancers and a VPC cost ~1 s a test and redeploying does not touch them)."""
    ecs = clients.ecs
    ecs.create_cluster(clusterName=platform.cluster)
    for service in platform.services:
        arn = ecs.register_task_definition(
            family=service.name,
            containerDefinitions=[
                {"name": service.name, "image": f"zelly/{service.name}:1.2.0", "memory": 512}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(
            cluster=platform.cluster,
            serviceName=service.name,
            taskDefinition=arn,
            desiredCount=service.desired_count,
        )
    clients.secretsmanager.create_secret(Name=SECRET, SecretString='{"username": "admin"}')
    return sorted(service.name for service in platform.services)


def deployments(clients, cluster: str, names: list[str]) -> dict[str, str]:
    services = clients.ecs.describe_services(cluster=cluster, services=names)["services"]
    return {
        s["serviceName"]: next(d["id"] for d in s["deployments"] if d["status"] == "PRIMARY")
        for s in services
    }


def redeploy(clients, platform, dry_run=False, **arguments):
    return invoke(NAME, clients, {"cluster": platform.cluster, **arguments}, dry_run=dry_run)


def test_redeploys_every_service_of_the_seeded_platform(clients, seeded, platform):
    names = sorted(seeded.services)
    before = deployments(clients, platform.cluster, names)
    result = redeploy(clients, platform)
    assert (result.ok, result.changed) == (True, True)
    after = deployments(clients, platform.cluster, names)
    assert result.details["summary"]["redeployed"] == names
    for report in result.details["services"]:
        name = report["service"]
        assert report["deployment_before"] == before[name] != report["deployment_after"] == after[name]


def test_only_the_chosen_services(clients, platform, fleet):
    before = deployments(clients, platform.cluster, fleet)
    result = redeploy(clients, platform, services=["storefront", "fastify-nova"])
    after = deployments(clients, platform.cluster, fleet)
    assert result.details["summary"]["redeployed"] == ["storefront", "fastify-nova"]
    assert {name for name in fleet if before[name] != after[name]} == {"storefront", "fastify-nova"}


def test_dry_run_changes_nothing(clients, platform, fleet):
    before = deployments(clients, platform.cluster, fleet)
    result = redeploy(clients, platform, dry_run=True, secret_ids=[SECRET])
    assert (result.changed, result.details["would_change"]) == (False, True)
    assert sorted(result.details["summary"]["would_redeploy"]) == fleet
    assert deployments(clients, platform.cluster, fleet) == before
    assert redeploy(clients, platform, secret_ids=[SECRET]).details["summary"]["skipped"] == []


def test_rerun_for_the_same_secret_versions_changes_nothing(clients, platform, fleet):
    first = redeploy(clients, platform, secret_ids=[SECRET])
    after_first = deployments(clients, platform.cluster, fleet)
    second = redeploy(clients, platform, secret_ids=[SECRET])
    assert (first.changed, second.ok, second.changed) == (True, True, False)
    assert sorted(second.details["summary"]["skipped"]) == fleet
    assert deployments(clients, platform.cluster, fleet) == after_first


@pytest.mark.parametrize("change", ["rotate the secret again", "force"])
def test_new_secret_version_or_force_redeploys_again(clients, platform, fleet, change):
    redeploy(clients, platform, secret_ids=[SECRET])
    after_first = deployments(clients, platform.cluster, fleet)
    extra = {}
    if change == "force":
        extra["force"] = True
    else:
        clients.secretsmanager.put_secret_value(SecretId=SECRET, SecretString='{"username": "x"}')
    result = redeploy(clients, platform, secret_ids=[SECRET], **extra)
    assert result.changed and sorted(result.details["summary"]["redeployed"]) == fleet
    assert all(after_first[n] != d for n, d in deployments(clients, platform.cluster, fleet).items())


def test_without_secret_ids_every_run_redeploys(clients, platform, fleet):
    redeploy(clients, platform)
    assert sorted(redeploy(clients, platform).details["summary"]["redeployed"]) == fleet


def _failing_for(ecs, broken: str):
    original = ecs.update_service

    def update_service(**kwargs):
        if kwargs["service"] == broken:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "UpdateService"
            )
        return original(**kwargs)

    return update_service


def test_one_failure_does_not_stop_the_others_and_a_rerun_retries_only_it(
    clients, platform, fleet, monkeypatch
):
    monkeypatch.setattr(clients.ecs, "update_service", _failing_for(clients.ecs, "storefront"))
    before = deployments(clients, platform.cluster, fleet)
    result = redeploy(clients, platform, secret_ids=[SECRET])
    assert (result.ok, result.changed) == (False, True)
    assert result.details["summary"]["failed"] == ["storefront"]
    failed = next(r for r in result.details["services"] if r["service"] == "storefront")
    assert "AccessDeniedException" in failed["error"] and not failed["redeployed"]
    after = deployments(clients, platform.cluster, fleet)
    assert {n for n in fleet if before[n] != after[n]} == set(fleet) - {"storefront"}
    monkeypatch.undo()

    rerun = redeploy(clients, platform, secret_ids=[SECRET])
    assert rerun.ok and rerun.details["summary"]["redeployed"] == ["storefront"]
    assert sorted(rerun.details["summary"]["skipped"]) == sorted(set(fleet) - {"storefront"})


def test_cli_exits_non_zero_on_partial_failure(clients, platform, fleet, monkeypatch, capsys):
    monkeypatch.setattr(clients.ecs, "update_service", _failing_for(clients.ecs, "storefront"))
    monkeypatch.setattr("runbook_actions.cli.AwsClients", lambda **_: clients)
    code = main([NAME, "--cluster", platform.cluster, "--services", "storefront", "orion-backend"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["ok"] is False
    assert out["details"]["summary"] == {
        "redeployed": ["orion-backend"],
        "skipped": [],
        "failed": ["storefront"],
    }


def _stage_pending(clients):
    clients.secretsmanager.put_secret_value(
        SecretId=SECRET, SecretString='{"username": "admin"}', VersionStages=["AWSPENDING"]
    )


REFUSALS = {
    "unknown service": ({"services": ["storefront", "ghost"]}, None, NotFoundError, "ghost"),
    "unknown cluster": ({"cluster": "zelly-missing"}, None, NotFoundError, "zelly-missing"),
    "unknown secret": ({"secret_ids": ["zelly/missing"]}, None, NotFoundError, "zelly/missing"),
    "unfinished rotation": ({"secret_ids": [SECRET]}, _stage_pending, RefusedError, "unfinished rotation"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refusals_redeploy_nothing(clients, platform, fleet, case):
    arguments, arrange, error, words = REFUSALS[case]
    if arrange:
        arrange(clients)
    before = deployments(clients, platform.cluster, fleet)
    for dry_run in (True, False):
        with pytest.raises(error, match=words):
            redeploy(clients, platform, dry_run=dry_run, **arguments)
    assert deployments(clients, platform.cluster, fleet) == before


def test_force_redeploys_despite_an_unfinished_rotation(clients, platform, fleet):
    _stage_pending(clients)
    result = redeploy(clients, platform, secret_ids=[SECRET], force=True)
    assert result.ok and sorted(result.details["summary"]["redeployed"]) == fleet
