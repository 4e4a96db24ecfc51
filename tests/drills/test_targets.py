"""Target selection: LocalStack's missing services are said up front, not deep inside a step."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from drills.cli import main
from drills.scenario import load_scenarios
from targets.emulator import free_port
from targets.target import local_target

COMMUNITY_HEALTH = {
    "services": {
        "logs": "available",
        "sns": "running",
        "sqs": "available",
        "secretsmanager": "available",
        "ssm": "available",
        "ecs": "disabled",
        "events": "available",
    }
}


@pytest.fixture
def fake_localstack_health():
    """Answers only /_localstack/health, as LocalStack community does, listing no ECS."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = json.dumps(COMMUNITY_HEALTH).encode()
            self.send_response(200 if self.path == "/_localstack/health" else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_localstack_without_ecs_is_reported_not_runnable(
    fake_localstack_health, tmp_path: Path, capsys
) -> None:
    code = main(
        [
            "run",
            "p0-a",
            "--target",
            "localstack",
            "--endpoint-url",
            fake_localstack_health,
            "--report-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["status"] == "not-runnable" and report["passed"] is False
    assert report["reason"] == (
        "target localstack lacks ecs, elasticloadbalancing, which this scenario's steps call"
    )
    assert report["timeline"] == []
    assert "NOT-RUNNABLE" in capsys.readouterr().err


def test_unreachable_localstack_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code = main(
        [
            "run",
            "p0-a",
            "--target",
            "localstack",
            "--endpoint-url",
            f"http://127.0.0.1:{free_port()}",
            "--report-dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: LocalStack is not answering at http://127.0.0.1:")
    assert not (tmp_path / "p0-a.json").exists()


def test_aws_target_on_the_production_stack_is_refused_before_any_aws_call(capsys) -> None:
    # More refusals (allowlist, confirmation, production accounts): tests/safety/.
    assert main(["run", "p0-a", "--target", "aws"]) == 2
    assert capsys.readouterr().err == (
        "error: refused: stack 'production' is marked production "
        "(production: true); drills inject faults only into "
        "non-production stacks\n"
    )


def test_scenario_services_match_the_steps() -> None:
    needed = load_scenarios()["p0-a"].services_needed()
    assert needed == {"ecs", "logs", "elasticloadbalancing", "sns", "sqs", "ssm"}
    assert local_target("http://x").missing_services(needed) == []
