"""The drill's detection phase: would the stack's own alarms page the scenario's severity, and when?

Parses what a scenario promises (``detection:``) and its symptoms, expands the stack's alarm
catalog, and judges the result against the severity's response SLA. ``judge_detection`` replays
the symptoms through the ``detection`` package's model of CloudWatch, which needs no waiting (the
times are simulated seconds after the fault, lower bounds: metric delivery and notification
delays are not modelled); ``detect_live`` publishes them to a target whose CloudWatch evaluates
the deployed alarms itself and polls (``detection.live``). A page later than the SLA fails; a
scenario that expects no page is "not covered", with its reason. ``Runner.detect`` chooses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from alarm_catalog import Catalog, CatalogError, effective_severity, expand, load_templates
from detection import Detection, DetectionError, Symptoms, detect, parse_symptoms
from detection.live import POLL_S, poll_alarms
from stack_config import SEVERITIES, Platform

from .exceptions import ScenarioError
from .sla import RESPONSE_SLA_S

_SPEC_KEYS = {"expect_page", "horizon_s", "reason"}


@dataclass(frozen=True)
class DetectionSpec:
    """What the scenario promises: the severity its symptoms must page (None: no alarm can)."""

    expect_page: str | None
    horizon_s: int
    reason: str = ""


@dataclass(frozen=True)
class DetectionOutcome:
    passed: bool | None
    detail: str
    time_to_detect_s: float | None
    data: dict[str, Any]


def parse_detection_spec(raw: Any, severity: str) -> DetectionSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - _SPEC_KEYS or "expect_page" not in raw:
        raise ScenarioError(
            f"detection: expected a mapping with expect_page (keys: {', '.join(sorted(_SPEC_KEYS))})"
        )
    expected = raw["expect_page"]
    if expected is not None and expected not in SEVERITIES:
        raise ScenarioError(
            f"detection.expect_page: {expected!r} is not one of {', '.join(SEVERITIES)} or null"
        )
    if expected is None and not str(raw.get("reason", "")).strip():
        raise ScenarioError("detection.reason: say why no alarm can detect this scenario")
    default_horizon = 2 * (RESPONSE_SLA_S.get(severity) or 1800)
    horizon = raw.get("horizon_s", default_horizon)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 60 <= horizon <= 86400:
        raise ScenarioError(f"detection.horizon_s: {horizon!r} is not a whole number of seconds in 60..86400")
    return DetectionSpec(expected, horizon, str(raw.get("reason", "")))


def load_symptoms(raw: Any, platform: Platform) -> Symptoms | None:
    """The scenario's symptoms for ``platform``; invalid ones raise ScenarioError."""
    try:
        return None if raw is None else parse_symptoms(raw, platform)
    except DetectionError as error:
        raise ScenarioError(str(error)) from None


def platform_catalog(platform: Platform, catalog_path: "str | Path | None" = None) -> Catalog:
    try:
        templates = load_templates(catalog_path) if catalog_path else None
        return expand(platform, templates=templates)
    except CatalogError as error:
        raise ScenarioError(f"alarm catalog: {error}") from None


def judge_detection(
    spec: DetectionSpec, symptoms: Symptoms | None, platform: Platform, catalog: Catalog, severity: str
) -> DetectionOutcome:
    if spec.expect_page is None:
        return DetectionOutcome(None, f"no alarm detects this: {spec.reason.strip()}", None, {})
    if symptoms is None:
        raise ScenarioError("detection.expect_page needs a symptoms section")
    result = detect(platform, catalog, symptoms, horizon_s=spec.horizon_s)
    data = _summary(result, platform)
    expected = expected_level(spec, platform)
    page = result.first_page(expected)
    sla = RESPONSE_SLA_S.get(severity)
    if page is None:
        paged = sorted({f.severity for f in result.fired if f.pages}) or ["nothing"]
        return DetectionOutcome(
            False,
            f"{expected} never paged within {spec.horizon_s}s (paged: {', '.join(paged)}){_level_note(spec, expected)}",
            None,
            data,
        )
    detail = (
        f"{page.alarm_name} {'pages' if page.pages else 'raises'} {page.severity} "
        f"({platform.notifications.topic_name(page.severity)}) "
        f"at +{page.at_s:.0f}s{_level_note(spec, expected)}"
    )
    if sla is not None and page.at_s > sla:
        return DetectionOutcome(False, f"{detail}, later than the {severity} SLA of {sla}s", page.at_s, data)
    return DetectionOutcome(True, detail, page.at_s, data)


