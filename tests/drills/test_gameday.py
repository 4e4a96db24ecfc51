"""Game-day mode, driven by a test that plays the responders."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import boto3
import pytest

from runbook_actions.cli import main as runbook_actions_main
from tests.support.drill_process import start_drill
from tests.support.platform_names import CLUSTER, PRODUCTION

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parents[2]
SERVICES = PRODUCTION.service_names


def _start_gameday(moto_server, tmp_path: Path, minutes: float) -> subprocess.Popen:
    return start_drill(
        [
            "gameday",
            "p0-a",
            "--endpoint-url",
            moto_server.endpoint_url,
            "--state-dir",
            str(tmp_path),
            "--report-dir",
            str(tmp_path),
            "--poll-seconds",
            "0.2",
            "--time-limit-minutes",
            str(minutes),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def _cli(module: str, *args: str, endpoint: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "ap-south-1",
    }
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _action(name: str, *args: str, endpoint: str) -> int:
    """A responder's runbook action, through the command line's own entry point in this process:
    what the game day sees is the platform they change (the action's command line is tested in
    tests/runbook_actions; a process per action cost ~1 s of CPU each, six per game day)."""
    with redirect_stdout(io.StringIO()):
        return runbook_actions_main([name, "--cluster", CLUSTER, *args, "--endpoint-url", endpoint])


def test_responders_acknowledge_and_restore(moto_server, tmp_path: Path) -> None:
    process = _start_gameday(moto_server, tmp_path, minutes=2)
    _wait_for(tmp_path / "gameday.json", process)
    acked = _cli(
        "drills",
        "ack",
        "--state-dir",
        str(tmp_path),
        "--by",
        "test-oncall",
        endpoint=moto_server.endpoint_url,
    )
    assert acked.returncode == 0 and "as test-oncall" in acked.stdout
    for service in SERVICES:
        assert _action("rollback-service", "--service", service, endpoint=moto_server.endpoint_url) == 0
    assert (
        _action(
            "scale-service", "--service", "fastify-nova", "--desired", "4", endpoint=moto_server.endpoint_url
        )
        == 0
    )
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 0, stderr
    assert "acknowledged: yes | recovered: yes" in stderr and "T+03:" in stderr
    report = json.loads((tmp_path / "p0-a.json").read_text())
    events = [s["name"] for s in report["timeline"] if s["phase"] == "response"]
    assert "acknowledged by test-oncall" in events and "steady state is back" in events
    assert report["sla"]["within"] and report["sla"]["time_to_recover_s"] >= 180
    assert not (tmp_path / "gameday.json").exists()


def test_without_responders_the_game_day_fails_and_still_undoes_the_fault(
    moto_server, tmp_path: Path
) -> None:
    process = _start_gameday(moto_server, tmp_path, minutes=0.02)
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 1, stderr
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["status"] == "failed" and report["reason"] == "nobody acknowledged the page"
    failed = {c["name"] for c in report["checks"] if c["status"] == "failed"}
    assert {"acknowledged within the SLA", "steady state restored by the responders"} <= failed
    ecs = boto3.client(
        "ecs",
        endpoint_url=moto_server.endpoint_url,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    services = ecs.describe_services(cluster=CLUSTER, services=list(SERVICES))["services"]
    assert {s["taskDefinition"].rsplit("/", 1)[-1].split(":")[1] for s in services} == {"3"}
    assert {s["serviceName"]: s["desiredCount"] for s in services}["fastify-nova"] == 4


def test_ack_without_a_running_game_day_is_a_clear_error(tmp_path: Path) -> None:
    finished = _cli("drills", "ack", "--state-dir", str(tmp_path), endpoint="http://127.0.0.1:9")
    assert finished.returncode == 2
    assert finished.stderr.strip() == f"error: no game day is running (no {tmp_path}/gameday.json)"
