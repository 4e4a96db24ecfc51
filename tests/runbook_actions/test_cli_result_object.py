"""One result object for success and failure, and exit 2 for bad input wherever it is found (issue 14).

Every action, given one bad input on the command line, exits 2 and prints the same object a
success prints (``action, ok, changed, dry_run, details, error``): its own name, ``ok`` false,
``changed`` false, the ``--dry-run`` it was given, and a one-line error, also on stderr. The
refusals checked in an action's own code (restore-cluster's ``--target`` equal to ``--source``,
post-status to another severity's topic) are bad input too, not exit 1.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from runbook_actions import all_actions, get_action
from runbook_actions.action import ActionResult
from runbook_actions.cli import main
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError
from runbook_actions.lambda_handler import handler
from tests.support.action_cases import DB, INCIDENT, RESTORED, default_case
from tests.support.bad_input import cli_arguments
from tests.support.call_recording import RecordingClients

ACTIONS = sorted(all_actions())
KEYS = ["action", "ok", "changed", "dry_run", "details", "error"]
ENVIRONMENT = sorted({p.env for a in all_actions().values() for p in a.params if p.env} | {"RUNBOOK_ACTION"})

# Bad input found in the action's own code, after the parameters were each valid.
IN_THE_ACTION: dict[str, tuple[dict[str, Any], str]] = {
    "restore-cluster": (
        {"source": DB, "target": DB, "incident_id": INCIDENT, "latest": True},
        "is the source cluster",
    ),
    "post-status": ({"topic_arn": "arn:aws:sns:ap-south-1:123456789012:zelly-status-p1"}, "is the P1 topic"),
}


def valid_arguments(name: str) -> dict[str, Any]:
    if name == "restore-cluster":
        return {"source": DB, "target": RESTORED, "incident_id": INCIDENT, "latest": True}
    return default_case(name).arguments(None)


def bad_input(name: str) -> tuple[dict[str, Any], str]:
    """The action's arguments with one thing wrong, and what the error must say."""
    if name in IN_THE_ACTION:
        changed, says = IN_THE_ACTION[name]
        arguments = {**valid_arguments(name), **changed}
        if name == "post-status":
            arguments.pop("topic_prefix", None)
        return arguments, says
    missing = next(p for p in get_action(name).params if p.required)
    return {k: v for k, v in valid_arguments(name).items() if k != missing.name}, missing.flag


@pytest.fixture
def no_calls(moto_backend, monkeypatch) -> RecordingClients:
    recording = RecordingClients("ap-south-1")
    monkeypatch.setattr("runbook_actions.cli.AwsClients", lambda **_: recording)
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", recording)
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    recording.take()
    return recording


def the_object(out: str) -> dict[str, Any]:
    result = json.loads(out)
    assert list(result) == KEYS, result
    return result


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize("name", ACTIONS)
def test_bad_input_exits_2_with_the_result_object(name, dry_run, no_calls, capsys) -> None:
    arguments, says = bad_input(name)
    argv = [name, *cli_arguments(arguments, get_action(name).params), *(["--dry-run"] if dry_run else [])]
    code = main(argv)
    out, err = capsys.readouterr()
    result = the_object(out)
    assert code == 2, err
    assert result == {
        "action": name,
        "ok": False,
        "changed": False,
        "dry_run": dry_run,
        "details": {},
        "error": result["error"],
    }
    assert says in result["error"] and "\n" not in result["error"]
    assert err == f"error: {result['error']}\n"
    assert no_calls.take() == set()


@pytest.mark.parametrize("name", sorted(IN_THE_ACTION))
def test_bad_input_found_in_the_action_is_invalid_argument_in_lambda(
    name, no_calls, monkeypatch, caplog
) -> None:
    arguments, says = bad_input(name)
    monkeypatch.setenv("RUNBOOK_ACTION", name)
    with caplog.at_level(logging.ERROR, logger="runbook_actions.lambda_handler"):
        with pytest.raises(InvalidArgumentError, match=says):
            handler(arguments)
    logged = json.loads(caplog.records[-1].getMessage())
    assert list(logged) == KEYS and logged["action"] == name and logged["ok"] is False


@pytest.mark.parametrize(
    "argv, action, dry_run",
    [
        pytest.param(
            ["scale-service", "--dry-run", "--replicas", "2"], "scale-service", True, id="unknown-flag"
        ),
        pytest.param(["triage", "--since-minutes"], "triage", False, id="flag-without-value"),
        pytest.param(["no-such-action"], None, False, id="unknown-action"),
        pytest.param(["--bogus"], None, False, id="no-action"),
    ],
)
def test_an_argparse_error_names_the_action_once_known(argv, action, dry_run, no_calls, capsys) -> None:
    code = main(argv)
    result = the_object(capsys.readouterr().out)
    assert code == 2
    assert (result["action"], result["ok"], result["changed"], result["dry_run"]) == (
        action,
        False,
        False,
        dry_run,
    )
    assert isinstance(result["error"], str) and result["error"]


def test_a_failure_of_the_run_exits_1_with_the_same_object(no_calls, monkeypatch, capsys) -> None:
    def fails(*args: Any, **kwargs: Any) -> ActionResult:
        raise NotFoundError("service ghost does not exist", changed=True)

    monkeypatch.setattr("runbook_actions.cli.invoke", fails)
    code = main(["scale-service", "--cluster", "c", "--service", "ghost", "--desired", "1"])
    result = the_object(capsys.readouterr().out)
    assert code == 1
    assert (
        result["ok"] is False
        and result["changed"] is True
        and result["error"] == "service ghost does not exist"
    )


def test_an_unfinished_result_exits_1_with_a_one_line_error(no_calls, monkeypatch, capsys) -> None:
    unfinished = ActionResult(
        "snapshot-cluster", ok=False, changed=True, dry_run=False, details={"note": "still creating"}
    )
    monkeypatch.setattr("runbook_actions.cli.invoke", lambda *a, **k: unfinished)
    code = main(["snapshot-cluster", "--db-cluster", DB])
    out, err = capsys.readouterr()
    result = the_object(out)
    assert code == 1 and result["error"] == "still creating" and err == "error: still creating\n"


def test_success_has_error_null(no_calls, monkeypatch, capsys) -> None:
    done = ActionResult("scale-service", ok=True, changed=True, dry_run=False, details={"previous": 2})
    monkeypatch.setattr("runbook_actions.cli.invoke", lambda *a, **k: done)
    assert main(["scale-service", "--cluster", "c", "--service", "s", "--desired", "1"]) == 0
    result = the_object(capsys.readouterr().out)
    assert result["error"] is None and result["ok"] is True


def test_an_interruption_is_130_with_the_object(no_calls, monkeypatch, capsys) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> ActionResult:
        raise KeyboardInterrupt

    monkeypatch.setattr("runbook_actions.cli.invoke", interrupted)
    assert main(["triage", "--cluster", "c", "--dry-run"]) == 130
    out, err = capsys.readouterr()
    result = the_object(out)
    assert (result["action"], result["ok"], result["dry_run"], result["error"]) == (
        "triage",
        False,
        True,
        "interrupted",
    )
    assert "Traceback" not in err
