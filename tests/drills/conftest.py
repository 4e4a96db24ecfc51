"""Drill tests: one emulator for the module's drills, and the drill CLI run as a user runs it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import yaml

from drills.emulator import MotoServer
from drills.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def run_drill(moto_server, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """``run_drill("p0-b", change=fn)`` runs the scenario (changed by ``fn`` if given) through
    ``python -m drills`` against the shared emulator; reports land in ``tmp_path``."""

    def run(scenario: str, change: Callable[[dict], None] | None = None) -> subprocess.CompletedProcess:
        scenarios = SCENARIO_DIR
        if change is not None:
            data = yaml.safe_load((SCENARIO_DIR / f"{scenario}.yaml").read_text())
            change(data)
            scenarios = tmp_path / "scenarios"
            scenarios.mkdir(exist_ok=True)
            (scenarios / f"{scenario}.yaml").write_text(yaml.safe_dump(data))
        return subprocess.run(
            [sys.executable, "-m", "drills", "run", scenario, "--scenarios-dir", str(scenarios),
             "--report-dir", str(tmp_path), "--endpoint-url", moto_server.endpoint_url],
            cwd=ROOT, capture_output=True, text=True, timeout=120)

    return run
