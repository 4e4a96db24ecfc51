"""Drills judge detection with the stack's own alarm catalog, and the response against the SLA."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from alarm_catalog import CATALOG_PATH
from drills.cli import main
from drills.journal import StepRecord, utc_now
from drills.sla import response_budget
from stack_config import load_platform
from tests.support.platform_names import CLUSTER, TOPIC_PREFIX

pytestmark = pytest.mark.emulator


def _catalog_copy(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(Path(CATALOG_PATH).read_text())
    change(data)
    path = tmp_path / "alarms.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _entry(data: dict, section: str, entry_id: str) -> dict:
    return next(e for e in data[section] if e["id"] == entry_id)


def _run(moto_server, tmp_path: Path, *extra: str) -> tuple[int, dict]:
    code = main(
        ["run", "p0-a", "--endpoint-url", moto_server.endpoint_url, "--report-dir", str(tmp_path), *extra]
    )
    return code, json.loads((tmp_path / "p0-a.json").read_text())


def test_p0a_pages_p0_through_the_composite_in_three_minutes(moto_server, tmp_path: Path) -> None:
    code, report = _run(moto_server, tmp_path)
    assert code == 0
    detection = report["detection"]
    assert detection["time_to_detect_s"] == 180  # 3 of 3 one-minute periods with no running task
    first_p0 = next(f for f in detection["fired"] if f["severity"] == "P0")
    assert (first_p0["alarm"], first_p0["topic"]) == (f"{CLUSTER}-all-services-down", f"{TOPIC_PREFIX}-p0")
    assert report["sla"]["within"] and report["sla"]["sla_s"] == 900
    assert report["sla"]["parts"][0] == {
        "name": "time to detect (alarm)",
        "seconds": 180,
        "source": "simulated",
    }
    fired = {f["alarm"]: (f["severity"], f["at_s"]) for f in detection["fired"]}
    # What customers and the ALB see pages P1 on its own: the public URLs, then the ALB's 5xx.
    assert fired[f"{CLUSTER}-fastify-nova-public-endpoint-down"] == ("P1", 120)
    assert fired[f"{CLUSTER}-zelly-prod-fastify-nova-elb-5xx"] == ("P1", 180)
    assert all(s.startswith("log group ") for s in detection["unwatched_symptoms"])  # every metric watched
    postmortem = (tmp_path / "p0-a-postmortem.md").read_text()
    assert f"CloudWatch alarm `{CLUSTER}-all-services-down` paged P0" in postmortem
    assert "## Response Budget" in postmortem


def test_on_a_non_production_stack_the_drill_expects_the_level_the_catalog_deploys_there(
    moto_server, tmp_path: Path
) -> None:
    """The guide classes staging incidents as P3: the same P0 drill passes there on a P3 issue."""
    code, report = _run(moto_server, tmp_path, "--stack", "staging")
    assert code == 0
    check = next(c for c in report["checks"] if c["phase"] == "detect")
    assert check["status"] == "passed"
    staging = load_platform("staging")
    assert check["detail"] == (
        f"{staging.cluster}-all-services-down raises P3 ({staging.notifications.topic_name('P3')}) "
        "at +180s (a non-production stack raises the guide's P0 as P3)"
    )


def test_alarm_wired_to_the_wrong_topic_fails_the_drill(moto_server, tmp_path: Path) -> None:
    catalog = _catalog_copy(
        tmp_path, lambda d: _entry(d, "compositeAlarms", "all-services-down").update(severity="P2")
    )
    code, report = _run(moto_server, tmp_path, "--alarm-catalog", str(catalog))
    assert code == 1
    check = next(c for c in report["checks"] if c["phase"] == "detect")
    assert check["status"] == "failed" and check["detail"].startswith("P0 never paged within 1800s")


def test_a_period_that_makes_p0_detection_too_slow_fails(moto_server, tmp_path: Path) -> None:
    def hourly(data: dict) -> None:
        for entry_id in ("web-service-no-running-tasks", "no-healthy-hosts"):
            _entry(data, "metricAlarms", entry_id)["metric"]["period"] = 3600

    code, report = _run(moto_server, tmp_path, "--alarm-catalog", str(_catalog_copy(tmp_path, hourly)))
    assert code == 1
    check = next(c for c in report["checks"] if c["phase"] == "detect")
    assert check["status"] == "failed" and "P0 never paged" in check["detail"]


def test_junit_report_counts_failures_and_not_covered(moto_server, tmp_path: Path) -> None:
    catalog = _catalog_copy(
        tmp_path, lambda d: _entry(d, "compositeAlarms", "all-services-down").update(severity="P1")
    )
    _run(moto_server, tmp_path, "--alarm-catalog", str(catalog))
    suite = ET.parse(tmp_path / "p0-a.junit.xml").getroot()
    assert suite.get("failures") == "1" and int(suite.get("skipped")) >= 4
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["alarms page the expected severity"]


def test_invalid_symptoms_stop_the_run_before_anything_starts(tmp_path: Path, capsys) -> None:
    scenario = yaml.safe_load((Path("drills/scenarios/p0-a.yaml")).read_text())
    scenario["symptoms"]["metrics"][0]["for_each"] = "merchant"
    (tmp_path / "p0-a.yaml").write_text(yaml.safe_dump(scenario))
    code = main(["run", "p0-a", "--scenarios-dir", str(tmp_path), "--report-dir", str(tmp_path)])
    assert code == 2
    assert "p0-a: " in capsys.readouterr().err
    assert not (tmp_path / "p0-a.json").exists()


def _step(name: str, seconds: float, ref: str = "triage") -> StepRecord:
    return StepRecord(name, "procedure", "action", ref, utc_now(), duration_s=seconds)


def test_budget_names_the_part_that_took_the_time() -> None:
    budget = response_budget("P0", 840, [_step("post", 2, "post-status"), _step("roll back", 100)])
    assert not budget.within and budget.total_s == 942
    assert budget.verdict() == (
        "942.0s exceeds P0 SLA 15 min by 42.0s; most of it: time to detect (alarm) 840.0s"
    )
    assert [p.name for p in budget.parts][:2] == ["time to detect (alarm)", "time to page (status post)"]


def test_budget_within_and_p3_has_no_clock() -> None:
    assert response_budget("P1", 600, [_step("a", 30)]).margin_s == 1170
    p3 = response_budget("P3", None, [_step("a", 99999)])
    assert p3.within and p3.sla_s is None
