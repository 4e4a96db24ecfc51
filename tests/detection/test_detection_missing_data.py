"""Each treatMissingData value over time, in both directions, on a "no running task" alarm.

The alarm: Maximum < 1 in 3 of 3 one-minute periods; evaluation range N + 2 = 5 periods; the
metric reports 4 every minute before the fault.
"""

from __future__ import annotations

import pytest

from detection import ALARM, INSUFFICIENT_DATA, OK

TREATMENTS = ("breaching", "notBreaching", "missing", "ignore")


@pytest.fixture
def no_task_alarm(make_alarm):
    def build(treatment: str):
        return make_alarm(
            statistic="Maximum",
            comparison_operator="LessThanThreshold",
            threshold=1.0,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data=treatment,
        )

    return build


# The metric stops reporting at the fault. Until 240 s the range still holds 3 or more real
# (good) pre-fault datapoints, or fewer that are not enough to breach 3 of 3; at 300 s the range
# [0, 300) is empty, and only then does the treatment decide.
STOPS_REPORTING = {
    "breaching": [(300, ALARM)],  # missing data makes this alarm fire ...
    "notBreaching": [],  # ... and treated as good it never does.
    "missing": [(300, INSUFFICIENT_DATA)],
    "ignore": [],  # keeps OK
}


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_a_metric_that_stops_reporting(no_task_alarm, run, treatment) -> None:
    result = run(no_task_alarm(treatment), [], steady=4.0, horizon_s=900)
    assert [(t.at_s, t.new_state) for t in result.transitions] == STOPS_REPORTING[treatment]


# The metric reports 0 at 0, 60 and 120 s, then stops. All treatments alarm at 180 s (3 real
# zeros). Then the zeros age out of the range one by one:
#   360 s: range [60, 360) holds 2 real zeros: breaching fills 1 bad -> ALARM; notBreaching
#          fills 1 good -> OK; missing: all real points breach and the oldest is 5 periods old
#          (premature-alarm rule) -> stays ALARM; ignore keeps its state.
#   480 s: range [180, 480) is empty: missing -> INSUFFICIENT_DATA; ignore keeps ALARM.
BREACHES_THEN_STOPS = {
    "breaching": [(180, ALARM)],
    "notBreaching": [(180, ALARM), (360, OK)],
    "missing": [(180, ALARM), (480, INSUFFICIENT_DATA)],
    "ignore": [(180, ALARM)],
}


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_a_metric_that_breaches_then_stops_reporting(no_task_alarm, run, treatment) -> None:
    result = run(no_task_alarm(treatment), [(0, 0.0), (60, 0.0), (120, 0.0)], steady=4.0, horizon_s=900)
    assert [(t.at_s, t.new_state) for t in result.transitions] == BREACHES_THEN_STOPS[treatment]


def test_missing_data_is_not_filled_while_enough_real_points_remain(no_task_alarm, run) -> None:
    # One missing minute among real breaching ones: the evaluation reaches back past the gap
    # to the 3 most recent real points (0 at 0, 60, 180 s), so even notBreaching alarms at 240 s.
    result = run(no_task_alarm("notBreaching"), [(0, 0.0), (60, 0.0), (180, 0.0)], steady=4.0, horizon_s=240)
    assert result.first_firing("test-alarm").at_s == 240
