"""Scenarios are validated whole before anything runs; each mistake is named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from drills.exceptions import ScenarioError
from drills.scenario import SCENARIO_DIR, load_scenarios, parse_scenario

P0A = yaml.safe_load((SCENARIO_DIR / "p0-a.yaml").read_text())


def test_shipped_scenarios_are_valid_and_p0_first() -> None:
    scenarios = load_scenarios()
    assert "p0-a" in scenarios
    severities = [s.severity for s in scenarios.values()]
    assert severities == sorted(severities)


def _rollback(data: dict) -> dict:
    return next(s for s in data["procedure"] if s.get("action") == "rollback-service")


def _index(data: dict, step: dict) -> int:
    return data["procedure"].index(step)


def _broken(change) -> dict:
    data = copy.deepcopy(P0A)
    change(data)
    return data


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("severity"), "required key 'severity' is missing"),
        (lambda d: d.update(severity="P5"), "severity: 'P5' is not one of P0, P1, P2, P3"),
        (lambda d: d.update(owner="me"), "scenario: unknown key 'owner'"),
        (lambda d: d["procedure"][0].update(action="triag"), "procedure[0]: unknown action 'triag'"),
        (lambda d: d["steady_state"][0].update(probe="nope"), "steady_state[0]: unknown probe 'nope'"),
        (lambda d: d["faults"][0].update(fault="meteor"), "faults[0]: unknown fault 'meteor'"),
        (
            lambda d: _rollback(d)["args"].update(sevice="x"),
            "action 'rollback-service' has no argument 'sevice'",
        ),
        (lambda d: _rollback(d).update(name="roll back {servce}"), "unknown variable {servce}"),
        (lambda d: _rollback(d).pop("for_each"), "unknown variable {service}"),
        (
            lambda d: d["procedure"][0]["expect"][0].update(op="approximately"),
            "procedure[0].expect[0].op: 'approximately' is not one of",
        ),
        (lambda d: d["verify"].append({"action": "triage"}), "a action cannot be a step of verify"),
        (
            lambda d: d["procedure"].append({"action": "triage", "probe": "ecs-steady-state"}),
            "give exactly one of probe, fault, action",
        ),
        (lambda d: _rollback(d).update(for_each="merchant"), "for_each: 'merchant' is not one of service"),
        (
            lambda d: _rollback(d).update(continue_on_failure="yes"),
            "continue_on_failure: expected true or false",
        ),
        (lambda d: d["detection"].update(expect_page="P7"), "detection.expect_page: 'P7' is not one of"),
        (lambda d: d["detection"].update(expect_page=None), "detection.reason: say why no alarm"),
        (lambda d: d["detection"].update(horizon_s=5), "detection.horizon_s: 5 is not a whole number"),
        (lambda d: d.update(detection=["P0"]), "detection: expected a mapping with expect_page"),
    ],
)
def test_invalid_scenarios_are_rejected_naming_the_problem(change, message: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(_broken(change))
    assert message in str(raised.value)


def test_file_name_is_part_of_the_error(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(_broken(lambda d: d.pop("title"))))
    with pytest.raises(ScenarioError, match=r"mine.yaml: required key 'title' is missing"):
        load_scenarios(tmp_path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(P0A))
    with pytest.raises(ScenarioError, match="two scenarios have id 'p0-a'"):
        load_scenarios(tmp_path)
