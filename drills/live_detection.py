"""Detection on a target whose CloudWatch evaluates alarms itself (a real account, LocalStack).

The symptoms are published in real time (each datapoint and log line at its second after the
fault) and the stack's deployed alarms are polled until the expected severity pages or the
horizon passes. It takes as long as the alarms do: minutes, not milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from alarm_catalog import Catalog
from stack_config import Platform

from .detection import Symptoms
from .detection_phase import DetectionOutcome, DetectionSpec
from .sla import RESPONSE_SLA_S

POLL_S = 15.0
_DESCRIBE_BATCH = 100  # DescribeAlarms accepts at most 100 names


@dataclass(frozen=True)
class _Publication:
    at_s: float
    send: Callable[[], None]


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
    severities = {a.name: a.severity for a in (*catalog.metric_alarms, *catalog.composite_alarms)}
    deployed = _deployed(cloudwatch, list(severities))
    if not deployed:
        return DetectionOutcome(
            None,
            "none of the stack's alarms exist on this target: deploy the "
            "stack (pulumi up) before a live detection drill",
            None,
            {},
        )
    pending = sorted(_publications(cloudwatch, logs, symptoms, spec.horizon_s), key=lambda p: p.at_s)
    fired: dict[str, float] = {}
    start = next_poll = clock()
    while (elapsed := clock() - start) < spec.horizon_s:
        while pending and pending[0].at_s <= elapsed:
            pending.pop(0).send()
        if clock() >= next_poll:
            for name in _in_alarm(cloudwatch, deployed):
                fired.setdefault(name, round(clock() - start, 1))
            next_poll += poll_s
            if any(severities[n] == spec.expect_page for n in fired):
                break
        sleep(max(0.0, min(next_poll, start + (pending[0].at_s if pending else spec.horizon_s)) - clock()))
    return _outcome(spec, fired, severities, platform, severity, len(deployed))


def _outcome(
    spec: DetectionSpec,
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
    pages = [f for f in data["fired"] if f["severity"] == spec.expect_page]
    if not pages:
        return DetectionOutcome(
            False, f"{spec.expect_page} never paged within {spec.horizon_s}s (live CloudWatch)", None, data
        )
    first, sla = pages[0], RESPONSE_SLA_S.get(severity)
    detail = f"{first['alarm']} went to ALARM at +{first['at_s']:.0f}s (live CloudWatch, polled)"
    if sla is not None and first["at_s"] > sla:
        return DetectionOutcome(
            False, f"{detail}, later than the {severity} SLA of {sla}s", first["at_s"], data
        )
    return DetectionOutcome(True, detail, first["at_s"], data)


def _publications(cloudwatch: Any, logs: Any, symptoms: Symptoms, horizon_s: float) -> list[_Publication]:
    publications = [
        _Publication(
            t,
            lambda s=series, v=value: cloudwatch.put_metric_data(
                Namespace=s.namespace,
                MetricData=[
                    {
                        "MetricName": s.metric_name,
                        "Value": v,
                        "Dimensions": [{"Name": k, "Value": d} for k, d in sorted(s.dimensions.items())],
                    }
                ],
            ),
        )
        for series in symptoms.metrics
        for t, value in series.datapoints(horizon_s)
    ]
    stream = f"drill-symptoms-{int(time.time())}"
    groups = sorted({line.log_group for line in symptoms.log_lines})
    for group in groups:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    publications += [
        _Publication(
            line.at_s,
            lambda symptom=line: logs.put_log_events(
                logGroupName=symptom.log_group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": symptom.message}],
            ),
        )
        for line in symptoms.log_lines
    ]
    return publications


def _deployed(cloudwatch: Any, names: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(names), _DESCRIBE_BATCH):
        batch = names[start : start + _DESCRIBE_BATCH]
        response = cloudwatch.describe_alarms(AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        found += [a["AlarmName"] for a in response["MetricAlarms"] + response.get("CompositeAlarms", [])]
    return found


def _in_alarm(cloudwatch: Any, names: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(names), _DESCRIBE_BATCH):
        response = cloudwatch.describe_alarms(
            AlarmNames=names[start : start + _DESCRIBE_BATCH],
            StateValue="ALARM",
            AlarmTypes=["MetricAlarm", "CompositeAlarm"],
        )
        found += [a["AlarmName"] for a in response["MetricAlarms"] + response.get("CompositeAlarms", [])]
    return found
