"""The P0-A drill end to end on the embedded emulator, and with remediation broken on purpose."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parents[2]


# run_drills without --endpoint-url: the drill starts and stops its own embedded emulator, as
# `make drill` does. Only the tests of that default path use it (the run end to end, the server
# gone afterwards, the command line); the others run on the shared emulator (run_drill).
def run_drills(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drills", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One ``drills run p0-a`` as `make drill` runs it (its own emulator), for the two tests of
    that run: what it reports and that its emulator is gone afterwards (a drill of ~1 s of CPU
    and an emulator start each, when each test ran its own)."""
    report_dir = tmp_path_factory.mktemp("p0a-embedded")
    return run_drills("run", "p0-a", "--report-dir", str(report_dir)), report_dir


def test_p0a_passes_end_to_end_and_writes_reports(embedded_run) -> None:
    finished, tmp_path = embedded_run
    assert finished.returncode == 0, finished.stderr
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert (report["scenario"], report["severity"], report["passed"]) == ("p0-a", "P0", True)
    assert report["target"]["name"] == "local"
    phases = [step["phase"] for step in report["timeline"]]
    assert (
        phases.index("steady_state")
        < phases.index("faults")
        < phases.index("procedure")
        < phases.index("verify")
    )
    procedure = [s["ref"] for s in report["timeline"] if s["phase"] == "procedure"]
    assert procedure[:2] == ["post-status", "post-status"] and procedure[-1] == "post-status"
    remediation = [ref for ref in procedure if ref != "post-status"]
    assert remediation[:2] == ["triage", "triage"] and remediation[-1] == "scale-service"
    assert all(
        {"name", "phase", "start", "end", "duration_s", "status", "detail"} <= set(s)
        for s in report["timeline"]
    )
    rollbacks = [s for s in report["timeline"] if s["ref"] == "rollback-service" and s["result"]["changed"]]
    assert {s["result"]["details"]["to"].split(":")[1] for s in rollbacks} == {"3"}
    assert report["undo"] and all(u["status"] == "ok" for u in report["undo"])
    # moto cannot schedule tasks or health-check targets: those checks are not covered, not passed.
    not_covered = {c["name"] for c in report["not_covered"]}
    assert "every service runs its desired tasks" in not_covered
    assert all(c["status"] != "passed" for c in report["checks"] if c["name"] in not_covered)
    postmortem = (tmp_path / "p0-a-postmortem.md").read_text()
    assert postmortem.startswith("# Incident Post-Mortem: All services returning 503")
    assert "**Severity:** P0" in postmortem and "| Time | Event |" in postmortem
    assert "[procedure] roll back fastify-nova: ok" in postmortem
    assert "[p0-a] procedure" in finished.stderr  # progress is shown as it runs


def _roll_back_to_the_oldest_revision(data: dict) -> None:
    # A responder who follows "revision - 1" style guesses lands on an old revision.
    step = next(s for s in data["procedure"] if s.get("action") == "rollback-service")
    step["args"]["to_revision"] = 1


def _skip_the_scale_check(data: dict) -> None:
    data["procedure"] = [s for s in data["procedure"] if s.get("action") != "scale-service"]


@pytest.mark.parametrize(
    "break_step, caught",
    [
        (
            _roll_back_to_the_oldest_revision,
            "runs fastify-nova:1 (zelly/fastify-nova:1.0.0), the known-good revision is fastify-nova:3",
        ),
        (_skip_the_scale_check, "fastify-nova desired 1, expected 4"),
    ],
)
def test_broken_remediation_fails_the_drill(run_drill, tmp_path: Path, break_step, caught: str) -> None:
    finished = run_drill.in_process("p0-a", change=break_step)
    assert finished.returncode == 1, finished.stderr
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["passed"] is False and report["status"] == "failed"
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert any(caught in c["detail"] for c in failed), failed
    assert "## Contributing Factors" in (tmp_path / "p0-a-postmortem.md").read_text()


def test_emulator_is_stopped_after_the_run(embedded_run) -> None:
    finished, tmp_path = embedded_run
    endpoint = json.loads((tmp_path / "p0-a.json").read_text())["target"]["endpoint_url"]
    port = urlparse(endpoint).port
    assert finished.returncode == 0
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "moto server still listening"


def test_list_and_unknown_scenario() -> None:
    listed = run_drills("list")
    assert listed.returncode == 0 and listed.stdout.startswith("p0-a     P0  P0-A")
    unknown = run_drills("run", "p9-z")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "error: unknown scenario 'p9-z' (scenarios: "
        + ", ".join(line.split()[0] for line in listed.stdout.splitlines())
        + ", all)"
    )
