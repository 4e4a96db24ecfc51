"""The steady state is the known-good state: a fleet left on a drill's crashing build is not
steady, and after the fault only the content recorded before it counts as good."""

from __future__ import annotations

from drills import activities
from drills.context import DrillContext
from targets.target import local_target


def _ctx(platform, clients, run_id: str) -> DrillContext:
    return DrillContext(
        platform=platform,
        clients=clients,
        target=local_target("http://in-process"),
        stack="production",
        run_id=run_id,
        incident_id=f"DRILL-{run_id}",
    )


def test_a_fleet_left_on_a_drills_crashing_build_is_not_steady(clients, seeded, platform) -> None:
    killed = _ctx(platform, clients, "p0-a-20261129000000-dead")
    fault = activities.faults()["bad-deploy"]
    fault.inject(killed, fault.plan(killed))  # and never undone: the run was killed
    probe = activities.probes()["ecs-steady-state"].function
    check = probe(_ctx(platform, clients, "p0-a-20261129000100-next"))
    assert check.passed is False
    assert (
        "fastify-nova runs zelly/fastify-nova:bad-p0-a-20261129000000-dead, a drill's crashing build"
        in check.detail
    )
    assert "python -m drills recover" in check.detail


def test_after_the_fault_only_the_recorded_content_is_good(clients, seeded, platform) -> None:
    ctx = _ctx(platform, clients, "p0-a-20261129000200-good")
    probe = activities.probes()["ecs-steady-state"].function
    assert probe(ctx).passed is True  # records the known-good revisions
    old = clients.ecs.describe_task_definition(taskDefinition="storefront:1")["taskDefinition"]
    assert old["status"] == "ACTIVE"  # an ACTIVE revision, but not the one recorded
    clients.ecs.update_service(cluster=platform.cluster, service="storefront", taskDefinition="storefront:1")
    check = probe(ctx)
    assert check.passed is False
    assert (
        "storefront runs storefront:1 (zelly/storefront:1.0.0), the known-good revision is storefront:3"
        in check.detail
    )
