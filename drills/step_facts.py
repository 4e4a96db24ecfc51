"""What a run's record says, read for people: the facts each step produced, where each timeline
entry came from, the services the run touched, and the response times against the SLA.

Shared by the post-mortem (Markdown) and the HTML report, so both tell the same story. Only ids,
names, counts, times and revisions are read out of a step's result: never a message body, a
password or a secret value (the reports' redaction is a second line, not the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from .journal import CHECK_NOT_COVERED, STEP_OK, Journal, StepRecord
from .sla import RESPONSE_SLA_S

# The phase of the responders' own calls in a game day's timeline (read back from the target).
RESPONDER_PHASE = "responders"
STATUS_ACTION = "post-status"
MAX_FACTS = 6  # per step; the JSON report keeps the whole result


def seconds_between(start: str, end: str) -> float | None:
    try:
        return (_parse(end) - _parse(start)).total_seconds()
    except ValueError:
        return None


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# --- facts per step --------------------------------------------------------------------------


def _services_moved(items: Any, verb: str) -> list[str]:
    moved = [f"{i.get('service')} {i.get('from')}→{i.get('to')}" for i in items or [] if isinstance(i, dict)]
    return [f"{verb}: {', '.join(moved)}"] if moved else []


def _fence(entries: Any, verb: str) -> list[str]:
    rows = [
        f"{e.get('nacl_id')} rule {e.get('rule_number')}{' ' + str(e['action']) if e.get('action') else ''} "
        f"({e.get('cidr')} → :{e.get('port')})"
        for e in entries or []
        if isinstance(e, dict)
    ]
    return (
        [f"{verb} {len(rows)} fence entr{'y' if len(rows) == 1 else 'ies'}: {'; '.join(rows)}"]
        if rows
        else []
    )


def _post_status(d: dict[str, Any]) -> list[str]:
    facts = [f"{d.get('severity')} {d.get('status')} post, message {d.get('message_id')}"]
    if d.get("already_posted"):
        facts.append("already posted: not sent again")
    return facts


def _stop_writes(d: dict[str, Any]) -> list[str]:
    fence = d.get("fence") or {}
    return [
        *_fence(fence.get("created") or fence.get("entries"), "added"),
        *_services_moved(d.get("stopped"), "scaled"),
        *([f"already at 0: {', '.join(d['already_stopped'])}"] if d.get("already_stopped") else []),
        f"counts recorded in {d.get('record_parameter')}",
    ]


def _restore_writes(d: dict[str, Any]) -> list[str]:
    fence = d.get("fence") or {}
    return [*_services_moved(d.get("restored"), "scaled"), *_fence(fence.get("lifted"), "lifted")]


def _snapshot(d: dict[str, Any]) -> list[str]:
    return [f"snapshot {d.get('snapshot')} of {d.get('db_cluster')} ({d.get('status')})"]


def _backup_status(d: dict[str, Any]) -> list[str]:
    window = d.get("restorable_window") or {}
    return [
        f"retention {d.get('backup_retention_days')} days (minimum {d.get('min_retention_days')})",
        f"restorable {window.get('earliest')} → {window.get('latest')}",
    ]


def _restore_cluster(d: dict[str, Any]) -> list[str]:
    point = d.get("restore_point") or {}
    at = point.get("time") or point.get("snapshot") or point.get("mode")
    return [f"restored cluster {d.get('target')} from {d.get('source')}", f"restore point {at}"]


def _cutover(d: dict[str, Any]) -> list[str]:
    redeployed = [r.get("service") for r in d.get("redeployed") or [] if isinstance(r, dict)]
    return [
        f"{d.get('endpoint_parameter')} version {d.get('previous_version')}→{d.get('version')}, "
        f"now {d.get('db_cluster')}",
        *([f"redeployed {len(redeployed)}: {', '.join(map(str, redeployed))}"] if redeployed else []),
    ]


def _rollback(d: dict[str, Any]) -> list[str]:
    if d.get("already_rolled_back"):
        return [f"{d.get('service')} already on {d.get('to')} (earlier rollback kept)"]
    return [f"{d.get('service')} task definition {d.get('from')} → {d.get('to')}"]


def _scale(d: dict[str, Any]) -> list[str]:
    return [f"{d.get('service')} desired {d.get('previous_desired')}→{d.get('desired')}"]


def _rotate(d: dict[str, Any]) -> list[str]:
    if d.get("plan") == "already-rotated":
        return [f"secret {d.get('secret_id')} already rotated, version {d.get('new_version_id')} kept"]
    return [f"secret {d.get('secret_id')} version {d.get('previous_version_id')} → {d.get('new_version_id')}"]


def _deactivate(d: dict[str, Any]) -> list[str]:
    keys = [
        f"{k.get('access_key_id')} {k.get('status_before')}→{k.get('status')}"
        for k in d.get("keys") or []
        if isinstance(k, dict)
    ]
    return [f"user {d.get('user')} key(s): {', '.join(keys)}"] if keys else [f"user {d.get('user')}"]


def _redeploy(d: dict[str, Any]) -> list[str]:
    done = [s.get("service") for s in d.get("services") or [] if isinstance(s, dict) and s.get("redeployed")]
    return [f"redeployed {len(done)}: {', '.join(map(str, done))}"] if done else ["nothing redeployed"]


def _triage(d: dict[str, Any]) -> list[str]:
    rows = [
        f"{s.get('name')} {s.get('running')}/{s.get('desired')} on {s.get('task_definition')}"
        for s in d.get("services") or []
        if isinstance(s, dict)
    ]
    return [f"running/desired: {', '.join(rows)}"] if rows else []


def _audit(d: dict[str, Any]) -> list[str]:
    return [
        f"{d.get('matched')} of {d.get('scanned')} lines match '{d.get('pattern')}' in {d.get('log_group')}"
    ]


def _cloudtrail(d: dict[str, Any]) -> list[str]:
    return [f"{d.get('event_count')} events of {d.get('user')} ({d.get('write_events')} writes)"]


ACTION_FACTS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "post-status": _post_status,
    "stop-writes": _stop_writes,
    "restore-writes": _restore_writes,
    "snapshot-cluster": _snapshot,
    "backup-status": _backup_status,
    "restore-cluster": _restore_cluster,
    "cutover": _cutover,
    "rollback-service": _rollback,
    "scale-service": _scale,
    "rotate-db-credentials": _rotate,
    "deactivate-access-key": _deactivate,
    "redeploy-all": _redeploy,
    "triage": _triage,
    "audit-log-search": _audit,
    "cloudtrail-lookup": _cloudtrail,
}
# Result fields that are safe to read out of an unknown action or probe: ids, names, counts.
_SAFE_KEY_ENDINGS = ("_id", "message_id", "revision", "snapshot", "version", "count", "status")


def step_facts(step: StepRecord) -> list[str]:
    """What ``step`` produced, in short phrases (at most MAX_FACTS)."""
    result = step.result or {}
    facts: list[str] = []
    if step.kind == "action" and isinstance(result.get("details"), dict):
        reader = ACTION_FACTS.get(step.ref, _generic)
        try:
            facts = reader(result["details"])
        except (AttributeError, TypeError):  # a result of another shape: the generic reading
            facts = _generic(result["details"])
        if result.get("dry_run"):
            facts.insert(0, "dry run: nothing changed")
    elif step.kind == "fault":
        facts = [f"{k.replace('_', ' ')}: {v}" for k, v in (result.get("outputs") or {}).items()]
    elif isinstance(result.get("message_id"), str):
        facts = [f"message {result['message_id']}"]
    elif isinstance(result.get("revisions"), dict):
        facts = [f"on {', '.join(map(str, result['revisions'].values()))}"]
    elif isinstance(result.get("fence"), list):
        facts = _fence(result["fence"], "saw")
    elif step.kind == "responder":
        facts = [str(v) for v in result.get("facts", [])]
    return [f for f in facts if f][:MAX_FACTS]


def _generic(details: dict[str, Any]) -> list[str]:
    return [
        f"{k.replace('_', ' ')}: {v}"
        for k, v in details.items()
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and k.endswith(_SAFE_KEY_ENDINGS)
    ]


# --- where each entry came from --------------------------------------------------------------


def step_source(step: StepRecord) -> str:
    if step.kind == "responder":
        return str((step.result or {}).get("source") or step.ref)
    if step.kind == "action" and step.ref == STATUS_ACTION:
        message = ((step.result or {}).get("details") or {}).get("message_id")
        return f"status post, message {message}" if message else "status post (not sent)"
    if step.kind == "action":
        return f"runbook action {step.ref}"
    if step.kind == "probe":
        return f"probe {step.ref} (read from the target)"
    if step.kind == "fault":
        return f"fault {step.ref} (injected by the drill)"
    if step.kind == "detect":
        return "alarm catalog (detection judged)"
    if step.kind == "sla":
        return "response budget (computed)"
    if step.kind in ("check", "event"):
        return "game day (responders' clock)"
    return f"{step.kind} {step.ref}"


@dataclass(frozen=True)
class Entry:
    """One row of the post-mortem's timeline (and of the HTML chart)."""

    at: str  # ISO time (UTC)
    offset_s: float | None  # seconds after the fault, on the drill's wall clock
    duration_s: float
    phase: str
    title: str
    status: str
    facts: tuple[str, ...]
    source: str
    detail: str = ""


