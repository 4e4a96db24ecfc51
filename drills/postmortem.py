"""The post-mortem draft: the guide's template, with what Google SRE's example post-mortem and
PagerDuty's template add, filled in from the run's record.

From the guide: the header, Summary, Impact, Timeline, Root Cause, Contributing Factors, What Went
Well / Poorly, Action Items and Lessons Learned. From Google SRE's example: the trigger and the
resolution in the summary, "Where We Got Lucky", and action items typed (prevent, detect,
mitigate, process). From PagerDuty's: the responders, exact numbers in the impact (time in the
severity, services), and a source for every timeline entry. The response times (detect,
acknowledge, mitigate, recover) are measured against the guide's SLA for the severity.

The text is Markdown whose sections the responders (and tools) find by their headings, so no
text put into it can start a line of its own: every value is folded onto the line its template
gives it (all whitespace, line and paragraph separators become one space; other control and
invisible formatting characters show as U+FFFD; ``<`` is written ``&lt;``, so no raw HTML), and
text that begins a line (a bullet, a paragraph of the root cause) has a leading Markdown block
marker (``#``, ``>``, ``-``, ``1.``, a fence...) backslash-escaped. The root cause keeps its
paragraphs (blank lines); each is folded the same way. How many bullets a section has never
depends on the text of a check or a step, only on how many there are.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .journal import CHECK_FAILED, CHECK_NOT_COVERED, CHECK_PASSED, CheckRecord, Journal, StepRecord
from .scenario import Scenario
from .step_facts import (
    RESPONDER_PHASE,
    Milestone,
    milestones,
    services_affected,
    sla_seconds,
    timeline_entries,
)

# Action item types, as in Google SRE's example post-mortem.
PREVENT, DETECT, MITIGATE, PROCESS = "prevent", "detect", "mitigate", "process"
HEADINGS = (
    "## Summary",
    "## Impact",
    "## Responders",
    "## Timeline (all times UTC)",
    "## Response Budget",
    "## Root Cause",
    "## Contributing Factors",
    "## What Went Well",
    "## What Went Poorly",
    "## Where We Got Lucky",
    "## Action Items",
    "## Lessons Learned",
)
KNOWN_START = (
    "The fault's start was known to the second (the drill injected it); in a real incident it "
    "has to be established from logs or the audit trail first."
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
        *_summary(journal, scenario),
        *_impact(journal, scenario),
        *_responders(journal),
        *_timeline(journal),
        *_response_budget(journal),
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
        *(
            _bullets([plain_check(c, journal) for c in journal.checks if c.status == CHECK_PASSED])
            or ["- Nothing passed."]
        ),
        "",
        "## What Went Poorly",
        *(_bullets(went_poorly(journal)) or ["- Nothing."]),
        "",
        "## Where We Got Lucky",
        *_bullets(got_lucky(journal)),
        "",
        "## Action Items",
        "| Action | Type | Owner | Due |",
        "|--------|------|-------|-----|",
        *[f"| {_cell(text)} | {kind} |  |  |" for kind, text in action_items(journal, scenario)],
        "",
        "## Lessons Learned",
        "_To be written by the responders._",
        "",
    ]
    return "\n".join(lines)


# --- sections --------------------------------------------------------------------------------


def _summary(journal: Journal, scenario: Scenario) -> list[str]:
    fault = next((s for s in journal.timeline if s.phase == "faults"), None)
    resolution = _resolution(journal)
    return [
        "## Summary",
        f"Game-day drill of guide section {_inline(journal.guide_section)} on target "
        f"`{_code(journal.target.get('name', ''))}` (stack `{_code(journal.stack)}`, incident "
        f"`{_code(journal.incident_id)}`). "
        f"{_inline(scenario.description)} Result: **{_inline(journal.status.upper())}**"
        + (f" — {_inline(journal.reason)}." if journal.reason else "."),
        "",
        f"**Trigger:** {_inline(fault.detail if fault else 'no fault was injected')}  ",
        f"**Resolution:** {_inline(resolution)}",
        "",
    ]


def _resolution(journal: Journal) -> str:
    done = [
        s.name
        for s in journal.timeline
        if s.phase == "procedure"
        and s.kind == "action"
        and s.status == "ok"
        and (s.result or {}).get("changed")
    ]
    responders = [s for s in journal.timeline if s.phase == RESPONDER_PHASE]
    if responders:
        return f"the responders made {len(responders)} change(s) through the AWS API (see the timeline)"
    if done:
        return "; ".join(done)
    return "none: no response step changed anything"


def _impact(journal: Journal, scenario: Scenario) -> list[str]:
    services = services_affected(journal)
    listed = ", ".join(f"{name} ({how})" for name, how in services)
    recover = next((m for m in milestones(journal) if m.name == "recover"), None)
    in_severity = (
        f"{recover.seconds:.0f} s from the fault to recovery ({recover.how})"
        if recover and recover.seconds is not None
        else "not recovered within the run"
    )
    return [
        "## Impact",
        f"- **Users affected:** {_inline(scenario.impact) or 'simulated; no real users'}",
        "- **Revenue impact:** none (drill)",
        f"- **Services affected:** {_inline(listed) or 'none: the fault and the response changed no service'}",
        f"- **Time in {_inline(journal.severity)}:** {_inline(in_severity)}",
        f"- **Detection method:** {_inline(_detection_method(journal))}",
        "",
    ]


def _responders(journal: Journal) -> list[str]:
    calls = [s for s in journal.timeline if s.phase == RESPONDER_PHASE]
    ack = next(
        (s for s in journal.timeline if s.phase == "response" and s.name.startswith("acknowledged by ")), None
    )
    note = next((s for s in journal.timeline if s.phase == "response" and s.ref == "responder-log"), None)
    if ack is None and note is None and not calls:
        people = "none: the scripted procedure responded through the runbook actions"
    else:
        who = ack.name.removeprefix("acknowledged by ") if ack else "nobody acknowledged"
        people = f"{who}; {len(calls)} change(s) of theirs read back from the target (in the timeline)"
    lines = ["## Responders", f"- **People:** {_inline(people)}"]
    if note is not None:
        lines.append(f"- **Their actions:** {_inline(note.detail)}")
    return [*lines, ""]


def _timeline(journal: Journal) -> list[str]:
    rows = []
    for entry in timeline_entries(journal):
        offset = "" if entry.offset_s is None else f"{entry.offset_s:+.1f}s"
        event = f"[{entry.phase}] {entry.title}: {entry.status}" + (
            f" — {entry.detail}" if entry.detail else ""
        )
        rows.append(
            f"| {_cell(entry.at[11:19])} | {_cell(event)} | {_cell('; '.join(entry.facts))} | "
            f"{_cell(entry.source)} | {_cell(offset)} |"
        )
    # The guide's two columns first, then what the run adds.
    return [
        "## Timeline (all times UTC)",
        "| Time | Event | Facts | Source | After the fault |",
        "|------|-------|-------|--------|-----------------|",
        *rows,
        "",
    ]


def _response_budget(journal: Journal) -> list[str]:
    sla_s = sla_seconds(journal)
    limit = f"{sla_s // 60} minutes to acknowledge" if sla_s else "none (P3: next business day)"
    rows = [
        f"| {m.name} | {_seconds(m)} | {_cell(_against(m, sla_s))} | {_cell(m.how)} |"
        for m in milestones(journal)
    ]
    lines = [
        "## Response Budget",
        f"The guide's {_inline(journal.severity)} response SLA: {limit}. Times are seconds after the "
        "fault: the drill's measured wall clock, plus the alarm model's simulated time to detect.",
        "",
        "| Milestone | After the fault | Against the SLA | Marked by |",
        "|-----------|-----------------|-----------------|-----------|",
        *rows,
        "",
    ]
    sla = journal.sla
    if sla:
        parts = [f"| {_cell(p['name'])} | {p['seconds']:.1f} | {_cell(p['source'])} |" for p in sla["parts"]]
        margin = "" if sla.get("margin_s") is None else f", margin {sla['margin_s']:.1f} s"
        lines += [
            f"Budget to acknowledge: used {sla['total_s']:.1f} s{margin} "
            f"({'within' if sla['within'] else 'EXCEEDED'}).",
            "",
            "| Part | Seconds | Source |",
            "|------|---------|--------|",
            *parts,
            "",
        ]
    return lines


def _seconds(milestone: Milestone) -> str:
    return "never" if milestone.seconds is None else f"{milestone.seconds:.1f} s"


def _against(milestone: Milestone, sla_s: int | None) -> str:
    if milestone.seconds is None:
        return "missed" if milestone.name in ("acknowledge", "recover") and sla_s else "n/a"
    if not sla_s:
        return "no SLA"
    share = f"{100 * milestone.seconds / sla_s:.1f}% of {sla_s // 60} min"
    if milestone.name == "acknowledge":
        return f"{share}: {'within' if milestone.seconds <= sla_s else 'EXCEEDED'}"
    return share


# --- checks in plain words -------------------------------------------------------------------

_OPS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is above",
    "gte": "is at least",
    "lt": "is below",
    "lte": "is at most",
    "in": "is one of",
    "contains": "contains",
    "length_eq": "has length",
}
_EXPECTATION = re.compile(r"^(?P<path>[\w.*]+) (?P<op>\w+)(?: (?P<value>.*))?$")


def _step_of(check: CheckRecord, journal: Journal) -> StepRecord | None:
    return next(
        (s for s in journal.timeline if check.name.startswith(f"{s.name}: ") and s.phase == check.phase), None
    )


def plain_check(check: CheckRecord, journal: Journal) -> str:
    """A check as a sentence: a probe's name already is one; an expectation on an action's
    result (``changed eq True``) is said in words, after the step it belongs to."""
    step = _step_of(check, journal)
    if step is None:
        return check.name
    said = _plain_expectation(check.name[len(step.name) + 2 :])
    return f"{step.name}: {said}"


def _plain_expectation(text: str) -> str:
    match = _EXPECTATION.match(text)
    if not match:
        return text
    path, op, value = match["path"], match["op"], match["value"]
    if path == "changed" and op == "eq":
        return "it made its change" if value == "True" else "it changed nothing (as it should on a repeat)"
    subject = path.removeprefix("details.").replace(".", " ").replace("_", " ").replace("*", "each")
    if op == "exists":
        return f"it reported: {subject}"
    if op in ("empty", "non_empty"):
        return f"{subject} is {'empty' if op == 'empty' else 'not empty'}"
    if value in ("True", "False") and op == "eq":
        return f"{subject}: {'yes' if value == 'True' else 'no'}"
    return f"{subject} {_OPS.get(op, op)} {value}"


def went_poorly(journal: Journal) -> list[str]:
    items = []
    for check in journal.checks:
        if check.status == CHECK_FAILED:
            items.append(f"{plain_check(check, journal)} — failed: {check.detail}")
        elif check.status == CHECK_NOT_COVERED:
            items.append(f"{plain_check(check, journal)} — not verified on this target: {check.detail}")
    return items + [f"no alarm watches this symptom: {u}" for u in _unwatched(journal)]


def got_lucky(journal: Journal) -> list[str]:
    """What held without the response's foresight: warnings of steps that still succeeded, and
    the fault's start being known."""
    lucky = [KNOWN_START]
    for step in journal.timeline:
        details = (step.result or {}).get("details") if step.kind == "action" else None
        warnings = details.get("warnings") if isinstance(details, dict) else None
        if step.status == "ok" and isinstance(warnings, list):
            lucky += [f"{step.name} succeeded despite a warning: {w}" for w in warnings if isinstance(w, str)]
    return lucky


