"""The runbook report: one line per block, a summary, and no secret in the JSON file."""

from __future__ import annotations

import json

from drills.redaction import Redactor
from runbook_check.report import block_line, write_report
from runbook_check.results import BlockResult, RunbookResult

SECRET = "s3cr3t-Pa55word-value"


def result(*blocks: BlockResult) -> RunbookResult:
    return RunbookResult(
        "docs/runbook.md", "production", "local", "2026-11-26T03:00:00+00:00", 1.5, list(blocks)
    )


def test_lines_and_summary_name_every_status():
    run = result(
        BlockResult("P0-A", 1, 80, "not-covered", "needs the VPN"),
        BlockResult("P0-A", 2, 92, "failed", "exit 255", 0.41),
        BlockResult("P0-A", 3, 100, "not-run", "block 2 of this procedure failed"),
        BlockResult("P1-A", 1, 300, "passed", "", 0.5, ["ok eq True: ok"]),
    )
    assert block_line(run.blocks[1]) == "FAILED      P0-A · block 2 (line 92, 0.41s) — exit 255"
    assert run.summary() == ("1 passed, 1 failed, 1 not covered, 1 not run (after a failure before them)")
    assert not run.passed


def test_a_secret_that_reaches_the_report_is_redacted_and_fails_the_run(tmp_path):
    run = result(BlockResult("P0-C", 1, 287, "passed", f"rotated to {SECRET}"))
    path = write_report(run, tmp_path, Redactor([SECRET]))
    text = path.read_text()
    assert SECRET not in text and "[REDACTED]" in text
    report = json.loads(text)
    assert report["passed"] is False
    assert report["blocks"][-1]["reason"] == "a secret value reached the report (redacted in the file)"


def test_a_clean_report_is_written_whole(tmp_path):
    run = result(BlockResult("P1-A", 1, 300, "passed", "", 0.5, ["ok eq True: ok"]))
    report = json.loads(write_report(run, tmp_path, Redactor([SECRET])).read_text())
    assert report["summary"] == {"passed": 1, "failed": 0, "not_covered": 0, "not_run": 0}
    assert report["blocks"][0]["checks"] == ["ok eq True: ok"]