def fault_start(journal: Journal) -> str | None:
    fault = next((s for s in journal.timeline if s.phase == "faults"), None)
    return fault.start if fault else None


def timeline_entries(journal: Journal) -> list[Entry]:
    """Every step, the simulated alarms and the responders' calls, in time order."""
    t0 = fault_start(journal) or journal.started
    entries = [
        Entry(
            s.start,
            seconds_between(t0, s.start),
            s.duration_s,
            s.phase,
            s.name,
            s.status,
            tuple(step_facts(s)),
            step_source(s),
            s.detail,
        )
        for s in journal.timeline + journal.undo
    ]
    entries += _alarm_entries(journal, t0)
    return sorted(entries, key=lambda e: (e.at, e.phase != "faults"))


def _alarm_entries(journal: Journal, t0: str) -> list[Entry]:
    """The alarms the detection saw fire, at the fault's time plus their simulated seconds (the
    drill does not wait for them: the entry says so)."""
    detection = journal.detection or {}
    rows = []
    for fired in detection.get("fired", []):
        try:
            at_s = float(fired["at_s"])
        except (KeyError, TypeError, ValueError):
            continue
        live = fired.get("kind") == "live"
        rows.append(
            Entry(
                t0,
                0.0,
                0.0,
                "alarm",
                f"alarm {fired.get('alarm')} → {fired.get('severity')} at +{at_s:.0f}s",
                STEP_OK,
                (f"notified {fired.get('topic')}",),
                f"CloudWatch alarm {fired.get('alarm')} ({'live' if live else 'simulated from the alarm catalog'})",
            )
        )
    return rows


