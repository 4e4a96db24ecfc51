"""Write a run's JSON report and its post-mortem draft (the guide's template, filled in).

The post-mortem is Markdown whose sections the responders (and tools) find by their headings,
so no text put into it can start a line of its own: every value is folded onto the line its
template gives it (all whitespace, line and paragraph separators become one space; other control
and invisible formatting characters show as U+FFFD; ``<`` is written ``&lt;``, so no raw HTML), and
text that begins a line (a bullet, a paragraph of the root cause) has a leading Markdown block
marker (``#``, ``>``, ``-``, ``1.``, a fence...) backslash-escaped. The root cause keeps its
paragraphs (blank lines); each is folded the same way. Scenario files are also refused at load
time when a one-line field holds a line break (drills/scenario.py), so the author hears of it;
folding here covers every other source (step details, AWS error messages, reasons).

Secrets are redacted from the journal's own strings before anything is rendered, so escaping or
folding can never turn a secret into a variant the final scan would miss.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import json
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Iterator

from .exceptions import DrillError
from .files import write_atomically
from .journal import CHECK_FAILED, CHECK_NOT_COVERED, CHECK_PASSED, RUN_FAILED, CheckRecord, Journal
from .junit import render_junit
from .redaction import REDACTED, Redactor
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
        raise DrillError(
            f"report folder {path} is not writable ({reason}); give --report-dir a folder you can write to"
        ) from None


def write_reports(journal: Journal, scenario: Scenario, report_dir: Path, redactor: Redactor) -> list[Path]:
    """Write both reports with every known secret redacted; a redaction fails the drill."""
    _record_secret_check(journal, scenario, redactor)
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / f"{journal.scenario}.json"
    md_path = report_dir / f"{journal.scenario}-postmortem.md"
    junit_path = report_dir / f"{journal.scenario}.junit.xml"
    safe_journal, safe_scenario = _redacted(journal, redactor), _redacted(scenario, redactor)
    texts = _render(safe_journal, safe_scenario)
    write_atomically(json_path, redactor.redact(texts[0], "report"))
    write_atomically(md_path, redactor.redact(texts[1], "post-mortem"))
    write_atomically(junit_path, redactor.redact(render_junit(safe_journal), "junit report"))
    return [json_path, md_path, junit_path]


def _render(journal: Journal, scenario: Scenario) -> tuple[str, str]:
    return (json.dumps(journal.to_dict(), indent=2, default=str) + "\n", render_postmortem(journal, scenario))


def _strings(value: Any) -> Iterator[str]:
    """Every string in a journal: dataclass fields, mapping keys and values, items."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _redacted(value: Any, redactor: Redactor, replacement: str = REDACTED) -> Any:
    """A copy of ``value`` (a journal, a scenario) with every known secret replaced by
    ``replacement`` in every string it holds; ``redactor.hits`` is left as it was."""
    hits = len(redactor.hits)
    try:
        return _replaced(value, redactor, replacement)
    finally:
        del redactor.hits[hits:]


