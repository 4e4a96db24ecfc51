"""post-status: the guide's P0/P1 templates, posted once per change to the severity's topic."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from moto import mock_aws

from runbook_actions import invoke
from runbook_actions.cli import main
from runbook_actions.clients import AwsClients
from runbook_actions.constants import ENV_TOPIC_PREFIX
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from runbook_actions.post_status import status_record_parameter
from runbook_actions.registry import get_action
from runbook_actions.status_template import (
    MAX_MESSAGE_BYTES,
    MAX_TITLE,
    StatusPost,
    check_field,
    check_size,
    render_status,
)
from stack_config.runbook_env import runbook_environment
from targets.seed import SeedResult, seed_platform
from tests.support.platform_names import CLUSTER, STAGING, TOPIC_PREFIX

NAME = "post-status"
INCIDENT = "INC-20261126-01"
STARTED = datetime(2026, 11, 26, 3, 10, tzinfo=timezone.utc)
ARGS = {
    "severity": "P0",
    "status": "INVESTIGATING",
    "title": "All services returning 503",
    "impact": "every storefront and API request fails",
    "current_action": "rolling back fastify-nova",
    "next_update_minutes": 15,
    "cluster": CLUSTER,
    "incident_id": INCIDENT,
    "topic_prefix": TOPIC_PREFIX,
}


def post(clients, dry_run: bool = False, **changes):
    return invoke(NAME, clients, {**ARGS, **changes}, dry_run=dry_run)


def arrived(clients, seeded, severity: str = "P0") -> list[dict]:
    """The SNS envelopes on the severity's drill subscriber queue (consumed)."""
    url = seeded.status_queue_urls[severity]
    messages = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize(
    "severity, heading, cc",
    [
        ("P0", "🚨 P0 INCIDENT — All services returning 503", "CC: @everyone"),
        ("P1", "⚠️ P1 INCIDENT — All services returning 503", "CC: @tech-lead @on-call"),
    ],
)
def test_the_guides_template_is_rendered_exactly(severity: str, heading: str, cc: str) -> None:
    rendered = render_status(
        severity=severity,
        status="MITIGATING",
        title="All services returning 503",
        started=datetime(2026, 11, 26, 8, 40, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        impact="~40% of login attempts failing",
        current_action="rolling back",
        next_update="in 30 minutes",
        incident_id=INCIDENT,
    )
    assert rendered.message == "\n".join(
        [
            heading,
            "Status: MITIGATING",
            "Started: 2026-11-26 03:10 UTC",
            "Impact: ~40% of login attempts failing",
            "Current action: rolling back",
            "Next update: in 30 minutes",
            cc,
        ]
    )
    assert rendered.attributes == {"incident_id": INCIDENT, "status": "MITIGATING", "severity": severity}


def test_posts_to_the_severity_topic_with_filterable_attributes(clients, seeded) -> None:
    result = post(clients, started="2026-11-26T03:10:00Z")
    assert (result.ok, result.changed) == (True, True)
    assert result.details["topic_arn"] == seeded.topic_arns["P0"]
    [envelope] = arrived(clients, seeded)
    assert envelope["MessageId"] == result.details["message_id"]
    assert envelope["Message"] == result.details["message"]
    assert envelope["Message"].splitlines()[2] == "Started: 2026-11-26 03:10 UTC"
    assert envelope["Subject"] == "P0 INCIDENT - INVESTIGATING: All services returning 503"
    assert {k: v["Value"] for k, v in envelope["MessageAttributes"].items()} == {
        "incident_id": INCIDENT,
        "status": "INVESTIGATING",
        "severity": "P0",
    }
    assert arrived(clients, seeded, "P1") == []


def test_a_repeat_is_reported_not_posted_and_force_posts_again(clients, seeded) -> None:
    first = post(clients)
    again = post(clients)
    assert (again.changed, again.details["already_posted"]) == (False, True)
    assert again.details["message_id"] == first.details["message_id"]
    assert len(arrived(clients, seeded)) == 1
    forced = post(clients, force=True)
    assert forced.changed and forced.details["message_id"] != first.details["message_id"]
    assert len(arrived(clients, seeded)) == 1  # the forced one; the first was consumed above


def test_later_posts_repeat_the_incidents_start_and_a_new_status_is_posted(
    clients, seeded, monkeypatch
) -> None:
    first = post(clients)
    later = datetime.now(timezone.utc) + timedelta(minutes=47)
    monkeypatch.setattr("runbook_actions.post_status.utc_now", lambda: later)
    resolved = post(
        clients,
        status="RESOLVED",
        next_update_minutes=None,
        impact="none since the rollback",
        current_action="monitoring",
    )
    assert resolved.changed and resolved.details["started"] == first.details["started"]
    lines = resolved.details["message"].splitlines()
    assert lines[1:3] == ["Status: RESOLVED", first.details["message"].splitlines()[2]]
    assert lines[5] == "Next update: none (resolved)"
    assert [e["MessageAttributes"]["status"]["Value"] for e in arrived(clients, seeded)] == [
        "INVESTIGATING",
        "RESOLVED",
    ]


def test_dry_run_renders_and_changes_nothing(clients, seeded) -> None:
    result = post(clients, dry_run=True)
    assert (result.dry_run, result.changed, result.details["would_change"]) == (True, False, True)
    assert result.details["message"].startswith("🚨 P0 INCIDENT — All services returning 503")
    assert arrived(clients, seeded) == []
    parameter = status_record_parameter("/incident-guardrails", CLUSTER, INCIDENT)
    assert clients.ssm.get_parameters(Names=[parameter])["InvalidParameters"] == [parameter]


def test_dry_run_and_post_fail_clearly_when_the_topic_is_missing(clients, seeded) -> None:
    for dry_run in (True, False):
        with pytest.raises(NotFoundError, match=STAGING.notifications.topic_name("P0")):
            post(clients, dry_run=dry_run, topic_prefix=STAGING.notifications.topic_prefix)


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"severity": "P2"}, InvalidArgumentError, "P2 has no communication template in the guide"),
        ({"severity": "P3"}, InvalidArgumentError, "post-status covers P0 and P1"),
        ({"severity": "P4"}, InvalidArgumentError, "--severity: 'P4' is not one of"),
        ({"status": "DONE"}, InvalidArgumentError, "--status: 'DONE' is not one of"),
        (
            {"next_update_minutes": None},
            InvalidArgumentError,
            "--next-update-minutes is required while INVESTIGATING",
        ),
        ({"next_update_minutes": 0}, InvalidArgumentError, "--next-update-minutes: 0 is below the minimum 1"),
        ({"title": "x" * 81}, InvalidArgumentError, "--title: 81 characters, at most 80"),
        ({"impact": "checkout\nbroken"}, InvalidArgumentError, "--impact: must be one line"),
        (
            {"current_action": "rotating key AKIAABCDEFGHIJKLMNOP now"},
            InvalidArgumentError,
            "--current-action: looks like it contains an AWS access key id; never post secrets",
        ),
        ({"impact": "key rzp_live_0123456789abcd leaked"}, InvalidArgumentError, "a Razorpay key"),
        ({"started": "2026-11-26T03:10:00"}, InvalidArgumentError, "has no time zone; add Z"),
        ({"started": "yesterday"}, InvalidArgumentError, "is not an ISO 8601 time"),
        ({"started": "2099-01-01T00:00:00Z"}, InvalidArgumentError, "is in the future"),
        ({"topic_prefix": None}, InvalidArgumentError, f"or set {ENV_TOPIC_PREFIX}"),
        (
            {"topic_arn": f"arn:aws:sns:ap-south-1:123456789012:{TOPIC_PREFIX}-p1"},
            InvalidArgumentError,
            "is the P1 topic; a P0 status goes to the P0 topic",
        ),
        (
            {"topic_arn": "arn:aws:sqs:ap-south-1:123456789012:queue"},
            InvalidArgumentError,
            "--topic-arn: .* is not a valid value",
        ),
    ],
)
def test_refusals_name_the_bad_value_and_post_nothing(
    clients, seeded, monkeypatch, changes, error, message
) -> None:
    monkeypatch.delenv(ENV_TOPIC_PREFIX, raising=False)
    with pytest.raises(error, match=message):
        post(clients, **changes)
    assert arrived(clients, seeded) == []