# --- services and impact ---------------------------------------------------------------------

# Action results that name the services they changed, and how.
_SERVICE_LISTS = {
    "stop-writes": ("stopped", "scaled to 0 to stop writes"),
    "restore-writes": ("restored", ""),
}


def services_affected(journal: Journal) -> list[tuple[str, str]]:
    """(service, how) for every service the fault or the response changed; fault first."""
    seen: dict[str, str] = {name: "hit by the fault" for name in journal.affected_services}
    for step in journal.timeline:
        details = ((step.result or {}).get("details") or {}) if step.kind == "action" else {}
        if not isinstance(details, dict) or step.status != STEP_OK:
            continue
        how = ""
        names: list[str] = []
        if step.ref in _SERVICE_LISTS:
            key, how = _SERVICE_LISTS[step.ref]
            names = [i.get("service") for i in details.get(key) or [] if isinstance(i, dict)]
        elif step.ref in ("rollback-service", "scale-service") and details.get("service"):
            names, how = [details["service"]], f"{step.ref.replace('-service', '')} by the response"
        elif step.ref in ("cutover", "redeploy-all"):
            items = details.get("redeployed") or details.get("services") or []
            names = [i.get("service") for i in items if isinstance(i, dict)]
            how = "redeployed by the response"
        for name in names:
            if isinstance(name, str) and how and name not in seen:
                seen[name] = how
            elif isinstance(name, str):
                seen.setdefault(name, "changed by the response")
    return list(seen.items())


