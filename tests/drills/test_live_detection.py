"""Live detection publishes the symptoms on their schedule and polls the deployed alarms.

CloudWatch is scripted here (no real account): it answers like the real DescribeAlarms and
puts the composite alarm in ALARM at a chosen second, on a fake clock.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from alarm_catalog import expand
from detection import parse_symptoms
from drills.detection_phase import DetectionSpec, detect_live
from stack_config import load_platform
from tests.support.platform_names import CLUSTER

SCENARIO = yaml.safe_load(Path("drills/scenarios/p0-a.yaml").read_text())
COMPOSITE = f"{CLUSTER}-all-services-down"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.001)


class ScriptedCloudWatch:
    def __init__(self, clock: FakeClock, deployed: bool, alarm_at: dict[str, float]) -> None:
        self.clock, self.deployed, self.alarm_at = clock, deployed, alarm_at
        self.published: list[tuple[float, str]] = []

    def describe_alarms(self, AlarmNames, AlarmTypes, StateValue=None):  # noqa: N803 - boto3 names
        names = [n for n in AlarmNames if self.deployed]
        if StateValue == "ALARM":
            names = [n for n in names if self.alarm_at.get(n, float("inf")) <= self.clock.now]
        return {"MetricAlarms": [{"AlarmName": n} for n in names], "CompositeAlarms": []}

    def put_metric_data(self, Namespace, MetricData):  # noqa: N803
        self.published.append((self.clock.now, MetricData[0]["MetricName"]))


class ScriptedLogs:
    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.lines = clock, []

    def create_log_stream(self, logGroupName, logStreamName):  # noqa: N803
        pass

    def put_log_events(self, logGroupName, logStreamName, logEvents):  # noqa: N803
        self.lines.append((self.clock.now, logGroupName))


def _detect(platform, deployed: bool, alarm_at: dict[str, float]):
    clock = FakeClock()
    cloudwatch, logs = ScriptedCloudWatch(clock, deployed, alarm_at), ScriptedLogs(clock)
    outcome = detect_live(
        cloudwatch,
        logs,
        DetectionSpec("P0", 1800),
        parse_symptoms(SCENARIO["symptoms"], platform),
        expand(platform),
        platform,
        "P0",
        clock=clock,
        sleep=clock.sleep,
        poll_s=15,
    )
    return outcome, cloudwatch, logs


def test_pages_when_the_deployed_composite_goes_to_alarm(platform) -> None:
    outcome, cloudwatch, logs = _detect(platform, True, {COMPOSITE: 200})
    assert outcome.passed is True and outcome.time_to_detect_s == 210  # first poll after 200 s
    assert outcome.detail.startswith(f"{COMPOSITE} went to ALARM at +210s")
    # Published on schedule: the first RunningTaskCount points at t=0, crash lines from t=5 s.
    assert cloudwatch.published[0] == (0.0, "RunningTaskCount")
    assert min(t for t, _ in logs.lines) >= 5 and len(logs.lines) == 5 * 20
    assert all(t <= 210 for t, _ in cloudwatch.published)  # stopped once P0 paged


def test_too_late_for_the_sla_fails(platform) -> None:
    outcome, _, _ = _detect(platform, True, {COMPOSITE: 1000})
    assert outcome.passed is False and "later than the P0 SLA of 900s" in outcome.detail


def test_never_paging_fails_at_the_horizon(platform) -> None:
    outcome, _, _ = _detect(platform, True, {f"{CLUSTER}-storefront-no-running-tasks": 100})
    assert outcome.passed is False and outcome.detail == "P0 never paged within 1800s (live CloudWatch)"


def test_undeployed_alarms_are_not_covered_rather_than_failed(platform) -> None:
    outcome, cloudwatch, _ = _detect(platform, False, {})
    assert outcome.passed is None and "deploy the stack" in outcome.detail
    assert cloudwatch.published == []


def test_on_staging_the_composite_raises_the_level_the_catalog_deploys_there() -> None:
    """Staging's alarms are P3 issues (the guide): the P0 drill waits for those, not for a page."""
    staging = load_platform("staging")
    outcome, _, _ = _detect(staging, True, {f"{staging.cluster}-all-services-down": 200})
    assert outcome.passed is True and outcome.time_to_detect_s == 210
    assert outcome.detail.endswith("(a non-production stack raises the guide's P0 as P3)")
