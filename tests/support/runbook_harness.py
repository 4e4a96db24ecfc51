"""Run the runbook checker as CI runs it: ``python -m runbook_check <file>`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / "docs" / "runbook.md"


@dataclass
class CheckerRun:
    process: subprocess.CompletedProcess
    report: dict[str, Any]

    def block(self, section_prefix: str, number: int) -> dict[str, Any]:
        for block in self.report["blocks"]:
            if block["section"].startswith(section_prefix) and block["number"] == number:
                return block
        raise AssertionError(f"no block {number} in a section starting {section_prefix!r}")


def run_checker(runbook: Path, report_dir: Path, *extra: str) -> CheckerRun:
    process = subprocess.run(
        [sys.executable, "-m", "runbook_check", str(runbook), "--report-dir", str(report_dir), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report_path = report_dir / "runbook.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return CheckerRun(process, report)


def sections(text: str, *titles: str) -> str:
    """The runbook's preamble and the H2 sections whose titles start with one of ``titles``."""
    parts = text.split("\n## ")
    chosen = [parts[0]] + ["## " + part for part in parts[1:] if part.startswith(titles)]
    return "\n".join(chosen)
