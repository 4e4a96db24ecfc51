"""A run's report as one self-contained HTML page: the timeline as a chart, the SLA budget as a
bar, the response times, the checks and the action items.

No external asset, no script, no network: the styles are inline, the charts are inline SVG, and a
Content-Security-Policy (``default-src 'none'``) keeps the browser from loading or running
anything even if some text were to slip through. Every value from the run (scenario text, step
details, AWS messages) is folded onto one line (control and invisible formatting characters shown
as U+FFFD) and HTML-escaped, so ``<script>`` in a name is shown, never run.
"""

from __future__ import annotations

import html
from typing import Any

from .journal import CHECK_FAILED, CHECK_NOT_COVERED, CHECK_PASSED, Journal
from .postmortem import _fold, action_items, got_lucky, plain_check, went_poorly
from .scenario import Scenario
from .step_facts import Entry, milestones, services_affected, sla_seconds, timeline_entries

CHART_WIDTH, LABEL_WIDTH, ROW_HEIGHT, AXIS_HEIGHT = 1000, 330, 22, 30
COLOURS = {
    "ok": "#2e7d32",
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not-covered": "#f9a825",
    "skipped": "#9e9e9e",
}
PHASE_COLOURS = {"alarm": "#6a1b9a", "responders": "#1565c0", "undo": "#5d4037"}
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem;color:#1a1a1a;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .4rem;vertical-align:top;text-align:left}
.status{font-weight:bold}.passed,.ok{color:#2e7d32}.failed{color:#c62828}.not-covered{color:#8d6e00}
svg text{font-size:11px;font-family:inherit}
"""


def _t(value: Any) -> str:
    """Text for HTML content or an attribute value: folded and escaped."""
    return html.escape(_fold(value), quote=True)


def render_html(journal: Journal, scenario: Scenario) -> str:
    entries = timeline_entries(journal)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{_t(scenario.title)} ({_t(journal.scenario)}) — drill report</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_t(scenario.title)} <small>({_t(journal.severity)}, guide {_t(journal.guide_section)})</small></h1>",
        f'<p>Result: <span class="status {_t(journal.status)}" id="run-status">{_t(journal.status.upper())}</span>'
        + (f" — {_t(journal.reason)}" if journal.reason else "")
        + f"<br>Target {_t(journal.target.get('name', ''))}, stack {_t(journal.stack)}, incident "
        f"{_t(journal.incident_id)}, {_t(journal.started)} → {_t(journal.finished)}</p>",
        f"<p>{_t(scenario.description)}</p>",
        "<h2>Impact</h2><ul>",
        f"<li>Users affected: {_t(scenario.impact or 'simulated; no real users')}</li>",
        "<li>Services affected: "
        + (_t(", ".join(f"{n} ({how})" for n, how in services_affected(journal))) or "none")
        + "</li></ul>",
        "<h2>Timeline</h2>",
        timeline_svg(entries),
        "<h2>Response budget</h2>",
        sla_svg(journal),
        _milestone_table(journal),
        "<h2>Timeline entries</h2>",
        _entry_table(entries),
        "<h2>Checks</h2>",
        _checks_table(journal),
        "<h2>What went poorly</h2>",
        _list(went_poorly(journal)) or "<p>Nothing.</p>",
        "<h2>Where we got lucky</h2>",
        _list(got_lucky(journal)),
        "<h2>Action items</h2>",
        _table(
            ["Action", "Type", "Owner", "Due"],
            [[text, kind, "", ""] for kind, text in action_items(journal, scenario)],
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def timeline_svg(entries: list[Entry]) -> str:
    """One row per timeline entry (class ``tl-row``): its label, and a bar from its start to
    its end in seconds after the fault, coloured by its status."""
    origin = min([e.offset_s or 0.0 for e in entries] + [0.0])  # steady-state checks come before the fault
    span = max([(e.offset_s or 0.0) + e.duration_s - origin for e in entries] + [1.0])
    plot = CHART_WIDTH - LABEL_WIDTH - 20
    height = AXIS_HEIGHT + ROW_HEIGHT * len(entries) + 10
    rows = []
    for index, entry in enumerate(entries):
        y = AXIS_HEIGHT + index * ROW_HEIGHT
        x = LABEL_WIDTH + plot * ((entry.offset_s or 0.0) - origin) / span
        width = max(plot * entry.duration_s / span, 4.0)
        colour = PHASE_COLOURS.get(entry.phase) or COLOURS.get(entry.status, "#607d8b")
        label = f"[{entry.phase}] {entry.title}"
        tip = f"{entry.at} {label}: {entry.status}; {'; '.join(entry.facts)} (source: {entry.source})"
        rows.append(
            f'<g class="tl-row" data-phase="{_t(entry.phase)}" data-status="{_t(entry.status)}">'
            f"<title>{_t(tip)}</title>"
            f'<text x="4" y="{y + 15}">{_t(label[:52])}</text>'
            f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{ROW_HEIGHT - 8}" fill="{colour}"/></g>'
        )
    ticks = []
    for i in range(6):
        x = LABEL_WIDTH + plot * i / 5
        ticks.append(
            f'<line x1="{x:.1f}" y1="{AXIS_HEIGHT - 6}" x2="{x:.1f}" y2="{height - 10}" stroke="#e0e0e0"/>'
            f'<text x="{x:.1f}" y="{AXIS_HEIGHT - 10}" text-anchor="middle">{origin + span * i / 5:+.1f}s</text>'
        )
    return (
        f'<svg id="timeline-chart" xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="timeline, seconds after the fault">'
        f'<rect x="0" y="0" width="{CHART_WIDTH}" height="{height}" fill="#fafafa"/>'
        + "".join(ticks)
        + "".join(rows)
        + "</svg>"
    )


def sla_svg(journal: Journal) -> str:
    """The SLA to acknowledge as a bar: its length the budget, the part used filled, and a mark
    for each response milestone that happened."""
    sla_s = sla_seconds(journal)
    stones = milestones(journal)
    if not sla_s:
        return "<p>No response SLA for this severity (P3: next business day).</p>"
    acked = next((m.seconds for m in stones if m.name == "acknowledge"), None)
    used = (journal.sla or {}).get("total_s") if acked is None else acked
    used = float(used or 0.0)
    width, left, top = CHART_WIDTH - 40, 20, 20
    fill = min(used / sla_s, 1.0) * width
    colour = "#2e7d32" if used <= sla_s and acked is not None else "#c62828"
    marks = []
    for index, m in enumerate(stones):
        x = left + min((m.seconds or 0.0) / sla_s, 1.0) * width
        said = "never" if m.seconds is None else f"{m.seconds:.1f}s after the fault"
        line = (
            ""
            if m.seconds is None
            else f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + 28}" stroke="#000"/>'
        )
        marks.append(
            f'<g class="sla-mark">{line}<text x="{left}" y="{top + 44 + 14 * index}">'
            f"{_t(m.name)}: {_t(said)}</text></g>"
        )
    return (
        f'<svg id="sla-bar" xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="130" '
        f'viewBox="0 0 {CHART_WIDTH} 130" role="img" aria-label="SLA budget">'
        f'<rect class="sla-budget" x="{left}" y="{top}" width="{width}" height="24" fill="#e0e0e0"/>'
        f'<rect class="sla-used" x="{left}" y="{top}" width="{max(fill, 2.0):.1f}" height="24" fill="{colour}"/>'
        + "".join(marks)
        + f'<text x="{left}" y="{top - 6}">{_t(journal.severity)} SLA: {sla_s // 60} min to acknowledge; '
        f"used {used:.1f}s</text></svg>"
    )


def _milestone_table(journal: Journal) -> str:
    return _table(
        ["Milestone", "Seconds after the fault", "Marked by"],
        [[m.name, "never" if m.seconds is None else f"{m.seconds:.1f}", m.how] for m in milestones(journal)],
    )


def _entry_table(entries: list[Entry]) -> str:
    return _table(
        ["Time", "After the fault", "Event", "Facts", "Source"],
        [
            [
                e.at[11:19],
                "" if e.offset_s is None else f"{e.offset_s:+.1f}s",
                f"[{e.phase}] {e.title}: {e.status}" + (f" — {e.detail}" if e.detail else ""),
                "; ".join(e.facts),
                e.source,
            ]
            for e in entries
        ],
    )


def _checks_table(journal: Journal) -> str:
    order = {CHECK_FAILED: 0, CHECK_NOT_COVERED: 1, CHECK_PASSED: 2}
    rows = sorted(journal.checks, key=lambda c: order.get(c.status, 3))
    body = "".join(
        f'<tr class="check"><td class="status {_t(c.status)}">{_t(c.status)}</td><td>{_t(c.phase)}</td>'
        f"<td>{_t(plain_check(c, journal))}</td><td>{_t(c.detail)}</td></tr>"
        for c in rows
    )
    return f'<table id="checks"><tr><th>Status</th><th>Phase</th><th>Check</th><th>Detail</th></tr>{body}</table>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_t(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_t(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _list(items: list[str]) -> str:
    return ("<ul>" + "".join(f"<li>{_t(item)}</li>" for item in items) + "</ul>") if items else ""
