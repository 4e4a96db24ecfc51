"""status-posted: the run's status post reached the severity's drill subscriber, exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drills.activities import probes
from drills.context import DrillContext
from drills.redaction import Redactor
from runbook_actions import invoke
from targets.target import local_target
from tests.support.platform_names import CLUSTER, TOPIC_PREFIX

INCIDENT = "DRILL-P0-A-20261126031000"
POST = {
    "severity": "P0",
    "title": "All services returning 503",
    "impact": "every request fails",
    "current_action": "rolling back every service",
    "next_update_minutes": 15,
    "cluster": CLUSTER,
    "incident_id": INCIDENT,
    "topic_prefix": TOPIC_PREFIX,
}


@pytest.fixture
def ctx(clients, seeded, platform) -> DrillContext:
    return DrillContext(
        platform=platform,
        clients=clients,
        target=local_target("in-process"),
        stack="production",
        run_id="p0-a-test",
        incident_id=INCIDENT,
        redactor=Redactor(seeded.secret_values),
    )


def status_posted(ctx: DrillContext, status: str, severity: str = "P0"):
    return probes()["status-posted"].function(ctx, severity=severity, status=status)


def post(clients, status: str, **changes):
    minutes = None if status == "RESOLVED" else POST["next_update_minutes"]
    return invoke(
        "post-status", clients, {**POST, "status": status, "next_update_minutes": minutes, **changes}
    )


def test_passes_with_the_message_id_and_leaves_the_post_for_later_readers(ctx, clients) -> None:
    posted = post(clients, "INVESTIGATING")
    first = status_posted(ctx, "INVESTIGATING")
    assert first.passed, first.detail
    assert first.data["message_id"] == posted.details["message_id"]
    assert status_posted(ctx, "INVESTIGATING").passed  # read, not consumed


def test_fails_naming_what_arrived_instead(ctx, clients) -> None:
    posted = post(clients, "INVESTIGATING")
    check = status_posted(ctx, "RESOLVED")
    assert check.passed is False
    assert check.detail == (
        f"no P0 RESOLVED post of {INCIDENT} on {TOPIC_PREFIX}-p0-drill-subscriber; "
        f"arrived instead: this incident's posts: P0 INVESTIGATING "
        f"({posted.details['message_id']})"
    )


def test_posts_of_other_incidents_and_severities_do_not_count(ctx, clients) -> None:
    post(clients, "RESOLVED", incident_id="INC-OTHER")
    post(clients, "RESOLVED", severity="P1")
    check = status_posted(ctx, "RESOLVED")
    assert check.passed is False
    assert check.detail.endswith("arrived instead: no post of this incident; 1 post(s) of other incidents")


def test_a_double_post_fails(ctx, clients) -> None:
    post(clients, "INVESTIGATING")
    post(clients, "INVESTIGATING", force=True)
    check = status_posted(ctx, "INVESTIGATING")
    assert check.passed is False and "was posted 2 times" in check.detail


def test_a_post_carrying_a_secret_fails(ctx, clients, seeded) -> None:
    # Random secrets have no recognisable shape, so post-status cannot refuse them; the drill can.
    post(clients, "INVESTIGATING", impact=f"login broken, password {seeded.secret_values[0]} exposed")
    check = status_posted(ctx, "INVESTIGATING")
    assert check.passed is False and check.detail.endswith("the post contains a secret value")


def test_a_post_outside_the_template_fails(ctx, clients, seeded) -> None:
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in {"incident_id": INCIDENT, "status": "RESOLVED", "severity": "P0"}.items()
    }
    clients.sns.publish(
        TopicArn=seeded.topic_arns["P0"], Message="all good now", MessageAttributes=attributes
    )
    check = status_posted(ctx, "RESOLVED")
    assert check.passed is False and "first line is not the P0 template's heading" in check.detail


def test_raw_delivery_is_read_from_the_queue_attributes(ctx, clients, seeded) -> None:
    topic = seeded.topic_arns["P0"]
    [subscription] = clients.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    clients.sns.set_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"],
        AttributeName="RawMessageDelivery",
        AttributeValue="true",
    )
    post(clients, "MITIGATING")
    check = status_posted(ctx, "MITIGATING")
    assert check.passed, check.detail


def test_the_seed_subscribes_one_envelope_queue_per_severity(clients, seeded, platform) -> None:
    assert set(seeded.topic_arns) == set(seeded.status_queue_urls) == {"P0", "P1", "P2", "P3"}
    for severity, topic in seeded.topic_arns.items():
        assert topic.endswith(":" + platform.notifications.topic_name(severity))
        [subscription] = clients.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        attributes = clients.sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])[
            "Attributes"
        ]
        assert attributes["RawMessageDelivery"] == "false"
        assert seeded.status_queue_urls[severity].endswith(
            f"{platform.notifications.topic_name(severity)}-drill-subscriber"
        )


# The steps the scenarios carry (the lead adds them to drills/scenarios); injected here so this
# test does not depend on which scenario files have them yet.
DECLARE = {
    "name": "post the P0 status: investigating",
    "action": "post-status",
    "args": {
        "severity": "P0",
        "status": "INVESTIGATING",
        "title": "All services returning 503",
        "impact": "every storefront, admin and API request fails",
        "current_action": "triage, then roll back every service",
        "next_update_minutes": 15,
    },
    "expect": [{"path": "changed", "op": "eq", "value": True}],
}
RESOLVE = {
    "name": "post the P0 status: resolved",
    "action": "post-status",
    "args": {
        "severity": "P0",
        "status": "RESOLVED",
        "title": "All services returning 503",
        "impact": "none since the rollback",
        "current_action": "monitoring; post-mortem within 24 hours",
    },
    "expect": [{"path": "changed", "op": "eq", "value": True}],
}
VERIFY = [
    {
        "name": f"the {status.lower()} status reached the team",
        "probe": "status-posted",
        "args": {"severity": "P0", "status": status},
    }
    for status in ("INVESTIGATING", "RESOLVED")
]


def _with_status_posts(data: dict, resolve: bool = True) -> None:
    for phase in ("procedure", "verify"):
        data[phase] = [
            s for s in data[phase] if s.get("action") != "post-status" and s.get("probe") != "status-posted"
        ]
    data["procedure"] = [DECLARE, *data["procedure"], *([RESOLVE] if resolve else [])]
    data["verify"] += VERIFY


@pytest.mark.emulator
def test_a_drill_posts_at_declaration_and_resolution_and_sees_both_arrive(run_drill, tmp_path: Path) -> None:
    finished = run_drill.in_process("p0-a", change=_with_status_posts)
    assert finished.returncode == 0, finished.stderr
    checks = {c["name"]: c for c in json.loads((tmp_path / "p0-a.json").read_text())["checks"]}
    for step in VERIFY:
        assert checks[step["name"]]["status"] == "passed", checks[step["name"]]


@pytest.mark.emulator
def test_a_drill_that_never_posts_the_resolution_fails(run_drill, tmp_path: Path) -> None:
    finished = run_drill.in_process("p0-a", change=lambda data: _with_status_posts(data, resolve=False))
    assert finished.returncode == 1
    checks = {c["name"]: c for c in json.loads((tmp_path / "p0-a.json").read_text())["checks"]}
    missing = checks["the resolved status reached the team"]
    assert missing["status"] == "failed"
    assert "no P0 RESOLVED post of DRILL-P0-A-" in missing["detail"]
    assert "this incident's posts: P0 INVESTIGATING" in missing["detail"]
