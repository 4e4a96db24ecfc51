"""The same action through the command line and the Lambda handler."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from moto import mock_aws

from runbook_actions import all_actions
from runbook_actions.cli import main
from runbook_actions.clients import AwsClients
from runbook_actions.exceptions import InvalidArgumentError
from runbook_actions.lambda_handler import handler, parse_event
from targets.seed import seed_platform
from tests.support.platform_names import CLUSTER


def test_help_lists_every_action(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name in ("triage", "rollback-service", "scale-service"):
        assert name in out
    assert set(all_actions()) >= {"triage", "rollback-service", "scale-service"}


def test_cli_prints_one_json_object(clients, seeded, capsys) -> None:
    code = main(["scale-service", "--cluster", CLUSTER, "--service", "storefront", "--desired", "5"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert {k: result[k] for k in ("action", "ok", "changed", "dry_run")} == {
        "action": "scale-service",
        "ok": True,
        "changed": True,
        "dry_run": False,
    }
    assert result["details"]["previous_desired"] == 3


def test_cli_dry_run_flag(clients, seeded, capsys) -> None:
    code = main(
        ["scale-service", "--cluster", CLUSTER, "--service", "storefront", "--desired", "5", "--dry-run"]
    )
    assert code == 0 and json.loads(capsys.readouterr().out)["dry_run"] is True
    assert (
        clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0]["desiredCount"]
        == 3
    )


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (
            ["scale-service", "--cluster", CLUSTER, "--service", "storefront", "--desired", "-2"],
            2,
            "error: --desired: -2 is below the minimum 0",
        ),
        (
            ["scale-service", "--service", "storefront", "--desired", "2"],
            2,
            "error: --cluster is required (or set ZELLY_CLUSTER)",
        ),
        (
            ["rollback-service", "--cluster", CLUSTER, "--service", "ghost"],
            1,
            f"error: unknown service(s) in cluster {CLUSTER}: ghost",
        ),
        (["no-such-action"], 2, "error: argument <action>: invalid choice: 'no-such-action'"),
        (["triage", "--cluster", CLUSTER, "--bogus"], 2, "error: unrecognized arguments: --bogus"),
    ],
)
def test_cli_errors_are_one_line(clients, seeded, capsys, argv, code, message) -> None:
    assert main(argv) == code
    captured = capsys.readouterr()
    assert captured.err.strip().count("\n") == 0
    assert captured.err.startswith(message)
    assert json.loads(captured.out)["ok"] is False
    assert "Traceback" not in captured.err


def test_lambda_handler_runs_the_configured_action(clients, seeded, monkeypatch) -> None:
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    monkeypatch.setenv("ZELLY_CLUSTER", CLUSTER)
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
    result = handler({"service": "orion-backend", "desired": 3})
    assert (result["action"], result["changed"], result["details"]["previous_desired"]) == (
        "scale-service",
        True,
        2,
    )


def test_lambda_handler_raises_on_failure_so_the_failure_destination_gets_it(
    clients, seeded, monkeypatch
) -> None:
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
    with pytest.raises(InvalidArgumentError, match="--desired: -1 is below the minimum 0"):
        handler({"cluster": CLUSTER, "service": "orion-backend", "desired": -1})


@pytest.mark.parametrize(
    "event, env, message",
    [
        (["not", "a", "dict"], None, "event must be a JSON object"),
        ({"service": "x"}, None, "no action named"),
        ({"action": "triage"}, "scale-service", "this function runs 'scale-service', not 'triage'"),
        ({"dry_run": "yes"}, "triage", "dry_run: expected true or false"),
    ],
)
def test_lambda_event_errors(monkeypatch, event, env, message) -> None:
    if env:
        monkeypatch.setenv("RUNBOOK_ACTION", env)
    else:
        monkeypatch.delenv("RUNBOOK_ACTION", raising=False)
    with pytest.raises(InvalidArgumentError, match=message):
        parse_event(event)


def test_unknown_event_keys_are_rejected(clients, seeded, monkeypatch) -> None:
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
    with pytest.raises(InvalidArgumentError, match="unknown argument 'replicas'"):
        handler({"cluster": CLUSTER, "service": "orion-backend", "replicas": 3})


def test_runbook_actions_import_only_stdlib_and_boto3() -> None:
    import ast
    import sys
    from pathlib import Path

    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "runbook_actions"}
    for path in Path("runbook_actions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path} imports {roots - allowed}"


# int() and re's \d take any Unicode decimal digit: "٣" would scale a service to 3.
NON_ASCII_NUMBERS = [
    pytest.param("\u0663", id="arabic-indic-3"),
    pytest.param("\u06f3", id="extended-arabic-indic-3"),
    pytest.param("\u0969", id="devanagari-3"),
    pytest.param("\u09e9", id="bengali-3"),
    pytest.param("\uff13", id="fullwidth-3"),
    pytest.param("\u00b3", id="superscript-3"),
    pytest.param("\u2083", id="subscript-3"),
    pytest.param("\U0001d7d1", id="mathematical-bold-3"),
    pytest.param("1\u0662", id="ascii-then-arabic-indic"),
    pytest.param("\u00a03", id="no-break-space-then-3"),
    pytest.param("\u30003", id="ideographic-space-then-3"),
]


def _desired_count(clients) -> int:
    return clients.ecs.describe_services(cluster=CLUSTER, services=["storefront"])["services"][0][
        "desiredCount"
    ]


@pytest.mark.parametrize("desired", NON_ASCII_NUMBERS)
class TestIntegersAreAsciiDigitsOnly:
    """22 refusals share one seeded in-process account (a seed costs ~0.24 s of CPU, a refusal
    nothing); a case that scaled the service puts it back afterwards, so only it fails."""

    @pytest.fixture(scope="class")
    def account(self, shared_clients, platform) -> Iterator[AwsClients]:
        with mock_aws():
            seed_platform(shared_clients, platform)
            yield shared_clients

    @pytest.fixture
    def clients(self, account) -> Iterator[AwsClients]:
        yield account
        if _desired_count(account) != 3:
            account.ecs.update_service(cluster=CLUSTER, service="storefront", desiredCount=3)

    def test_cli(self, clients, capsys, desired) -> None:
        code = main(["scale-service", "--cluster", CLUSTER, "--service", "storefront", "--desired", desired])
        captured = capsys.readouterr()
        assert code == 2 and "--desired: expected a whole number" in captured.err
        assert _desired_count(clients) == 3

    def test_lambda(self, clients, monkeypatch, desired) -> None:
        monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
        monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
        with pytest.raises(InvalidArgumentError, match="--desired: expected a whole number"):
            handler({"cluster": CLUSTER, "service": "storefront", "desired": desired})
        assert _desired_count(clients) == 3


@pytest.mark.parametrize("desired, expected", [("3", 3), (" 7 ", 7), ("+2", 2), ("0", 0)])
def test_ascii_integers_are_still_accepted(clients, seeded, monkeypatch, desired, expected) -> None:
    monkeypatch.setenv("RUNBOOK_ACTION", "scale-service")
    monkeypatch.setattr("runbook_actions.lambda_handler._clients", clients)
    result = handler({"cluster": CLUSTER, "service": "storefront", "desired": desired})
    assert result["details"]["desired"] == expected
