"""A secret that reaches a report, the post-mortem or the progress output fails the drill."""

from __future__ import annotations

import io
import json
from pathlib import Path

from drills.journal import CheckRecord, Journal, StepRecord, utc_now
from drills.progress import ProgressPrinter
from drills.redaction import REDACTED, Redactor
from drills.report import SECRET_CHECK, write_reports
from drills.scenario import load_scenarios

SECRET = "s3cr3t-Value-That-Must-Not-Leak"


def _journal(detail: str) -> Journal:
    journal = Journal(
        scenario="p0-a",
        title="t",
        severity="P0",
        guide_section="P0-A",
        stack="production",
        target={"name": "local"},
        run_id="r",
        incident_id="i",
    )
    journal.timeline.append(StepRecord("rotate", "procedure", "action", "x", utc_now(), detail=detail))
    journal.checks.append(CheckRecord("rotate", "procedure", "passed", "ok"))
    journal.finish()
    return journal


def test_clean_run_records_a_passing_scan(tmp_path: Path) -> None:
    journal = _journal("rotated")
    write_reports(journal, load_scenarios()["p0-a"], tmp_path, Redactor([SECRET]))
    report = json.loads((tmp_path / "p0-a.json").read_text())
    check = next(c for c in report["checks"] if c["name"] == SECRET_CHECK)
    assert check["status"] == "passed" and report["passed"] is True


def test_leak_into_report_fails_the_drill_and_is_redacted(tmp_path: Path) -> None:
    journal = _journal(f"new password is {SECRET}")
    write_reports(journal, load_scenarios()["p0-a"], tmp_path, Redactor([SECRET]))
    text = (tmp_path / "p0-a.json").read_text() + (tmp_path / "p0-a-postmortem.md").read_text()
    assert SECRET not in text and REDACTED in text
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["passed"] is False and report["status"] == "failed"
    check = next(c for c in report["checks"] if c["name"] == SECRET_CHECK)
    assert check["status"] == "failed" and "report" in check["detail"] and "post-mortem" in check["detail"]


def test_leak_into_progress_output_is_redacted_and_fails(tmp_path: Path) -> None:
    redactor = Redactor([SECRET])
    stream = io.StringIO()
    journal = _journal("fine")
    ProgressPrinter(stream, redactor)(
        journal, StepRecord(f"echo {SECRET}", "procedure", "action", "x", utc_now())
    )
    assert SECRET not in stream.getvalue() and REDACTED in stream.getvalue()
    write_reports(journal, load_scenarios()["p0-a"], tmp_path, redactor)
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["passed"] is False
    assert "progress output" in next(c for c in report["checks"] if c["name"] == SECRET_CHECK)["detail"]


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = Redactor(["admin", SECRET])
    assert redactor.known == 1
    assert redactor.redact("user admin", "x") == "user admin"
