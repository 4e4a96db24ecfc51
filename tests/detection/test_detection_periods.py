"""Periods, windows and cadence decide how early an alarm can fire."""

from __future__ import annotations

import dataclasses

import pytest

from detection import ALARM, DetectionError, MetricSeries, Symptoms, detect
from tests.support.platform_names import CLUSTER

P0_ACKNOWLEDGE_S = 15 * 60  # the guide: P0 acknowledged within 15 minutes


def test_an_hourly_period_cannot_page_within_the_p0_window(platform, production_catalog) -> None:
    # fastify-nova's "no running task" alarm with a one-hour period (1 of 1, Maximum < 1). The
    # sliding hour [T - 3600, T) holds a pre-fault datapoint of 4 (the last at -60 s) until
    # T - 3600 > -60, so the first evaluation that sees only zeros is T = 3600 s.
    alarm = next(
        a for a in production_catalog.metric_alarms if a.name == f"{CLUSTER}-fastify-nova-no-running-tasks"
    )
    hourly = dataclasses.replace(alarm, period=3600, evaluation_periods=1, datapoints_to_alarm=1)
    catalog = dataclasses.replace(production_catalog, metric_alarms=(hourly,), composite_alarms=())
    symptoms = Symptoms(
        (
            MetricSeries(
                "ECS/ContainerInsights",
                "RunningTaskCount",
                dict(alarm.dimensions),
                from_s=0,
                points=tuple((t, 0.0) for t in range(0, 4000, 60)),
            ),
        )
    )
    assert detect(platform, catalog, symptoms, horizon_s=P0_ACKNOWLEDGE_S).fired == ()
    assert detect(platform, catalog, symptoms, horizon_s=4000).first_firing(alarm.name).at_s == 3600


@pytest.mark.parametrize(
    "window, fires_at",
    [
        # Sliding (CloudWatch's default): at 60 s the period [-240, 60) already holds all 5 errors.
        ("sliding", 60),
        # Wall clock: only complete periods aligned to 300 s count; [0, 300) is judged at 300 s.
        ("wall_clock", 300),
    ],
)
def test_sliding_and_wall_clock_windows(make_alarm, run, window, fires_at) -> None:
    alarm = make_alarm(statistic="Sum", period=300, threshold=5.0, treat_missing_data="notBreaching")
    errors = [(t, 1.0) for t in range(0, 50, 10)]
    assert run(alarm, errors, horizon_s=600, window=window).first_firing("test-alarm").at_s == fires_at


def test_high_resolution_alarms_are_evaluated_every_ten_seconds(make_alarm, run) -> None:
    alarm = make_alarm(period=10, threshold=5.0)
    assert run(alarm, [(0, 9.0)], horizon_s=60).first_firing("test-alarm").at_s == 10


def test_the_fault_instant_is_never_evaluated_and_state_starts_ok(make_alarm, run) -> None:
    result = run(make_alarm(), [(0, 9.0)], horizon_s=120)
    assert result.state_at("test-alarm", 59) == "OK"
    assert result.state_at("test-alarm", 60) == ALARM


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(horizon_s=0), "horizon_s"),
        (dict(horizon_s=60, window="calendar"), "window"),
        (dict(horizon_s=60, range_extra=-1), "range_extra"),
    ],
)
def test_bad_options_are_refused(make_alarm, run, options, message) -> None:
    with pytest.raises(DetectionError, match=message):
        run(make_alarm(), [], **options)
