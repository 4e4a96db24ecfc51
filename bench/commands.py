"""The P0 drill suite and the test suite, each run as the user runs it, several times.

Wall time and CPU time (the command's whole process tree, as reaped) of each run, summarised as
median, min and max (``bench.stats``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from drills.scenario import SCENARIO_DIR, load_scenario

from .stats import Timing, summarise, timed

REPO = Path(__file__).resolve().parent.parent
# As `make test` runs it (the Makefile's test target, after lint).
TEST_COMMAND = [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"]


def time_command(argv: list[str]) -> tuple[dict[str, Any], Timing]:
    """Run ``argv`` from the repository root: its exit code and last output line, and its timing."""
    done, timing = timed(lambda: subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False))
    lines = (done.stdout + done.stderr).strip().splitlines()
    return {"exit_code": done.returncode, "last_line": lines[-1] if lines else ""}, timing


def time_p0_drills(repeats: int) -> dict[str, Any]:
    """``python -m drills run all`` over every P0 scenario, emulator start included."""
    with tempfile.TemporaryDirectory(prefix="bench-drills-") as workdir:
        scenarios = _p0_scenarios_dir(Path(workdir))
        names = sorted(path.stem for path in scenarios.glob("*.yaml"))
        argv = [
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
        runs = [time_command(argv) for _ in range(repeats)]
    return {
        "command": "python -m drills run all (P0 scenarios, target local)",
        "scenarios": names,
        **summarise([timing for _, timing in runs]),
        "all_passed": all(outcome["exit_code"] == 0 for outcome, _ in runs),
        "exit_codes": [outcome["exit_code"] for outcome, _ in runs],
    }


def time_test_suite(repeats: int) -> dict[str, Any]:
    runs = [time_command(TEST_COMMAND) for _ in range(repeats)]
    return {
        "command": "python -m pytest -n 2 -q (make test without its lint)",
        **summarise([timing for _, timing in runs]),
        "all_passed": all(outcome["exit_code"] == 0 for outcome, _ in runs),
        "last_lines": [outcome["last_line"] for outcome, _ in runs],
    }


def _p0_scenarios_dir(workdir: Path) -> Path:
    """A copy of drills/scenarios holding only the P0 scenarios."""
    chosen = workdir / "scenarios"
    chosen.mkdir()
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        if load_scenario(path).severity == "P0":
            shutil.copy(path, chosen / path.name)
    return chosen