def expected_level(spec: DetectionSpec, platform: Platform) -> str:
    """The level the stack's alarms raise the scenario's page at: the guide's own on production;
    on another stack what the catalog deploys there (P3, an issue and no page, by the guide)."""
    return effective_severity(platform, str(spec.expect_page))


def _level_note(spec: DetectionSpec, expected: str) -> str:
    if expected == spec.expect_page:
        return ""
    return f" (a non-production stack raises the guide's {spec.expect_page} as {expected})"


def _summary(result: Detection, platform: Platform) -> dict[str, Any]:
    return {
        "fired": [
            {
                "alarm": f.alarm_name,
                "severity": f.severity,
                "at_s": f.at_s,
                "kind": f.kind,
                "topic": platform.notifications.topic_name(f.severity),
            }
            for f in result.fired
        ],
        "unwatched_symptoms": list(result.unwatched),
    }


def detect_live(
    cloudwatch: Any,
    logs: Any,
    spec: DetectionSpec,
    symptoms: Symptoms,
    catalog: Catalog,
    platform: Platform,
    severity: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll_s: float = POLL_S,
) -> DetectionOutcome:
    """Judge ``spec`` by publishing ``symptoms`` to the target and polling its deployed alarms."""
    severities = {a.name: a.severity for a in (*catalog.metric_alarms, *catalog.composite_alarms)}
    expected = expected_level(spec, platform)
    poll = poll_alarms(
        cloudwatch,
        logs,
        symptoms,
        severities,
        spec.horizon_s,
        expected,
        clock=clock,
        sleep=sleep,
        poll_s=poll_s,
    )
    if not poll.deployed:
        return DetectionOutcome(
            None,
            "none of the stack's alarms exist on this target: deploy the "
            "stack (pulumi up) before a live detection drill",
            None,
            {},
        )
    return _live_outcome(spec, expected, poll.fired, severities, platform, severity, poll.deployed)


def _live_outcome(
    spec: DetectionSpec,
    expected: str,
    fired: dict[str, float],
    severities: dict[str, str],
    platform: Platform,
    severity: str,
    deployed: int,
) -> DetectionOutcome:
    data = {
        "live": True,
        "deployed_alarms": deployed,
        "fired": [
            {
                "alarm": n,
                "severity": severities[n],
                "at_s": t,
                "kind": "live",
                "topic": platform.notifications.topic_name(severities[n]),
            }
            for n, t in sorted(fired.items(), key=lambda item: item[1])
        ],
        "unwatched_symptoms": [],
    }
    pages = [f for f in data["fired"] if f["severity"] == expected]
    if not pages:
        return DetectionOutcome(
            False, f"{expected} never paged within {spec.horizon_s}s (live CloudWatch)", None, data
        )
    first, sla = pages[0], RESPONSE_SLA_S.get(severity)
    detail = (
        f"{first['alarm']} went to ALARM at +{first['at_s']:.0f}s (live CloudWatch, polled)"
        f"{_level_note(spec, expected)}"
    )
    if sla is not None and first["at_s"] > sla:
        return DetectionOutcome(
            False, f"{detail}, later than the {severity} SLA of {sla}s", first["at_s"], data
        )
    return DetectionOutcome(True, detail, first["at_s"], data)
