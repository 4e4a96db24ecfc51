"""triage: per-service counts, revision, target health and error lines within the window."""

from __future__ import annotations

import time

from runbook_actions import invoke
from tests.support.platform_names import CLUSTER, PRODUCTION


def _put_lines(clients, group: str, lines: list[str], age_ms: int = 1000) -> None:
    stream = f"test-{age_ms}"
    clients.logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    clients.logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now - age_ms + i, "message": line} for i, line in enumerate(lines)],
    )


def test_reports_every_service_of_the_cluster(clients, seeded, platform) -> None:
    result = invoke("triage", clients, {"cluster": CLUSTER})
    services = {s["name"]: s for s in result.details["services"]}
    assert set(services) == set(platform.service_names)
    nova = services["fastify-nova"]
    assert (nova["desired"], nova["task_definition"], nova["log_group"]) == (
        4,
        "fastify-nova:3",
        platform.service("fastify-nova").log_group,
    )
    assert nova["target_groups"][0]["healthy"] == 2
    assert services["events-consumer"]["target_groups"] == []
    assert result.changed is False


def test_error_lines_only_inside_the_window(clients, seeded) -> None:
    group = PRODUCTION.service("storefront").log_group
    _put_lines(clients, group, ["INFO fine", "ERROR upstream 502", "FATAL crashed"], age_ms=1000)
    _put_lines(clients, group, ["ERROR old news"], age_ms=30 * 60 * 1000)
    result = invoke("triage", clients, {"cluster": CLUSTER, "services": ["storefront"], "since_minutes": 10})
    storefront = result.details["services"][0]
    assert storefront["error_lines"] == ["ERROR upstream 502", "FATAL crashed"]
    assert result.details["summary"]["with_error_lines"] == ["storefront"]
    wider = invoke("triage", clients, {"cluster": CLUSTER, "services": ["storefront"], "since_minutes": 60})
    assert wider.details["services"][0]["error_line_count"] == 3


def test_error_lines_are_capped(clients, seeded) -> None:
    _put_lines(clients, PRODUCTION.service("storefront").log_group, [f"ERROR {i}" for i in range(30)])
    result = invoke("triage", clients, {"cluster": CLUSTER, "services": ["storefront"], "max_error_lines": 5})
    service = result.details["services"][0]
    assert service["error_line_count"] == 30 and service["error_lines"] == [
        f"ERROR {i}" for i in range(25, 30)
    ]


def test_summary_flags_services_below_desired(clients, seeded) -> None:
    # moto schedules no tasks: every service with desired > 0 shows 0 running, as after a crash.
    result = invoke("triage", clients, {"cluster": CLUSTER})
    assert set(result.details["summary"]["with_no_running_tasks"]) == set(PRODUCTION.service_names)