# --- response times --------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    name: str  # detect, acknowledge, mitigate, recover
    seconds: float | None  # after the fault; None: did not happen
    how: str  # what marks it, and on which clock


def _after_fault(journal: Journal, step: StepRecord, detect_s: float) -> float | None:
    """Seconds from the fault to the end of ``step``: the measured wall time plus the simulated
    detection, which the scripted drill does not wait for."""
    t0 = fault_start(journal)
    if t0 is None or not step.end:
        return None
    wall = seconds_between(t0, step.end)
    return None if wall is None else round(wall + detect_s, 1)


def milestones(journal: Journal) -> list[Milestone]:
    sla = journal.sla or {}
    detection = journal.detection or {}
    detect_s = detection.get("time_to_detect_s")
    procedure = [s for s in journal.timeline if s.phase in ("procedure", "response")]
    ok_actions = [s for s in procedure if s.kind == "action" and s.status == STEP_OK and s.result]
    posts = [s for s in ok_actions if s.ref == STATUS_ACTION]

    def status_of(step: StepRecord) -> str:
        return str(((step.result or {}).get("details") or {}).get("status", ""))

    if detect_s is not None:
        detect = Milestone(
            "detect", float(detect_s), "first page of the expected severity (simulated alarm model)"
        )
    else:
        detect = Milestone("detect", None, "no alarm detects it: declared from a report")
    base = float(detect_s or 0.0)
    acked = _ack_seconds(journal, sla, base, posts, status_of)
    mitigating = next(
        (s for s in ok_actions if s.ref != STATUS_ACTION and (s.result or {}).get("changed")), None
    )
    mitigate = (
        Milestone(
            "mitigate",
            _after_fault(journal, mitigating, base),
            f"first change of the response: {mitigating.name}",
        )
        if mitigating
        else Milestone("mitigate", None, "no response step changed anything")
    )
    return [detect, acked, mitigate, _recover(journal, sla, base, posts, status_of)]


def _ack_seconds(journal, sla, base, posts, status_of) -> Milestone:
    responder = next(
        (p for p in sla.get("parts", []) if p.get("name") == "time to acknowledge (responders)"), None
    )
    if responder is not None:
        if responder.get("source") != "measured":
            return Milestone("acknowledge", None, "nobody acknowledged the page")
        return Milestone(
            "acknowledge", round(base + float(responder["seconds"]), 1), "python -m drills ack (measured)"
        )
    declared = next((p for p in posts if status_of(p) != "RESOLVED"), None)
    if declared is None:
        return Milestone("acknowledge", None, "no status post declared the incident")
    return Milestone(
        "acknowledge", _after_fault(journal, declared, base), "declaration status post (measured)"
    )


def _recover(journal, sla, base, posts, status_of) -> Milestone:
    if "time_to_recover_s" in sla:
        value = sla.get("time_to_recover_s")
        if value is None:
            return Milestone("recover", None, "the steady state did not come back within the time limit")
        return Milestone("recover", round(float(value), 1), "steady-state probes hold again (measured)")
    resolved = next((p for p in posts if status_of(p) == "RESOLVED"), None)
    if resolved is None:
        return Milestone("recover", None, "never resolved: no RESOLVED status post")
    return Milestone("recover", _after_fault(journal, resolved, base), "RESOLVED status post (measured)")


def sla_seconds(journal: Journal) -> int | None:
    return RESPONSE_SLA_S.get(journal.severity)


def not_covered_names(journal: Journal) -> list[str]:
    return [c.name for c in journal.checks if c.status == CHECK_NOT_COVERED]