def action_items(journal: Journal, scenario: Scenario) -> list[tuple[str, str]]:
    """(type, action) rows; owners and dates are for people to fill in."""
    items: list[tuple[str, str]] = [
        (PREVENT, f"Prevent a recurrence of: {_first_sentence(scenario.root_cause)}")
    ]
    detect = next((s for s in journal.timeline if s.phase == "detect"), None)
    if detect is not None and detect.status != "ok":
        items.append((DETECT, f"Make an alarm page this: {detect.detail}"))
    items += [(DETECT, f"Add an alarm for: {u}") for u in _unwatched(journal)]
    for check in journal.checks:
        if check.phase == "detect":
            continue
        if check.status == CHECK_FAILED:
            kind = PROCESS if check.phase in ("sla", "response", "report") else MITIGATE
            items.append((kind, f"Fix: {plain_check(check, journal)} ({check.detail})"))
        elif check.status == CHECK_NOT_COVERED:
            items.append(
                (PROCESS, f"Rehearse on a real target: {plain_check(check, journal)} ({check.detail})")
            )
    items += [
        (MITIGATE, text.replace(" succeeded despite a warning: ", ": address the warning: "))
        for text in got_lucky(journal)[1:]
    ]
    return items


def _first_sentence(text: str) -> str:
    folded = " ".join(text.split())
    return folded.split(". ")[0].rstrip(".") or "the injected fault"


# --- text helpers ----------------------------------------------------------------------------

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


def _unwatched(journal: Journal) -> list[str]:
    return list((journal.detection or {}).get("unwatched_symptoms", []))


def _bullets(items: list[str]) -> list[str]:
    return [f"- {_line_start(item)}" for item in items]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60} hours {minutes % 60} minutes {secs} seconds"
