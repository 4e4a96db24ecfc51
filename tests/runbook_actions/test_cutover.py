"""cutover: endpoint parameter -> restored cluster, then redeploy every service; idempotent."""

from __future__ import annotations

import json

import pytest

from runbook_actions import cli, invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from tests.support.platform_names import CLUSTER, DB, PARAMETER, PRODUCTION

SOURCE = DB
RESTORED = "zelly-aurora-restored"
ARGS = {"cluster": CLUSTER, "db_cluster": RESTORED, "endpoint_parameter": PARAMETER}
SERVICES = sorted(PRODUCTION.service_names)


def _restore(clients, writer: bool = True) -> str:
    cluster = clients.rds.restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier=SOURCE, DBClusterIdentifier=RESTORED, UseLatestRestorableTime=True
    )["DBCluster"]
    if writer:
        clients.rds.create_db_instance(
            DBInstanceIdentifier=f"{RESTORED}-writer",
            DBClusterIdentifier=RESTORED,
            Engine="aurora-mysql",
            DBInstanceClass="db.r6g.large",
        )
    return cluster["Endpoint"]


@pytest.fixture
def restored(clients, seeded) -> str:
    return _restore(clients)


def _parameter(clients) -> dict:
    return clients.ssm.get_parameter(Name=PARAMETER)["Parameter"]


def _deployments(clients) -> dict[str, str]:
    described = clients.ecs.describe_services(cluster=CLUSTER, services=SERVICES)["services"]
    return {
        s["serviceName"]: next(d["id"] for d in s["deployments"] if d["status"] == "PRIMARY")
        for s in described
    }


def test_points_the_parameter_at_the_restored_cluster_and_redeploys(clients, seeded, restored) -> None:
    before = _deployments(clients)
    result = invoke("cutover", clients, ARGS)
    assert (result.ok, result.changed, result.details["parameter_rewritten"]) == (True, True, True)
    assert _parameter(clients)["Value"] == restored == result.details["endpoint"]
    assert result.details["previous_endpoint"] == seeded.db_cluster_endpoint
    history = clients.ssm.get_parameter_history(Name=PARAMETER)["Parameters"]
    assert [h["Value"] for h in history] == [seeded.db_cluster_endpoint, restored]
    after = _deployments(clients)
    assert all(after[name] != before[name] for name in SERVICES)
    assert sorted(r["service"] for r in result.details["redeployed"]) == SERVICES


def test_redeploys_in_parallel(clients, seeded, restored, aws_hooks) -> None:
    probe = aws_hooks.probe_concurrency(clients.ecs, "UpdateService")
    invoke("cutover", clients, ARGS)
    assert probe.peak > 1


def test_second_run_neither_rewrites_nor_redeploys(clients, seeded, restored) -> None:
    invoke("cutover", clients, ARGS)
    deployments, version = _deployments(clients), _parameter(clients)["Version"]
    again = invoke("cutover", clients, ARGS)
    assert (again.ok, again.changed, again.details["parameter_rewritten"]) == (True, False, False)
    assert again.details["up_to_date"] == SERVICES and again.details["redeployed"] == []
    assert (_deployments(clients), _parameter(clients)["Version"]) == (deployments, version)


def test_force_redeploys_without_rewriting(clients, seeded, restored) -> None:
    invoke("cutover", clients, ARGS)
    deployments, version = _deployments(clients), _parameter(clients)["Version"]
    forced = invoke("cutover", clients, {**ARGS, "force": True})
    assert (forced.changed, forced.details["parameter_rewritten"]) == (True, False)
    assert _parameter(clients)["Version"] == version
    assert all(_deployments(clients)[name] != deployments[name] for name in SERVICES)


def test_partial_failure_is_reported_and_a_rerun_redeploys_only_the_rest(
    clients, seeded, restored, aws_hooks
) -> None:
    undo = aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "storefront")
    result = invoke("cutover", clients, ARGS)
    assert result.ok is False and [f["service"] for f in result.details["failed"]] == ["storefront"]
    assert _parameter(clients)["Value"] == restored
    undo()
    rerun = invoke("cutover", clients, ARGS)
    assert rerun.ok and rerun.details["parameter_rewritten"] is False
    assert [r["service"] for r in rerun.details["redeployed"]] == ["storefront"]


def test_cli_exit_code_on_partial_failure(clients, seeded, restored, aws_hooks, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "AwsClients", lambda **_: clients)  # so the injected fault applies
    aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "fastify-nova")
    code = cli.main(
        ["cutover", "--cluster", CLUSTER, "--db-cluster", RESTORED, "--endpoint-parameter", PARAMETER]
    )
    failed = json.loads(capsys.readouterr().out)["details"]["failed"]
    assert code == 1 and [f["service"] for f in failed] == ["fastify-nova"]


def test_dry_run_changes_nothing(clients, seeded, restored) -> None:
    deployments = _deployments(clients)
    result = invoke("cutover", clients, ARGS, dry_run=True)
    assert (result.changed, result.details["would_change"], result.details["would_redeploy"]) == (
        False,
        True,
        SERVICES,
    )
    assert _parameter(clients)["Value"] == seeded.db_cluster_endpoint
    assert _deployments(clients) == deployments


def test_endpoint_parameter_comes_from_the_environment(clients, seeded, restored, monkeypatch) -> None:
    environ = {"ZELLY_DB_ENDPOINT_PARAMETER": PARAMETER}
    result = invoke("cutover", clients, {"cluster": CLUSTER, "db_cluster": RESTORED}, environ=environ)
    assert result.details["endpoint_parameter"] == PARAMETER
    assert _parameter(clients)["Value"] == restored


def test_db_cluster_is_never_taken_from_the_environment(clients, seeded, monkeypatch) -> None:
    environ = {"ZELLY_DB_CLUSTER": SOURCE}  # names production, never the restored cluster
    with pytest.raises(InvalidArgumentError, match="--db-cluster is required"):
        invoke("cutover", clients, {"cluster": CLUSTER, "endpoint_parameter": PARAMETER}, environ=environ)


def test_refuses_a_cluster_that_is_not_available(clients, seeded, restored) -> None:
    clients.rds.stop_db_cluster(DBClusterIdentifier=RESTORED)
    with pytest.raises(RefusedError, match="is 'stopped', not available"):
        invoke("cutover", clients, ARGS)
    assert _parameter(clients)["Value"] == seeded.db_cluster_endpoint


def test_refuses_a_cluster_without_a_writer(clients, seeded) -> None:
    _restore(clients, writer=False)
    with pytest.raises(RefusedError, match="has no writer instance"):
        invoke("cutover", clients, ARGS)
    assert _parameter(clients)["Value"] == seeded.db_cluster_endpoint


def test_refuses_a_secure_string_parameter(clients, seeded, restored) -> None:
    clients.ssm.put_parameter(Name="/zelly/secure/endpoint", Value="x", Type="SecureString")
    with pytest.raises(RefusedError, match="SecureString"):
        invoke("cutover", clients, {**ARGS, "endpoint_parameter": "/zelly/secure/endpoint"})


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"db_cluster": "no-such-db"}, "no-such-db"),
        ({"endpoint_parameter": "/zelly/no/such"}, "endpoint parameter /zelly/no/such does not exist"),
        ({"cluster": "no-such-cluster"}, "no-such-cluster"),
    ],
)
def test_unknown_names(clients, seeded, restored, arguments, message) -> None:
    with pytest.raises(NotFoundError, match=message):
        invoke("cutover", clients, {**ARGS, **arguments})
    assert _parameter(clients)["Value"] == seeded.db_cluster_endpoint
