"""Print one line per block and a summary; write the JSON report, secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from drills.files import write_atomically
from drills.redaction import Redactor

from .document import Procedure
from .results import FAILED, NOT_COVERED, NOT_RUN, PASSED, BlockResult, RunbookResult

REPORT_NAME = "runbook.json"
_MARK = {PASSED: "passed", FAILED: "FAILED", NOT_COVERED: "not covered", NOT_RUN: "not run"}


def block_line(result: BlockResult) -> str:
    reason = f" — {result.reason}" if result.reason else ""
    return (
        f"{_MARK[result.status]:<11} {result.section} · block {result.number} "
        f"(line {result.line}, {result.duration_s:.2f}s){reason}"
    )


def print_procedure(
    procedure: Procedure, results: list[BlockResult], stream: TextIO, redactor: Redactor
) -> None:
    lines = [f"== {procedure.title}"] + [block_line(result) for result in results]
    print(redactor.redact("\n".join(lines), "runbook output"), file=stream, flush=True)


def write_report(result: RunbookResult, report_dir: Path, redactor: Redactor) -> Path:
    """Write reports/runbook.json; a secret that reached it is redacted and fails the run."""
    text = json.dumps(result.to_dict(), indent=2) + "\n"
    if redactor.contains_secret(text):
        result.blocks.append(
            BlockResult("report", 0, 0, FAILED, "a secret value reached the report (redacted in the file)")
        )
        text = json.dumps(result.to_dict(), indent=2) + "\n"
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / REPORT_NAME
    write_atomically(path, redactor.redact(text, "runbook report"))
    return path
