"""Per-period statistics, M of N, comparison operators and the missing-data tables of the docs."""

from __future__ import annotations

import pytest

from detection import ALARM, INSUFFICIENT_DATA, OK
from detection.window import Series, aggregate, evaluate_window

# Two one-minute periods: [0, 60) holds 1, 5, 3; [60, 120) holds 7. Newest period first.
POINTS = [(0, 1.0), (20, 5.0), (59.9, 3.0), (60, 7.0)]


@pytest.mark.parametrize(
    "statistic, expected",
    [
        ("Sum", [7.0, 9.0]),
        ("Average", [7.0, 3.0]),
        ("Minimum", [7.0, 1.0]),
        ("Maximum", [7.0, 5.0]),
        ("SampleCount", [1.0, 3.0]),
        ("p50", [7.0, 3.0]),  # nearest rank: ceil(0.5 * 3) = 2nd of 1, 3, 5
        ("p100", [7.0, 5.0]),
    ],
)
def test_each_statistic_aggregates_raw_datapoints_per_period(statistic, expected) -> None:
    assert Series(POINTS).periods(end=120, period=60, count=2, statistic=statistic) == expected


def test_a_period_is_half_open_and_an_empty_one_is_missing() -> None:
    series = Series([(60, 7.0)])
    # The point at exactly 60 s belongs to [60, 120), not to [0, 60); [120, 180) is empty.
    assert series.periods(end=180, period=60, count=3, statistic="Sum") == [None, 7.0, None]


def test_a_five_minute_period_sums_five_one_minute_datapoints() -> None:
    series = Series([(t, 2.0) for t in range(0, 600, 60)])
    assert series.periods(end=600, period=300, count=3, statistic="Sum") == [10.0, 10.0, None]


def test_an_unknown_statistic_is_refused() -> None:
    from detection import DetectionError

    with pytest.raises(DetectionError, match="not modelled"):
        aggregate([1.0], "Median")


# The two tables of "How alarm state is evaluated when data is missing" (CloudWatch user guide),
# transcribed: datapoints oldest -> newest over an evaluation range of 5, "X" breaching, "0" not
# breaching, "-" missing; then the state per treatment (None: the alarm keeps its state).
DOC_TABLES = [
    # N=3, M=3
    (3, 3, "0 - X - X", dict(missing=OK, ignore=OK, breaching=OK, notBreaching=OK)),
    (3, 3, "0 - - - -", dict(missing=OK, ignore=OK, breaching=OK, notBreaching=OK)),
    (3, 3, "- - - - -", dict(missing=INSUFFICIENT_DATA, ignore=None, breaching=ALARM, notBreaching=OK)),
    (3, 3, "0 X X - X", dict(missing=ALARM, ignore=ALARM, breaching=ALARM, notBreaching=ALARM)),
    (3, 3, "- - X - -", dict(missing=ALARM, ignore=None, breaching=ALARM, notBreaching=OK)),
    # N=3, M=2
    (3, 2, "0 - X - X", dict(missing=ALARM, ignore=ALARM, breaching=ALARM, notBreaching=ALARM)),
    (3, 2, "0 0 X 0 X", dict(missing=ALARM, ignore=ALARM, breaching=ALARM, notBreaching=ALARM)),
    (3, 2, "0 - X - -", dict(missing=OK, ignore=OK, breaching=ALARM, notBreaching=OK)),
    (3, 2, "- - - - 0", dict(missing=OK, ignore=OK, breaching=ALARM, notBreaching=OK)),
    (3, 2, "- - - X -", dict(missing=ALARM, ignore=None, breaching=ALARM, notBreaching=OK)),
]
_VALUE = {"X": 5.0, "0": 0.0, "-": None}


@pytest.mark.parametrize("n, m, row, expected", DOC_TABLES)
@pytest.mark.parametrize("treatment", ["missing", "ignore", "breaching", "notBreaching"])
def test_missing_data_tables_of_the_cloudwatch_guide(make_alarm, n, m, row, expected, treatment) -> None:
    alarm = make_alarm(
        evaluation_periods=n, datapoints_to_alarm=m, threshold=1.0, treat_missing_data=treatment
    )
    newest_first = [_VALUE[cell] for cell in reversed(row.split())]
    assert evaluate_window(newest_first, alarm).state == expected[treatment]


def test_premature_alarm_rule_waits_for_an_old_enough_breach(make_alarm) -> None:
    # "- - - - X" and "- - - X -" with M=3 do not alarm yet: the next point may be good.
    alarm = make_alarm(evaluation_periods=3, datapoints_to_alarm=3, treat_missing_data="missing")
    assert evaluate_window([5.0, None, None, None, None], alarm).state == OK
    assert evaluate_window([None, 5.0, None, None, None], alarm).state == OK


def test_three_of_five_with_a_gap_fires_when_the_third_breach_arrives(make_alarm, run) -> None:
    # Datapoints X 0 X - X at 0, 60, 120, (none at 180), 240; nothing before the fault.
    # At 240 the range [-180, 240) holds X 0 X: 2 breaches, 3 real points, 2 filled as good -> OK.
    # At 300 it holds X 0 X - X: 4 real points (< N = 5), 3 breaching, 1 filled as good -> ALARM.
    # The range is N + 2 = 7 periods, so at 480 ([60, 480)) the X of t = 0 has left it -> OK.
    alarm = make_alarm(
        evaluation_periods=5, datapoints_to_alarm=3, threshold=10.0, treat_missing_data="notBreaching"
    )
    result = run(alarm, [(0, 20.0), (60, 0.0), (120, 20.0), (240, 20.0)], horizon_s=600)
    assert [(t.at_s, t.new_state) for t in result.transitions] == [(300, ALARM), (480, OK)]


def test_two_breaches_out_of_five_never_reach_three(make_alarm, run) -> None:
    alarm = make_alarm(
        evaluation_periods=5, datapoints_to_alarm=3, threshold=10.0, treat_missing_data="notBreaching"
    )
    result = run(alarm, [(0, 20.0), (60, 0.0), (120, 0.0), (180, 20.0), (240, 0.0)], horizon_s=600)
    assert result.fired == ()
    assert result.state_at("test-alarm", 600) == OK


@pytest.mark.parametrize(
    "operator, below, equal, above",
    [
        ("GreaterThanOrEqualToThreshold", False, True, True),
        ("GreaterThanThreshold", False, False, True),
        ("LessThanThreshold", True, False, False),
        ("LessThanOrEqualToThreshold", True, True, False),
    ],
)
def test_each_comparison_operator_at_the_threshold(make_alarm, run, operator, below, equal, above) -> None:
    alarm = make_alarm(comparison_operator=operator, threshold=10.0)
    for value, expected in ((9.0, below), (10.0, equal), (11.0, above)):
        assert alarm.breaches(value) is expected
        # One datapoint at t = 0 decides a 1-of-1 alarm at the first evaluation (60 s).
        result = run(alarm, [(0, value)], horizon_s=60)
        assert result.state_at("test-alarm", 60) == (ALARM if expected else OK), value
