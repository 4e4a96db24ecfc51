"""A burst of symptoms, then silence: the alarm fires once and comes back to OK for good.

Regression: with 5-minute periods evaluated every minute (sliding windows), an evaluation whose
newest period was empty reached back exactly one period, to a window holding the whole burst,
after later windows had already seen most of it slide out. A 1-of-1 alarm then flapped
ALARM 60 s, OK 360 s, ALARM 420 s, OK 660 s, ALARM 720 s, OK 960 s on a single burst.
"""

from __future__ import annotations

import pytest
import yaml

from detection import ALARM, OK, detect, parse_symptoms
from detection.window import Series, sliding_range
from tests.support.platform_names import CLUSTER

UNAUTHORIZED = f"{CLUSTER}-unauthorized-api-calls"

# P0-C's probing: 15 events at 20, 24, ..., 76 s, straddling the minute at 60 s.
BURST_TIMES = tuple(range(20, 80, 4))

# The same shape as a scenario writes it, into the CloudTrail log group.
PROBING_LOGS = """
logs:
  - name: probing with a leaked key
    log_group: "{cloudtrail_log_group}"
    at_s: 20
    count: 15
    every_s: 4
    event: {eventVersion: "1.08", eventSource: "ec2.amazonaws.com", eventName: DescribeInstances,
            errorCode: "Client.UnauthorizedOperation", sourceIPAddress: "203.0.113.50",
            userIdentity: {type: IAMUser, userName: leaked-user}}
"""


@pytest.fixture
def burst_alarm(make_alarm):
    # The catalog's unauthorized-API-calls alarm, by hand: Sum >= 10 over 300 s, 1 of 1.
    return make_alarm(statistic="Sum", period=300, threshold=10.0, treat_missing_data="notBreaching")


def _changes(result, alarm_name: str = "test-alarm") -> list[tuple[float, str]]:
    return [(t.at_s, t.new_state) for t in result.transitions if t.alarm_name == alarm_name]


def test_a_burst_of_cloudtrail_events_alarms_once_and_returns_to_ok(platform, production_catalog) -> None:
    # 60 s: [-240, 60) holds the 10 events before 60 s -> ALARM. 360 s: [60, 360) holds only the
    # last 5 -> OK. From 420 s the newest period is empty and the most recent real datapoint is
    # still that window of 5: the alarm stays OK until every window has left the range.
    symptoms = parse_symptoms(yaml.safe_load(PROBING_LOGS), platform)
    result = detect(platform, production_catalog, symptoms, horizon_s=3600)
    assert _changes(result, UNAUTHORIZED) == [(60, ALARM), (360, OK)]
    assert [f.alarm_name for f in result.fired].count(UNAUTHORIZED) == 1
    assert result.state_at(UNAUTHORIZED, 3600) == OK


@pytest.mark.parametrize(
    "window, expected",
    [
        # As above: the last window with data holds 5 < 10, and nothing re-counts the burst.
        ("sliding", [(60, ALARM), (360, OK)]),
        # Whole periods only: [0, 300) holds all 15 and is judged at 300 s. It remains the most
        # recent real datapoint of the N + 2 = 3 period range until 1200 s (the guide's rule:
        # with N real points in range, the most recent real ones are judged), then OK for good.
        ("wall_clock", [(300, ALARM), (1200, OK)]),
    ],
)
def test_a_burst_of_datapoints_alarms_once_under_either_window(burst_alarm, run, window, expected) -> None:
    result = run(burst_alarm, [(t, 1.0) for t in BURST_TIMES], horizon_s=3600, window=window)
    assert _changes(result) == expected
    assert len(result.fired) == 1


def test_a_burst_within_one_minute_holds_alarm_until_it_leaves_the_range(burst_alarm, run) -> None:
    # 15 points at 0..42 s: every window ending at 60..300 s holds all of them. From 360 s the
    # newest period is empty; the most recent real datapoint is the window ending at 300 s
    # (15, breaching), which stays in the range [T - 900, T) until 900 s.
    result = run(burst_alarm, [(t, 1.0) for t in range(0, 45, 3)], horizon_s=3600)
    assert _changes(result) == [(60, ALARM), (960, OK)]


def test_the_range_reaches_back_from_the_newest_window_that_held_data() -> None:
    burst = Series([(t, 1.0) for t in BURST_TIMES])
    # At 420 s [120, 420) is empty. The newest window with data ends at 360 s ([60, 360): 5
    # events), the next one a period before it ([-240, 60): 10); [-540, -240) is not wholly
    # inside the range [-480, 420). Not [-180, 120) with all 15 again.
    assert sliding_range(burst, 420, 300, 3, "Sum", 60) == [5.0, 10.0, None]
    # At 720 s the window ending at 360 s is one whole period old.
    assert sliding_range(burst, 720, 300, 3, "Sum", 60) == [None, 5.0, None]
    # Once that window has left the range there is no datapoint at all.
    assert sliding_range(burst, 1020, 300, 3, "Sum", 60) == [None, None, None]


@pytest.mark.parametrize("end", range(60, 1200, 60))
def test_with_data_in_the_newest_period_the_range_is_the_plain_sliding_one(end) -> None:
    steady = Series([(t, 2.0) for t in range(-900, 1200, 60)])
    assert sliding_range(steady, end, 300, 3, "Sum", 60) == steady.periods(end, 300, 3, "Sum")


@pytest.mark.parametrize("window, fires_at", [("sliding", 240), ("wall_clock", 300)])
def test_a_series_that_keeps_breaching_stays_in_alarm(burst_alarm, run, window, fires_at) -> None:
    # 3 a minute from the fault: the fourth minute brings a sliding Sum to 12 >= 10 (240 s);
    # the first whole period [0, 300) sums 15. Every later window holds 15 as well.
    result = run(burst_alarm, [(t, 3.0) for t in range(0, 3600, 60)], horizon_s=3600, window=window)
    assert _changes(result) == [(fires_at, ALARM)]


def test_repeated_bursts_closer_than_a_period_never_let_the_alarm_drop(burst_alarm, run) -> None:
    # 12 points at the start of every 4 minutes: each sliding 5-minute window holds a whole burst.
    bursts = [(start + offset, 1.0) for start in range(0, 3600, 240) for offset in range(0, 48, 4)]
    result = run(burst_alarm, bursts, horizon_s=3600)
    assert _changes(result) == [(60, ALARM)]
