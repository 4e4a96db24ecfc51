"""Post-mortems worth keeping (issue 14): the guide's template with what Google SRE's example and
PagerDuty's template add, filled in from the run: facts per timeline row, a source per entry,
response times against the SLA, services affected, checks in plain words, typed action items,
and for game days the responders' own calls read back from the target."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from drills import responder_log
from drills.gameday import GameDay, GameDayOptions
from drills.journal import CheckRecord, Journal, StepRecord
from drills.postmortem import plain_check, render_postmortem
from drills.scenario import SCENARIO_DIR, load_scenario
from drills.step_facts import step_facts
from tests.support.platform_names import PRODUCTION

SERVICES = PRODUCTION.service_names


def _section(markdown: str, heading: str) -> str:
    return markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows(section: str) -> list[list[str]]:
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("|--")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


@pytest.mark.emulator
def test_p0b_post_mortem_carries_the_runs_facts(run_drill, tmp_path: Path) -> None:
    finished = run_drill.in_process("p0-b")
    assert finished.returncode == 0, finished.stderr
    report = json.loads((tmp_path / "p0-b.json").read_text())
    markdown = (tmp_path / "p0-b-postmortem.md").read_text()
    steps = {s["ref"]: s["result"]["details"] for s in report["timeline"] if s["kind"] == "action"}

    impact = _section(markdown, "Impact")
    for service in SERVICES:
        assert f"{service} (scaled to 0 to stop writes)" in impact
    assert "none recorded" not in impact and "**Time in P0:**" in impact

    timeline = _section(markdown, "Timeline (all times UTC)")
    rows = _table_rows(timeline)
    assert len(rows) == len(report["timeline"]) + len(report["undo"])
    assert all(row[3] for row in rows), "every timeline entry names its source"
    facts = " ".join(row[2] for row in rows)
    restore = steps["restore-cluster"]
    for fact in (
        f"snapshot {steps['snapshot-cluster']['snapshot']}",
        f"restored cluster {restore['target']}",
        f"restore point {restore['restore_point']['time']}",
        "fastify-nova 4→0",
        "fastify-nova 0→4",
        steps["stop-writes"]["fence"]["entries"][0]["nacl_id"],
        f"version {steps['cutover']['previous_version']}→{steps['cutover']['version']}",
    ):
        assert fact in facts, fact
    posts = [s for s in report["timeline"] if s["ref"] == "post-status" and s["status"] == "ok"]
    for post in posts:
        assert f"status post, message {post['result']['details']['message_id']}" in timeline

    budget = _section(markdown, "Response Budget")
    milestones = {row[0]: row for row in _table_rows(budget.split("Budget to acknowledge")[0])}
    assert set(milestones) == {"detect", "acknowledge", "mitigate", "recover"}
    assert milestones["detect"][1] == "never" and "declared from a report" in milestones["detect"][3]
    assert milestones["acknowledge"][2].endswith(": within") and "of 15 min" in milestones["acknowledge"][2]
    assert "stop all writes" in milestones["mitigate"][3]

    well = _section(markdown, "What Went Well")
    assert " eq " not in well and "changed eq" not in well and "it made its change" in well
    items = _table_rows(_section(markdown, "Action Items"))
    assert {row[1] for row in items} <= {"prevent", "detect", "mitigate", "process"}
    assert all(row[2] == "" and row[3] == "" for row in items), "owner and due are left to people"
    assert any(row[1] == "detect" and "data integrity" in row[0] for row in items)
    assert _section(markdown, "Where We Got Lucky").startswith("- ")
    assert (tmp_path / "p0-b.html").read_text().startswith("<!DOCTYPE html>")


def _journal() -> Journal:
    return Journal("p0-c", "t", "P0", "P0-C", "production", {"name": "local"}, "r", "i")


def test_facts_name_key_and_version_ids_never_secret_values() -> None:
    rotate = StepRecord("rotate", "procedure", "action", "rotate-db-credentials", "2026-11-29T00:00:00.000Z")
    rotate.result = {
        "changed": True,
        "details": {
            "secret_id": "zelly/aurora/master",
            "previous_version_id": "v-old",
            "new_version_id": "v-new",
            "password": "hunter2-very-secret",
            "SecretString": "hunter2-very-secret",
        },
    }
    key = StepRecord("deactivate", "procedure", "action", "deactivate-access-key", "2026-11-29T00:00:00.000Z")
    key.result = {
        "changed": True,
        "details": {
            "user": "leaked",
            "secret_access_key": "wJalrXUtnFEMI-secret",
            "keys": [{"access_key_id": "AKIAEXAMPLE", "status_before": "Active", "status": "Inactive"}],
        },
    }
    text = " ".join(step_facts(rotate) + step_facts(key))
    assert "v-old → v-new" in text and "AKIAEXAMPLE Active→Inactive" in text
    assert "hunter2" not in text and "wJalr" not in text


def test_expectations_are_said_in_plain_words() -> None:
    journal = _journal()
    journal.timeline.append(StepRecord("post again", "procedure", "action", "post-status", "x"))
    said = [
        plain_check(CheckRecord(f"post again: {text}", "procedure", "passed", ""), journal)
        for text in (
            "changed eq True",
            "changed eq False",
            "details.already_posted eq True",
            "details.fence.fenced_at exists",
        )
    ]
    assert said == [
        "post again: it made its change",
        "post again: it changed nothing (as it should on a repeat)",
        "post again: already posted: yes",
        "post again: it reported: fence fenced at",
    ]


class _Runner:
    def __init__(self) -> None:
        self.records: list[tuple[StepRecord, str | None]] = []

    def record(self, record: StepRecord, check: str | None = None) -> None:
        self.records.append((record, check))


def test_a_game_day_nobody_answered_names_each_failure_rightly(tmp_path: Path) -> None:
    """Timed out with nobody responding: the acknowledgement check says nobody acknowledged,
    the steady-state check says the platform did not recover (it used to repeat the former)."""
    scenario = load_scenario(SCENARIO_DIR / "p0-a.yaml")
    gameday = GameDay(scenario, SimpleNamespace(), GameDayOptions(tmp_path, 30.0, 0.1), say=lambda _: None)
    journal, runner = _journal(), _Runner()
    gameday._judge(runner, journal, 180.0, None, None)
    details = {record.name: record.detail for record, _ in runner.records}
    assert details["acknowledged within the SLA"] == "nobody acknowledged the page"
    assert details["steady state restored by the responders"] == "not recovered within the time limit of 30s"
    assert journal.reason == "nobody acknowledged the page"


@pytest.mark.emulator
def test_the_responders_calls_are_read_from_moto_and_the_drills_left_out(moto_server) -> None:
    endpoint = moto_server.endpoint_url
    kwargs = dict(
        endpoint_url=endpoint,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    drill = SimpleNamespace(get=lambda service: boto3.client(service, **kwargs))
    drill_ssm = drill.get("ssm")
    responder_ssm = boto3.client("ssm", **kwargs, config=Config(user_agent_extra="oncall-shell"))
    responder_log.mark_drill_clients(SimpleNamespace(get=lambda service: drill_ssm), ["ssm"])
    log = responder_log.open_log("local", endpoint, None)
    assert log.source == "moto request log"
    drill_ssm.put_parameter(Name="/pm-test/drill", Value="drill-value", Type="String", Overwrite=True)
    responder_ssm.put_parameter(
        Name="/pm-test/responder", Value="s3cr3t-value", Type="String", Overwrite=True
    )
    responder_ssm.get_parameter(Name="/pm-test/responder")
    calls, note = responder_log.read_calls(log)
    assert [(c.service, c.operation) for c in calls] == [("ssm", "PutParameter"), ("ssm", "GetParameter")]
    assert calls[0].parameters == ("Name=/pm-test/responder",), "never the value"
    assert "2 call(s) by others than the drill (1 of the drill's own" in note
    records = responder_log.records(calls, note, log.source)
    assert [r.name for r in records] == ["ssm:PutParameter", "the responders' actions"]
    assert "1 read-only call(s): ssm:GetParameter ×1" in records[-1].detail
    assert "s3cr3t" not in json.dumps([r.result for r in records]) + records[-1].detail


def test_cloudtrail_gives_the_responders_calls_on_aws() -> None:
    cloudtrail = boto3.client(
        "cloudtrail", region_name="ap-south-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    log = responder_log.open_log("aws", None, SimpleNamespace(cloudtrail=cloudtrail))

    def event(name: str, agent: str, when: str) -> dict:
        record = {
            "userAgent": agent,
            "userIdentity": {"arn": "arn:aws:iam::1:user/alice"},
            "requestParameters": {"cluster": "zelly-production", "service": "storefront"},
        }
        return {
            "EventName": name,
            "EventSource": "ecs.amazonaws.com",
            "EventTime": when,
            "CloudTrailEvent": json.dumps(record),
        }

    with Stubber(cloudtrail) as stub:
        stub.add_response(
            "lookup_events",
            {
                "Events": [
                    event("UpdateService", "aws-cli/2.17", "2026-11-29T22:00:05Z"),
                    event(
                        "UpdateService", f"Boto3/1 {responder_log.DRILL_USER_AGENT}", "2026-11-29T22:00:01Z"
                    ),
                ]
            },
        )
        calls, note = responder_log.read_calls(log)
    assert [(c.operation, c.caller) for c in calls] == [("UpdateService", "arn:aws:iam::1:user/alice")]
    assert calls[0].parameters == ("cluster=zelly-production", "service=storefront")
    assert "1 of the drill's own left out" in note and "15 minutes" in note


def test_a_target_without_a_request_log_says_so() -> None:
    log = responder_log.open_log("localstack", "http://127.0.0.1:4566", None)
    calls, note = responder_log.read_calls(log)
    assert calls == [] and note.startswith("not shown: target localstack offers no request log")
    runner = _Runner()
    responder_log.record_into(runner, log)
    assert [r.detail for r, _ in runner.records] == [note]


def test_a_game_days_post_mortem_lists_the_responders() -> None:
    scenario = load_scenario(SCENARIO_DIR / "p0-a.yaml")
    journal = _journal()
    journal.timeline.append(
        StepRecord("acknowledged by alice", "response", "event", "gameday", "2026-11-29T22:00:00.000Z")
    )
    journal.timeline.extend(
        responder_log.records(
            [
                responder_log.Call(
                    "2026-11-29T22:00:03.000Z", "ecs", "UpdateService", ("service=storefront",), "aws-cli/2"
                )
            ],
            "read from moto's request log: 1 call(s)",
            "moto request log",
        )
    )
    journal.finish()
    markdown = render_postmortem(journal, scenario)
    assert (
        "- **People:** alice; 1 change(s) of theirs read back from the target (in the timeline)" in markdown
    )
    assert "- **Their actions:** read from moto's request log: 1 call(s)" in markdown
    row = next(
        r for r in _table_rows(_section(markdown, "Timeline (all times UTC)")) if "ecs:UpdateService" in r[1]
    )
    assert row[2] == "service=storefront" and row[3] == "moto request log"
