"""A fault that fails half-way undoes the part it did before it reports the failure."""
from __future__ import annotations

import pytest

from drills import activities
from drills.context import DrillContext
from drills.targets import local_target

CLUSTER = "zelly-production"


def _deployed(clients) -> dict[str, str]:
    services = clients.ecs.describe_services(cluster=CLUSTER, services=[
        "fastify-nova", "customer-panel", "orion-backend", "storefront", "events-consumer"])["services"]
    return {s["serviceName"]: s["taskDefinition"].rsplit("/", 1)[-1] for s in services}


def test_bad_deploy_failing_on_one_service_undoes_the_others(clients, seeded, platform) -> None:
    ctx = DrillContext(platform=platform, clients=clients, target=local_target("http://in-process"),
                       stack="production", run_id="p0-a-20261126000000-abcd", incident_id="DRILL-X")
    before = _deployed(clients)
    inject = activities.faults()["bad-deploy"].inject
    with pytest.raises(RuntimeError, match=r"bad-deploy failed on ghost-service .*undid the other 2"):
        inject(ctx, services=["storefront", "ghost-service", "fastify-nova"], crash_lines=3)
    assert _deployed(clients) == before
    streams = clients.logs.describe_log_streams(logGroupName="/zelly/ecs/storefront")["logStreams"]
    assert all(not s["logStreamName"].startswith("drill/") for s in streams)
