"""A fault that fails half-way is undone from its journal entry, written before any change."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from drills import activities
from drills.context import DrillContext
from drills.fault_journal import FaultJournal, JournalWriter
from drills.undo import KIND_FAULT, undo_all
from runbook_actions.clients import AwsClients
from targets.seed import seed_platform
from targets.target import local_target
from tests.support.platform_names import CLUSTER, PRODUCTION

SERVICES = list(PRODUCTION.service_names)


def _deployed(clients) -> dict[str, tuple[str, int]]:
    services = clients.ecs.describe_services(cluster=CLUSTER, services=SERVICES)["services"]
    return {s["serviceName"]: (s["taskDefinition"].rsplit("/", 1)[-1], s["desiredCount"]) for s in services}


def _failing_on(service: str):
    def refuse(params, **_):
        if params.get("service") == service:
            raise ClientError({"Error": {"Code": "ServerException", "Message": "injected"}}, "UpdateService")

    return refuse


@pytest.fixture
def own_clients(moto_backend) -> AwsClients:
    """Clients of this test only: the failure hook must not reach other tests' clients."""
    return AwsClients(region="ap-south-1", session=boto3.session.Session(region_name="ap-south-1"))


def test_bad_deploy_failing_on_one_service_is_undone_from_its_plan(own_clients, platform) -> None:
    seed_platform(own_clients, platform)
    ctx = DrillContext(
        platform=platform,
        clients=own_clients,
        target=local_target("http://in-process"),
        stack="production",
        run_id="p0-a-20261126000000-abcd",
        incident_id="DRILL-X",
    )
    before = _deployed(own_clients)
    active_before = own_clients.ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    fault = activities.faults()["bad-deploy"]
    writer = JournalWriter(
        FaultJournal(
            ctx.run_id, ctx.incident_id, "p0-a", "production", {"name": "local", "key": "local:test"}
        ),
        (),
    )
    args = {"crash_lines": 3, "scale_to": {"fastify-nova": 1}}
    plan = fault.plan(ctx, **args)
    writer.begin(KIND_FAULT, fault.name, "bad deploy", plan)
    failing = _failing_on("storefront")
    own_clients.ecs.meta.events.register("before-parameter-build.ecs.UpdateService", failing)
    with pytest.raises(RuntimeError, match=r"bad-deploy failed on storefront .*4 other service\(s\) changed"):
        fault.inject(ctx, plan, **args)
    own_clients.ecs.meta.events.unregister("before-parameter-build.ecs.UpdateService", failing)
    assert _deployed(own_clients) != before
    records = undo_all(ctx, writer)
    assert [r.status for r in records] == ["ok"]
    assert _deployed(own_clients) == before
    streams = own_clients.logs.describe_log_streams(logGroupName=PRODUCTION.service("storefront").log_group)[
        "logStreams"
    ]
    assert all(not s["logStreamName"].startswith("drill/") for s in streams)
    assert own_clients.ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] == active_before
