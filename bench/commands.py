"""Wall time of the P0 drill suite and of the test suite, each run as the user runs it."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from drills.scenario import SCENARIO_DIR, load_scenario

REPO = Path(__file__).resolve().parent.parent


def time_command(argv: list[str]) -> dict[str, Any]:
    """Run ``argv`` from the repository root; wall time, exit code and its last output line."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = (done.stdout + done.stderr).strip().splitlines()
    return {"wall_s": round(wall, 2), "exit_code": done.returncode, "last_line": lines[-1] if lines else ""}


def time_p0_drills(repeats: int) -> dict[str, Any]:
    """``python -m drills run`` over every P0 scenario, emulator start included; median of runs."""
    with tempfile.TemporaryDirectory(prefix="bench-drills-") as workdir:
        scenarios = _p0_scenarios_dir(Path(workdir))
        names = sorted(path.stem for path in scenarios.glob("*.yaml"))
        runs = [
            time_command(
                [
                    sys.executable,
                    "-m",
                    "drills",
                    "run",
                    "all",
                    "--scenarios-dir",
                    str(scenarios),
                    "--report-dir",
                    str(Path(workdir) / "reports"),
                ]
            )
            for _ in range(repeats)
        ]
    return {
        "command": "python -m drills run all (P0 scenarios, target local)",
        "scenarios": names,
        "median_wall_s": statistics.median(run["wall_s"] for run in runs),
        "all_passed": all(run["exit_code"] == 0 for run in runs),
        "runs": runs,
    }


def time_test_suite() -> dict[str, Any]:
    run = time_command([sys.executable, "-m", "pytest", "-q"])
    return {"command": "python -m pytest -q", **run}


def _p0_scenarios_dir(workdir: Path) -> Path:
    """A copy of drills/scenarios holding only the P0 scenarios (every one, today)."""
    chosen = workdir / "scenarios"
    chosen.mkdir()
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        if load_scenario(path).severity == "P0":
            shutil.copy(path, chosen / path.name)
    return chosen
