"""AWS throttling and 5xx mid-action: ridden out by bounded retries, or reported in one line.

The runbook clients retry in botocore's standard mode, 5 attempts in all
(runbook_actions.constants). Failures are injected as real HTTP answers (see conftest), so the
retry decision, the give-up and the action's error handling are the production code paths.
"""

from __future__ import annotations

import pytest

from runbook_actions.constants import RETRY_MAX_ATTEMPTS
from runbook_actions.exceptions import AwsCallError, NotSupportedError
from runbook_actions.invoke import invoke
from tests.support.action_cases import (
    CLUSTER,
    DB,
    INCIDENT,
    PARAMETER,
    RESTORED,
    SECRET,
    SERVICE,
    STATUS_POST,
)

KINDS = ["throttled", "unavailable", "internal-error"]
CODES = {
    "throttled": "ThrottlingException",
    "unavailable": "ServiceUnavailableException",
    "internal-error": "InternalFailure",
}


def desired(clients, service: str) -> int:
    return clients.ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["desiredCount"]


@pytest.mark.parametrize("kind", KINDS)
def test_failures_short_of_the_attempt_limit_are_ridden_out(clients, seeded, flaky, kind) -> None:
    failing = flaky.fail(clients.ecs, "UpdateService", kind, times=RETRY_MAX_ATTEMPTS - 1)
    result = invoke("scale-service", clients, {"cluster": CLUSTER, "service": SERVICE, "desired": 7})
    assert (result.ok, result.changed, failing.attempts) == (True, True, RETRY_MAX_ATTEMPTS - 1)
    assert desired(clients, SERVICE) == 7


@pytest.mark.parametrize("kind", KINDS)
def test_when_retries_run_out_the_error_says_so_in_one_line_and_a_rerun_finishes(
    clients, seeded, flaky, kind
) -> None:
    before = desired(clients, SERVICE)
    failing = flaky.fail(clients.ecs, "UpdateService", kind)
    with pytest.raises(AwsCallError) as raised:
        invoke("scale-service", clients, {"cluster": CLUSTER, "service": SERVICE, "desired": 7})
    assert not isinstance(raised.value, NotSupportedError)  # a transient 500 is no missing API
    assert str(raised.value) == (
        f"setting desired count of {SERVICE} to 7: {CODES[kind]}: "
        f"injected {kind} (gave up after {RETRY_MAX_ATTEMPTS} attempts)"
    )
    assert failing.attempts == RETRY_MAX_ATTEMPTS
    assert desired(clients, SERVICE) == before  # nothing half-done
    flaky.heal()
    assert invoke("scale-service", clients, {"cluster": CLUSTER, "service": SERVICE, "desired": 7}).changed
    assert desired(clients, SERVICE) == 7


def test_a_query_protocol_service_is_retried_the_same_way(clients, seeded, flaky) -> None:
    failing = flaky.fail(clients.rds, "DescribeDBClusters", "throttled")
    with pytest.raises(AwsCallError, match=r"Throttling: injected throttled \(gave up after 5 attempts\)"):
        invoke("backup-status", clients, {"db_cluster": DB})
    assert failing.attempts == RETRY_MAX_ATTEMPTS


def _stopped(clients) -> None:
    invoke("stop-writes", clients, {"cluster": CLUSTER, "incident_id": INCIDENT, "db_cluster": DB})


def _restored(clients) -> None:
    invoke(
        "restore-cluster",
        clients,
        {
            "source": DB,
            "target": RESTORED,
            "latest": True,
            "incident_id": INCIDENT,
            "instance_class": "db.r6g.large",
        },
    )


def _nothing(clients) -> None:
    """No earlier step."""


def _counts(clients) -> dict[str, int]:
    arns = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"]
    return {
        s["serviceName"]: s["desiredCount"]
        for s in clients.ecs.describe_services(cluster=CLUSTER, services=arns)["services"]
    }


def _failed_services(result) -> dict[str, str]:
    details = result.details
    if "services" in details:  # redeploy-all reports per service
        return {r["service"]: r["error"] for r in details["services"] if not r["ok"]}
    return {f["service"]: f["error"] for f in details["failed"]}


def _done_services(result) -> set[str]:
    details = result.details
    for key in ("stopped", "restored", "redeployed"):
        if key in details and details[key] and isinstance(details[key][0], dict):
            return {d["service"] for d in details[key]}
    return set(details["summary"]["redeployed"]) if "summary" in details else set()


FAN_OUT = [
    ("stop-writes", {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT}, _nothing),
    ("restore-writes", {"cluster": CLUSTER, "incident_id": INCIDENT}, _stopped),
    ("redeploy-all", {"cluster": CLUSTER, "secret_ids": [SECRET]}, _nothing),
    ("cutover", {"cluster": CLUSTER, "db_cluster": RESTORED, "endpoint_parameter": PARAMETER}, _restored),
]


@pytest.mark.parametrize("name, arguments, prepare", FAN_OUT, ids=[f[0] for f in FAN_OUT])
def test_fan_out_names_the_service_that_failed_does_the_rest_and_a_rerun_finishes(
    clients, seeded, platform, flaky, name, arguments, prepare
) -> None:
    prepare(clients)
    stuck = "storefront"
    flaky.fail(clients.ecs, "UpdateService", "throttled", when=lambda p: p.get("service") == stuck)
    first = invoke(name, clients, arguments)
    assert first.ok is False
    failed = _failed_services(first)
    assert list(failed) == [stuck]
    assert "ThrottlingException" in failed[stuck] and "gave up after 5 attempts" in failed[stuck]
    others = set(platform.service_names) - {stuck}
    assert _done_services(first) == others
    flaky.heal()
    rerun = invoke(name, clients, arguments)
    assert rerun.ok and _done_services(rerun) == {stuck}
    assert invoke(name, clients, arguments).changed is False  # nothing left to do


def test_post_status_that_could_not_publish_posts_on_rerun(clients, seeded, flaky) -> None:
    clients.sns.create_topic(Name=f"{STATUS_POST['topic_prefix']}-p0")
    flaky.fail(clients.sns, "Publish", "unavailable")
    with pytest.raises(AwsCallError, match="gave up after 5 attempts"):
        invoke("post-status", clients, STATUS_POST)
    flaky.heal()
    assert invoke("post-status", clients, STATUS_POST).changed
    assert invoke("post-status", clients, STATUS_POST).changed is False