def test_a_damaged_record_stops_the_post(clients, seeded) -> None:
    parameter = status_record_parameter("/incident-guardrails", CLUSTER, INCIDENT)
    clients.ssm.put_parameter(Name=parameter, Value="{not json", Type="String")
    with pytest.raises(RefusedError, match="is not valid JSON; inspect its SSM history"):
        post(clients)
    assert arrived(clients, seeded) == []


def test_an_explicit_topic_arn_is_used_as_given(clients, seeded) -> None:
    result = post(clients, topic_prefix=None, topic_arn=seeded.topic_arns["P0"])
    assert result.details["topic_arn"] == seeded.topic_arns["P0"]
    assert len(arrived(clients, seeded)) == 1


def test_the_subject_is_ascii_and_under_sns_limit() -> None:
    rendered = render_status(
        severity="P1",
        status="INVESTIGATING",
        title="Checkout broken — ₹ payments " + "x" * 50,
        started=STARTED,
        impact="i",
        current_action="c",
        next_update="in 5 minutes",
        incident_id=INCIDENT,
    )
    assert rendered.subject.isascii() and len(rendered.subject) == 99
    assert rendered.subject.endswith("...")


def test_a_message_over_256_kb_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="bytes, SNS allows 262144"):
        check_size(StatusPost("s", "x" * MAX_MESSAGE_BYTES, {"incident_id": INCIDENT}))


