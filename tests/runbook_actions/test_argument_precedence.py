"""Where an action's arguments come from, in one place: the flag, then the environment given, then the default.

The environment is always passed in: the command line and the Lambda handler pass the process's,
a drill passes the stack's. Nothing reads the process environment behind the caller's back, so a
variable left in a responder's shell cannot steer a drill.
"""

from __future__ import annotations

import json

import pytest

from runbook_actions import get_action, invoke
from runbook_actions.cli import main
from runbook_actions.exceptions import InvalidArgumentError
from runbook_actions.lambda_handler import handler
from runbook_actions.params import resolve
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD

SCALE = get_action("scale-service").params


def test_the_flag_wins_over_the_environment() -> None:
    values = resolve(
        SCALE, {"cluster": "from-flag", "service": "s", "desired": 1}, {"ZELLY_CLUSTER": "from-env"}
    )
    assert values["cluster"] == "from-flag"


def test_the_environment_fills_an_omitted_flag() -> None:
    values = resolve(SCALE, {"service": "s", "desired": 1}, {"ZELLY_CLUSTER": "from-env"})
    assert values["cluster"] == "from-env"


def test_the_default_applies_when_neither_is_given() -> None:
    params = get_action("stop-writes").params
    values = resolve(params, {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT}, {})
    assert values["state_prefix"] == next(p.default for p in params if p.name == "state_prefix")


def test_an_empty_variable_counts_as_unset() -> None:
    with pytest.raises(InvalidArgumentError, match=r"^--cluster is required \(or set ZELLY_CLUSTER\)$"):
        resolve(SCALE, {"service": "s", "desired": 1}, {"ZELLY_CLUSTER": ""})


def test_resolve_never_reads_the_process_environment(monkeypatch) -> None:
    monkeypatch.setenv("ZELLY_CLUSTER", "from-shell")
    with pytest.raises(InvalidArgumentError, match="--cluster is required"):
        resolve(SCALE, {"service": "s", "desired": 1}, {})


def test_invoke_without_an_environment_ignores_the_shell(clients, seeded, monkeypatch) -> None:
    """A drill's call: a prefix left in the shell must not move the incident's record elsewhere."""
    monkeypatch.setenv("ZELLY_STATE_PREFIX", "/elsewhere/")
    result = invoke("stop-writes", clients, {"cluster": CLUSTER, "incident_id": INCIDENT, "db_cluster": DB})
    assert result.details["record_parameter"] == RECORD
    stored = json.loads(clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    assert stored["desired_counts"] == SEEDED_COUNTS


def test_the_command_line_reads_its_process_environment(clients, seeded, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ZELLY_CLUSTER", CLUSTER)
    assert main(["scale-service", "--service", "storefront", "--desired", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["details"]["cluster"] == CLUSTER


def test_the_lambda_reads_its_process_environment(clients, seeded, monkeypatch) -> None:
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    monkeypatch.setenv("ZELLY_CLUSTER", CLUSTER)
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
    assert handler({"service": "storefront", "desired": 3})["details"]["cluster"] == CLUSTER
