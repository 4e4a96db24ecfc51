"""Live detection on a target whose CloudWatch evaluates alarms itself (a real account, LocalStack).

The symptoms are published in real time (each datapoint and log line at its second after the
fault) and the deployed alarms are polled until one of the awaited severity is in ALARM or the
horizon passes. It takes as long as the alarms do: minutes, not milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping

from .symptoms import LogLine, MetricSeries, Symptoms

POLL_S = 15.0
_DESCRIBE_BATCH = 100  # DescribeAlarms accepts at most 100 names


@dataclass(frozen=True)
class LivePoll:
    """How many of the alarms exist on the target, and the second each went to ALARM."""

    deployed: int
    fired: dict[str, float]


@dataclass(frozen=True)
class _Publication:
    at_s: float
    send: Callable[[], None]


def poll_alarms(
    cloudwatch: Any,
    logs: Any,
    symptoms: Symptoms,
    severities: Mapping[str, str],
    horizon_s: float,
    awaited_severity: str,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    poll_s: float = POLL_S,
) -> LivePoll:
    """Publish ``symptoms`` on their schedule and poll the alarms ``severities`` names (alarm -> severity).

    Stops at the first poll that finds an alarm of ``awaited_severity`` in ALARM; publishes
    nothing when none of the alarms is deployed.
    """
    deployed = _deployed(cloudwatch, list(severities))
    if not deployed:
        return LivePoll(0, {})
    pending = sorted(_publications(cloudwatch, logs, symptoms, horizon_s), key=lambda p: p.at_s)
    fired: dict[str, float] = {}
    start = next_poll = clock()
    while clock() - start < horizon_s:
        elapsed = clock() - start
        while pending and pending[0].at_s <= elapsed:
            pending.pop(0).send()
        if clock() >= next_poll:
            for name in _in_alarm(cloudwatch, deployed):
                fired.setdefault(name, round(clock() - start, 1))
            next_poll += poll_s
            if any(severities[n] == awaited_severity for n in fired):
                break
        sleep(max(0.0, min(next_poll, start + (pending[0].at_s if pending else horizon_s)) - clock()))
    return LivePoll(len(deployed), fired)


def _publications(cloudwatch: Any, logs: Any, symptoms: Symptoms, horizon_s: float) -> list[_Publication]:
    publications = [
        _Publication(t, partial(_put_datapoint, cloudwatch, series, value))
        for series in symptoms.metrics
        for t, value in series.datapoints(horizon_s)
    ]
    stream = f"drill-symptoms-{int(time.time())}"
    for group in sorted({line.log_group for line in symptoms.log_lines}):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    publications += [
        _Publication(line.at_s, partial(_put_log_line, logs, stream, line)) for line in symptoms.log_lines
    ]
    return publications


def _put_datapoint(cloudwatch: Any, series: MetricSeries, value: float) -> None:
    dimensions = [{"Name": k, "Value": d} for k, d in sorted(series.dimensions.items())]
    cloudwatch.put_metric_data(
        Namespace=series.namespace,
        MetricData=[{"MetricName": series.metric_name, "Value": value, "Dimensions": dimensions}],
    )


def _put_log_line(logs: Any, stream: str, line: LogLine) -> None:
    logs.put_log_events(
        logGroupName=line.log_group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line.message}],
    )


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