def test_iam_grants_are_exactly_the_calls_made(clients, seeded, aws_hooks) -> None:
    calls = aws_hooks.record_calls(clients.sns, clients.ssm, clients.sts)
    post(clients, dry_run=True)
    post(clients)
    declared = {api for grant in get_action(NAME).iam for api in grant.actions}
    # GetCallerIdentity needs no IAM permission (AWS allows it to everyone), so it is not granted.
    assert calls - {"sts:GetCallerIdentity"} == declared
    assert {grant.resource for grant in get_action(NAME).iam} == {"sns-topic", "ssm-state-parameter"}


def test_lambdas_and_drills_get_the_topic_prefix(platform) -> None:
    assert runbook_environment(platform)[ENV_TOPIC_PREFIX] == platform.notifications.topic_prefix


def test_cli_reads_prefix_cluster_and_incident_from_the_environment(
    clients, seeded, capsys, monkeypatch, platform
) -> None:
    for name, value in runbook_environment(platform, INCIDENT).items():
        monkeypatch.setenv(name, value)
    code = main(
        [
            "post-status",
            "--severity",
            "P1",
            "--status",
            "MITIGATING",
            "--title",
            "Checkout broken",
            "--impact",
            "Checkout broken for all merchants",
            "--current-action",
            "rolling back",
            "--next-update-minutes",
            "30",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert (code, result["changed"]) == (0, True)
    assert result["details"]["message"].endswith("CC: @tech-lead @on-call")
    assert len(arrived(clients, seeded, "P1")) == 1


def test_cli_refusal_is_one_line(clients, seeded, capsys, monkeypatch, platform) -> None:
    for name, value in runbook_environment(platform, INCIDENT).items():
        monkeypatch.setenv(name, value)
    code = main(
        [
            "post-status",
            "--severity",
            "P2",
            "--status",
            "MITIGATING",
            "--title",
            "t",
            "--impact",
            "i",
            "--current-action",
            "c",
            "--next-update-minutes",
            "30",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: --severity: P2 has no communication template in the guide")


def _refused_characters() -> list[str]:
    """Every line or paragraph separator, control and format character Python knows, plus
    lone surrogates (which a Lambda event's JSON can carry)."""
    every = (chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    found = [c for c in every if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    separators = {
        c
        for c in map(chr, range(0x110000))
        if not 0xD800 <= ord(c) <= 0xDFFF and len(f"a{c}b".splitlines()) > 1
    }
    assert separators <= set(found)  # str.splitlines()'s separators are all among them
    return found + ["\ud800", "\udfff"]


@pytest.mark.parametrize("character", _refused_characters(), ids=lambda c: f"U+{ord(c):04X}")
def test_every_separator_control_and_format_character_is_refused(character: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rf"--title: .*U\+{ord(character):04X}") as raised:
        check_field("--title", f"Database slow{character}Status: RESOLVED", MAX_TITLE)
    assert str(raised.value).count("\n") == 0 and character not in str(raised.value)


@pytest.mark.parametrize(
    "character",
    [
        "\u2028",
        "\u2029",
        "\x85",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x1d",
        "\x1e",
        "\r",
        "\u202e",
        "\u2066",
        "\u200b",
        "\ufeff",
    ],
    ids=lambda c: f"U+{ord(c):04X}",
)
@pytest.mark.parametrize("field", ["title", "impact", "current_action"])
class TestAFakeStatusLine:
    """39 refusals: they share one seeded account (a seed costs ~0.25 s of CPU, the refusal
    itself nothing); a case that posted would find its post on the queue."""

    @pytest.fixture(scope="class")
    def account(self, shared_clients, platform) -> Iterator[tuple[AwsClients, SeedResult]]:
        with mock_aws():
            yield shared_clients, seed_platform(shared_clients, platform)

    def test_never_reaches_the_topic(self, account, field, character) -> None:
        clients, seeded = account
        try:
            with pytest.raises(InvalidArgumentError, match=f"--{field.replace('_', '-')}: must be one line"):
                post(clients, **{field: f"checkout slow{character}Status: RESOLVED"})
        finally:  # whatever this case posted is consumed here, never left for the next case
            posted = arrived(clients, seeded)
        assert posted == []


@pytest.mark.parametrize(
    "text",
    [
        "Checkout broken — ₹ payments fail",
        "Paiements échoués à 100 %",
        "भुगतान विफल",
        "支払いが失敗",
        "⚠️ payments 🔥",
    ],
)
def test_ordinary_text_in_any_script_is_accepted(text: str) -> None:
    assert check_field("--title", text, MAX_TITLE) == text
