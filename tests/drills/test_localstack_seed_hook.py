"""The LocalStack READY hook and the readiness wait, run here as far as they can be.

No Docker here: the hook runs on the host against the embedded moto server (its LocalStack
health check is the one thing swapped, via SEED_TARGET=local), and the wait runs against a
stand-in of LocalStack's ``/_localstack/init/ready`` endpoint.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Iterator

import boto3
import pytest

from targets.emulator import MotoServer
from tests.support.platform_names import STAGING

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "localstack" / "init" / "ready.d" / "10-seed-platform.sh"


def _load_script(path: Path) -> ModuleType:
    """Import a stand-alone script by its path (localstack/ is a folder of scripts run before the
    project's virtualenv exists, not a package, and an installed ``localstack`` could shadow it)."""
    spec = importlib.util.spec_from_file_location(f"localstack_script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look their module up by name
    spec.loader.exec_module(module)
    return module


wait_ready_script = _load_script(ROOT / "localstack" / "wait_ready.py")
NotReadyError, wait_main = wait_ready_script.NotReadyError, wait_ready_script.main
verdict, wait_ready = wait_ready_script.verdict, wait_ready_script.wait_ready

SEEDED = {
    "completed": True,
    "scripts": [{"stage": "READY", "name": "10-seed-platform.sh", "state": "SUCCESSFUL"}],
}


def run_hook(endpoint: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PROJECT_DIR": str(ROOT),
        "SEED_PYTHON": sys.executable,
        "SEED_TARGET": "local",
        "SEED_ENDPOINT_URL": endpoint,
        **env,
    }
    return subprocess.run(["bash", str(HOOK)], env=environment, capture_output=True, text=True, timeout=120)


def test_the_hook_is_an_executable_bash_script() -> None:
    assert HOOK.read_text(encoding="utf-8").startswith("#!/bin/bash\n")
    assert HOOK.stat().st_mode & stat.S_IXUSR
    assert subprocess.run(["bash", "-n", str(HOOK)], capture_output=True).returncode == 0


@pytest.mark.emulator
def test_the_hook_seeds_the_staging_stand_in_with_the_projects_code(moto_server) -> None:
    try:
        finished = run_hook(moto_server.endpoint_url, GAMEDAY_STACK="staging")
        assert finished.returncode == 0, finished.stderr
        summary = json.loads(finished.stdout.split("\n", 1)[1])
        assert summary["cluster_arn"].endswith(f":cluster/{STAGING.cluster}")
        assert set(summary["status_queue_urls"]) == {"P0", "P1", "P2", "P3"}
        password = _master_password(moto_server.endpoint_url)
        assert password not in finished.stdout + finished.stderr
        again = run_hook(moto_server.endpoint_url, GAMEDAY_STACK="staging")
        assert again.returncode == 1 and again.stderr.count("\n") == 1
        assert again.stderr.startswith("error: seeding staging into ") and "already exists" in again.stderr
    finally:
        MotoServer.reset_at(moto_server.endpoint_url)  # the session's emulator is shared


def _master_password(endpoint: str) -> str:
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    value = secrets.get_secret_value(SecretId=STAGING.aurora.master_secret_id)["SecretString"]
    return json.loads(value)["password"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PROJECT_DIR": "/nonexistent"}, "/nonexistent is not an incident-guardrails checkout"),
        ({"SEED_PYTHON": "false"}, "false cannot import boto3 and yaml"),
    ],
)
def test_the_hook_fails_loudly_before_seeding(env: dict, message: str) -> None:
    finished = run_hook("http://127.0.0.1:9", **env)
    assert finished.returncode == 1 and message in finished.stderr


def test_seed_on_local_needs_an_endpoint(capsys) -> None:
    from drills.cli import main

    assert main(["seed", "--target", "local"]) == 2
    assert capsys.readouterr().err.startswith("error: seed --target local needs --endpoint-url")


@pytest.mark.parametrize(
    "status, ready",
    [
        (None, False),
        ({"completed": False, "scripts": [{"name": "10-seed-platform.sh", "state": "RUNNING"}]}, False),
        (SEEDED, True),
    ],
)
def test_verdict_waits_until_the_seed_hook_succeeded(status, ready: bool) -> None:
    assert verdict(status, "10-seed-platform.sh") is ready


@pytest.mark.parametrize(
    "status, message",
    [
        (
            {"completed": True, "scripts": [{"name": "10-seed-platform.sh", "state": "ERROR"}]},
            "READY hook\\(s\\) failed: 10-seed-platform.sh",
        ),
        (
            {"completed": True, "scripts": []},
            "completed without 10-seed-platform.sh: is localstack/init/ready.d mounted",
        ),
    ],
)
def test_verdict_stops_waiting_when_waiting_cannot_help(status, message: str) -> None:
    with pytest.raises(NotReadyError, match=message):
        verdict(status, "10-seed-platform.sh")


class _FakeLocalStack(http.server.BaseHTTPRequestHandler):
    answers: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        assert self.path == "/_localstack/init/ready"
        body = json.dumps(self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def fake_localstack() -> Iterator[tuple[str, type]]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _FakeLocalStack)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _FakeLocalStack
    finally:
        server.shutdown()
        server.server_close()


def test_wait_polls_until_seeded(fake_localstack) -> None:
    url, handler = fake_localstack
    handler.answers = [{"completed": False, "scripts": []}, SEEDED]
    wait_ready(url, timeout=10, poll=0.01)
    assert handler.answers == [SEEDED]


def test_wait_reports_a_failed_hook_in_one_line(fake_localstack, capsys) -> None:
    url, handler = fake_localstack
    handler.answers = [{"completed": True, "scripts": [{"name": "10-seed-platform.sh", "state": "ERROR"}]}]
    assert wait_main(["--endpoint-url", url, "--timeout", "10"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: LocalStack READY hook(s) failed")


def test_wait_gives_up_when_nothing_answers() -> None:
    with pytest.raises(NotReadyError, match="not ready after 0s .*Connection refused"):
        wait_ready("http://127.0.0.1:9", timeout=0.2, poll=0.05)
