"""The embedded emulator is seeded once per run and each drill starts from that state (issue 13).

``prepare`` seeds the first time, keeps the state (``MotoServer.snapshot``) and restores it before
each later drill: a drill never sees what an earlier one left, and the platform it gets is the one
the seed returned. These start their own emulator: the run's own is what they test.
"""

from __future__ import annotations

import pytest

from stack_config import load_platform
from targets.emulator import WARM_BACKENDS
from targets.session import launch_emulator, open_target
from targets.target import MOTO_SERVICES

pytestmark = pytest.mark.emulator


def _queue_names(session) -> list[str]:
    urls = session.clients.sqs.list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[1] for url in urls)


def test_each_drill_starts_from_the_seeded_state_without_the_previous_drills_leftovers() -> None:
    platform = load_platform("production")
    with open_target("local", platform) as session:
        seeded = session.prepare(platform)
        queues = _queue_names(session)
        services = session.clients.ecs.describe_services(
            cluster=platform.cluster, services=[s.name for s in platform.services]
        )["services"]
        assert queues and {s["serviceName"] for s in services} == {s.name for s in platform.services}

        session.clients.sqs.create_queue(QueueName="left-by-the-first-drill")
        session.clients.ecs.update_service(
            cluster=platform.cluster, service=platform.services[0].name, desiredCount=0
        )

        again = session.prepare(platform)

        assert again == seeded
        assert _queue_names(session) == queues
        restored = session.clients.ecs.describe_services(
            cluster=platform.cluster, services=[platform.services[0].name]
        )["services"][0]
        assert restored["desiredCount"] == platform.services[0].desired_count


def test_another_platform_is_seeded_afresh() -> None:
    production, staging = load_platform("production"), load_platform("staging")
    with open_target("local", production) as session:
        session.prepare(production)

        seeded = session.prepare(staging)

        clusters = session.clients.ecs.list_clusters()["clusterArns"]
        assert [arn.rsplit("/", 1)[1] for arn in clusters] == [staging.cluster]
        assert seeded.cluster_arn == clusters[0]


def test_a_launched_emulator_is_the_one_the_target_uses_and_stops() -> None:
    platform = load_platform("production")
    emulator = launch_emulator("local", None)
    assert emulator is not None and launch_emulator("local", "http://127.0.0.1:4566") is None
    with open_target("local", platform, emulator=emulator) as session:
        assert session.target.endpoint_url == emulator.endpoint_url
        session.prepare(platform)
    assert emulator.pid is None  # stopped with the target


def test_the_emulator_loads_every_service_the_target_answers_before_it_answers() -> None:
    """moto loads a backend on its first request; WARM_BACKENDS moves that out of the first seed."""
    moto_name = {"elasticloadbalancing": "elbv2", "lambda": "awslambda"}
    assert {moto_name.get(prefix, prefix) for prefix in MOTO_SERVICES} <= set(WARM_BACKENDS)
