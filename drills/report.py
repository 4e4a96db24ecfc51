"""Write a run's JSON report and its post-mortem draft (the guide's template, filled in)."""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

from .exceptions import DrillError
from .files import write_atomically
from .journal import CHECK_FAILED, CHECK_NOT_COVERED, CHECK_PASSED, CheckRecord, Journal
from .junit import render_junit
from .redaction import Redactor
from .scenario import Scenario

SECRET_CHECK = "no secret value in the report, post-mortem or output"


def check_report_dir(path: Path) -> None:
    """Raise DrillError unless reports can be written into ``path`` (created if missing).

    Called before a target is opened, so a bad ``--report-dir`` is refused before anything is
    injected rather than after the drill. Permission bits do not stop root, so the last word is
    a real write: a temporary file created and removed in the folder.
    """
    if path.exists() and not path.is_dir():
        raise DrillError(f"report folder {path} is a file; give --report-dir a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied")
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise DrillError(f"report folder {path} is not writable ({reason}); give --report-dir "
                         "a folder you can write to") from None


def write_reports(journal: Journal, scenario: Scenario, report_dir: Path,
                  redactor: Redactor) -> list[Path]:
    """Write both reports with every known secret redacted; a redaction fails the drill."""
    _record_secret_check(journal, scenario, redactor)
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / f"{journal.scenario}.json"
    md_path = report_dir / f"{journal.scenario}-postmortem.md"
    junit_path = report_dir / f"{journal.scenario}.junit.xml"
    texts = _render(journal, scenario)
    write_atomically(json_path, redactor.redact(texts[0], "report"))
    write_atomically(md_path, redactor.redact(texts[1], "post-mortem"))
    write_atomically(junit_path, redactor.redact(render_junit(journal), "junit report"))
    return [json_path, md_path, junit_path]


def _render(journal: Journal, scenario: Scenario) -> tuple[str, str]:
    return (json.dumps(journal.to_dict(), indent=2, default=str) + "\n",
            render_postmortem(journal, scenario))


def _record_secret_check(journal: Journal, scenario: Scenario, redactor: Redactor) -> None:
    places = set(redactor.hits)
    for text, where in zip(_render(journal, scenario), ("report", "post-mortem")):
        if redactor.contains_secret(text):
            places.add(where)
    places = sorted(places)
    if places:
        detail = f"a secret value appeared in: {', '.join(places)} (redacted in the files)"
        journal.checks.append(CheckRecord(SECRET_CHECK, "report", CHECK_FAILED, detail))
        journal.status, journal.reason = "failed", f"secret leaked: {detail}"
    elif redactor.known:
        journal.checks.append(CheckRecord(SECRET_CHECK, "report", CHECK_PASSED,
                                          f"scanned for {redactor.known} secret values: none found"))


def render_postmortem(journal: Journal, scenario: Scenario) -> str:
    lines = [
        f"# Incident Post-Mortem: {scenario.title} (drill)",
        "",
        f"**Date:** {journal.started[:10]}  ",
        f"**Severity:** {journal.severity}  ",
        f"**Duration:** {_duration(journal.duration_s)} ({journal.started[11:16]} UTC → "
        f"{journal.finished[11:16]} UTC)  ",
        "**Author:** incident-guardrails drill runner (draft for the responders to complete)  ",
        "**Status:** DRAFT",
        "",
        "## Summary",
        f"Game-day drill of guide section {journal.guide_section} on target "
        f"`{journal.target['name']}` (stack `{journal.stack}`, incident `{journal.incident_id}`). "
        f"{scenario.description.strip()} Result: **{journal.status.upper()}**"
        + (f" — {journal.reason}." if journal.reason else "."),
        "",
        "## Impact",
        f"- **Users affected:** {scenario.impact.strip() or 'simulated; no real users'}",
        "- **Revenue impact:** none (drill)",
        f"- **Services affected:** {', '.join(journal.affected_services) or 'none recorded'}",
        f"- **Detection method:** {_detection_method(journal)}",
        "",
        "## Timeline (all times UTC)",
        "| Time | Event |",
        "|------|-------|",
        *[f"| {step.start[11:19]} | {_event(step)} |" for step in journal.timeline + journal.undo],
        "",
        *_sla_section(journal),
        "## Root Cause",
        scenario.root_cause.strip() or "Injected by the drill.",
        "",
        "## Contributing Factors",
        *(_bullets([f"{c.name}: {c.detail}" for c in journal.failed_checks()])
          or ["- None found by the drill."]),
        "",
        "## What Went Well",
        *(_bullets([c.name for c in journal.checks if c.status == CHECK_PASSED]) or ["- Nothing passed."]),
        "",
        "## What Went Poorly",
        *(_bullets([f"{c.name}: {c.detail}" for c in journal.checks
                    if c.status in (CHECK_FAILED, CHECK_NOT_COVERED)]
                   + [f"no alarm watches this symptom: {u}" for u in _unwatched(journal)])
          or ["- Nothing."]),
        "",
        "## Action Items",
        "| Action | Owner | Due |",
        "|--------|-------|-----|",
        *_action_items(journal),
        "",
        "## Lessons Learned",
        "_To be written by the responders._",
        "",
    ]
    return "\n".join(lines)


def _detection_method(journal: Journal) -> str:
    detection = journal.detection
    if not detection:
        return "fault injected by the drill runner (game day); the scenario models no detection"
    first = next((f for f in detection.get("fired", [])
                  if f["severity"] == detection.get("expected_page")), None)
    if first is None:
        step = next((s for s in journal.timeline if s.phase == "detect"), None)
        return f"no alarm paged {detection.get('expected_page') or 'anyone'}" + (
            f" ({step.detail})" if step else "")
    return (f"CloudWatch alarm `{first['alarm']}` paged {first['severity']} via `{first['topic']}` "
            f"at +{first['at_s']:.0f}s after the fault (simulated from the stack's alarm catalog)")


def _sla_section(journal: Journal) -> list[str]:
    sla = journal.sla
    if not sla:
        return []
    rows = [f"| {p['name']} | {p['seconds']:.1f} | {p['source']} |" for p in sla["parts"]]
    limit = "none (P3)" if sla["sla_s"] is None else f"{sla['sla_s']} s"
    margin = "" if sla["margin_s"] is None else f", margin {sla['margin_s']:.1f} s"
    return ["## Response Budget", f"SLA to acknowledge: {limit}; used {sla['total_s']:.1f} s{margin} "
            f"({'within' if sla['within'] else 'EXCEEDED'}).", "", "| Part | Seconds | Source |",
            "|------|---------|--------|", *[r.replace("\n", " ") for r in rows], ""]


def _unwatched(journal: Journal) -> list[str]:
    return list((journal.detection or {}).get("unwatched_symptoms", []))


def _event(step) -> str:
    detail = f" — {step.detail}" if step.detail else ""
    return f"[{step.phase}] {step.name}: {step.status}{detail}".replace("|", "\\|").replace("\n", " ")


def _action_items(journal: Journal) -> list[str]:
    rows = [f"| Fix: {c.name} ({c.detail}) | on-call | next sprint |" for c in journal.failed_checks()]
    rows += [f"| Cover on a real target: {c.name} ({c.detail}) | platform team | next game day |"
             for c in journal.not_covered()]
    rows += [f"| Add an alarm for: {u} | platform team | next sprint |" for u in _unwatched(journal)]
    return [row.replace("\n", " ") for row in rows] or ["| None | | |"]


def _bullets(items: list[str]) -> list[str]:
    return [f"- {item}" for item in items]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60} hours {minutes % 60} minutes {secs} seconds"