def _replaced(value: Any, redactor: Redactor, replacement: str) -> Any:
    if isinstance(value, str):
        if not redactor.contains_secret(value):
            return value
        # Split at earlier redactions, so only the secrets found now become ``replacement``.
        return REDACTED.join(
            redactor.redact(piece, "").replace(REDACTED, replacement) for piece in value.split(REDACTED)
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = copy.copy(value)
        for item in dataclasses.fields(value):
            object.__setattr__(clone, item.name, _replaced(getattr(value, item.name), redactor, replacement))
        return clone
    if isinstance(value, dict):
        return {
            _replaced(k, redactor, replacement): _replaced(v, redactor, replacement) for k, v in value.items()
        }
    if type(value) in (list, tuple):
        return type(value)(_replaced(item, redactor, replacement) for item in value)
    return value


def _record_secret_check(journal: Journal, scenario: Scenario, redactor: Redactor) -> None:
    places = set(redactor.hits)
    for text, where in zip(_render(journal, scenario), ("report", "post-mortem")):
        if redactor.contains_secret(text):
            places.add(where)
    # Rendering escapes characters (JSON quotes, Markdown pipes and HTML), which can hide a
    # secret from a scan of the rendered text. The JSON report holds every string of the
    # journal; the post-mortem is rendered again with each secret replaced by a marker that no
    # escaping changes, and holds a secret if the marker shows.
    if any(redactor.contains_secret(text) for text in _strings(journal)):
        places.add("report")
    marker = f"SECRETMARKER{os.urandom(8).hex()}"
    if marker in render_postmortem(
        _redacted(journal, redactor, marker), _redacted(scenario, redactor, marker)
    ):
        places.add("post-mortem")
    places = sorted(places)
    if places:
        detail = f"a secret value appeared in: {', '.join(places)} (redacted in the files)"
        journal.checks.append(CheckRecord(SECRET_CHECK, "report", CHECK_FAILED, detail))
        journal.status, journal.reason = RUN_FAILED, f"secret leaked: {detail}"
    elif redactor.known:
        journal.checks.append(
            CheckRecord(
                SECRET_CHECK,
                "report",
                CHECK_PASSED,
                f"scanned for {redactor.known} secret values: none found",
            )
        )


def render_postmortem(journal: Journal, scenario: Scenario) -> str:
    lines = [
        f"# Incident Post-Mortem: {_inline(scenario.title)} (drill)",
        "",
        f"**Date:** {_inline(journal.started[:10])}  ",
        f"**Severity:** {_inline(journal.severity)}  ",
        f"**Duration:** {_duration(journal.duration_s)} ({_inline(journal.started[11:16])} UTC → "
        f"{_inline(journal.finished[11:16])} UTC)  ",
        "**Author:** incident-guardrails drill runner (draft for the responders to complete)  ",
        "**Status:** DRAFT",
        "",
        "## Summary",
        f"Game-day drill of guide section {_inline(journal.guide_section)} on target "
        f"`{_code(journal.target['name'])}` (stack `{_code(journal.stack)}`, incident "
        f"`{_code(journal.incident_id)}`). "
        f"{_inline(scenario.description)} Result: **{_inline(journal.status.upper())}**"
        + (f" — {_inline(journal.reason)}." if journal.reason else "."),
        "",
        "## Impact",
        f"- **Users affected:** {_inline(scenario.impact) or 'simulated; no real users'}",
        "- **Revenue impact:** none (drill)",
        f"- **Services affected:** {_inline(', '.join(journal.affected_services)) or 'none recorded'}",
        f"- **Detection method:** {_inline(_detection_method(journal))}",
        "",
        "## Timeline (all times UTC)",
        "| Time | Event |",
        "|------|-------|",
        *[f"| {_cell(step.start[11:19])} | {_event(step)} |" for step in journal.timeline + journal.undo],
        "",
        *_sla_section(journal),
        "## Root Cause",
        *(_paragraphs(scenario.root_cause) or ["Injected by the drill."]),
        "",
        "## Contributing Factors",
        *(
            _bullets([f"{c.name}: {c.detail}" for c in journal.failed_checks()])
            or ["- None found by the drill."]
        ),
        "",
        "## What Went Well",
        *(_bullets([c.name for c in journal.checks if c.status == CHECK_PASSED]) or ["- Nothing passed."]),
        "",
        "## What Went Poorly",
        *(
            _bullets(
                [
                    f"{c.name}: {c.detail}"
                    for c in journal.checks
                    if c.status in (CHECK_FAILED, CHECK_NOT_COVERED)
                ]
                + [f"no alarm watches this symptom: {u}" for u in _unwatched(journal)]
            )
            or ["- Nothing."]
        ),
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


# Shown as U+FFFD: control characters (ESC of terminal sequences...), invisible format characters
# (bidi overrides, zero-width), lone surrogates. Whitespace ones are folded into spaces before.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# What makes a line the start of a Markdown block other than a paragraph: ATX heading, block
# quote, list item, thematic break or setext underline, table row, code fence, link reference
# definition (which hides its paragraph), ordered list item.
_BLOCK_MARKER = re.compile(r"[#>*+\-=_|`~\[]|\d{1,9}(?=[.)])")


def _fold(text: Any) -> str:
    """``text`` on one line: every run of whitespace, line or paragraph separators one space."""
    return "".join("\ufffd" if unicodedata.category(c) in _HIDDEN else c for c in " ".join(str(text).split()))


def _inline(text: Any) -> str:
    """Text inside a line of the template: folded, and no raw HTML."""
    return _fold(text).replace("<", "&lt;")


def _code(text: Any) -> str:
    """Text inside a `code span`: folded (HTML is not interpreted there)."""
    return _fold(text).replace("`", "'")


def _cell(text: Any) -> str:
    """Text inside a table cell: inline, and neither a backslash nor a pipe can end the cell."""
    return _inline(text).replace("\\", "\\\\").replace("|", "\\|")


def _line_start(text: Any) -> str:
    """Inline text that begins a line (of a bullet, a paragraph): a block marker is escaped."""
    line = _inline(text)
    marker = _BLOCK_MARKER.match(line)
    if marker:
        at = marker.end() if marker.group().isdigit() else 0
        line = f"{line[:at]}\\{line[at:]}"
    return line


def _paragraphs(text: str) -> list[str]:
    """Multi-line prose as Markdown paragraphs (blank lines kept), each folded and escaped."""
    paragraphs = [_line_start(p) for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip()]
    return [line for p in paragraphs for line in (p, "")][:-1]


def _detection_method(journal: Journal) -> str:
    detection = journal.detection
    if not detection:
        return "fault injected by the drill runner (game day); the scenario models no detection"
    first = next(
        (f for f in detection.get("fired", []) if f["severity"] == detection.get("expected_page")), None
    )
    if first is None:
        step = next((s for s in journal.timeline if s.phase == "detect"), None)
        return f"no alarm paged {detection.get('expected_page') or 'anyone'}" + (
            f" ({step.detail})" if step else ""
        )
    return (
        f"CloudWatch alarm `{first['alarm']}` paged {first['severity']} via `{first['topic']}` "
        f"at +{first['at_s']:.0f}s after the fault (simulated from the stack's alarm catalog)"
    )


def _sla_section(journal: Journal) -> list[str]:
    sla = journal.sla
    if not sla:
        return []
    rows = [f"| {_cell(p['name'])} | {p['seconds']:.1f} | {_cell(p['source'])} |" for p in sla["parts"]]
    limit = "none (P3)" if sla["sla_s"] is None else f"{sla['sla_s']} s"
    margin = "" if sla["margin_s"] is None else f", margin {sla['margin_s']:.1f} s"
    return [
        "## Response Budget",
        f"SLA to acknowledge: {limit}; used {sla['total_s']:.1f} s{margin} "
        f"({'within' if sla['within'] else 'EXCEEDED'}).",
        "",
        "| Part | Seconds | Source |",
        "|------|---------|--------|",
        *rows,
        "",
    ]


def _unwatched(journal: Journal) -> list[str]:
    return list((journal.detection or {}).get("unwatched_symptoms", []))


def _event(step) -> str:
    detail = f" — {step.detail}" if step.detail else ""
    return _cell(f"[{step.phase}] {step.name}: {step.status}{detail}")


def _action_items(journal: Journal) -> list[str]:
    rows = [
        f"| {_cell(f'Fix: {c.name} ({c.detail})')} | on-call | next sprint |" for c in journal.failed_checks()
    ]
    rows += [
        f"| {_cell(f'Cover on a real target: {c.name} ({c.detail})')} | platform team | next game day |"
        for c in journal.not_covered()
    ]
    rows += [
        f"| {_cell(f'Add an alarm for: {u}')} | platform team | next sprint |" for u in _unwatched(journal)
    ]
    return rows or ["| None | | |"]


def _bullets(items: list[str]) -> list[str]:
    return [f"- {_line_start(item)}" for item in items]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60} hours {minutes % 60} minutes {secs} seconds"
