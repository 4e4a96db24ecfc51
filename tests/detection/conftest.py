"""Factories for hand-built alarms and one-alarm evaluations (no AWS anywhere)."""

from __future__ import annotations

from typing import Callable

import pytest

from alarm_catalog import Catalog, CompositeAlarm, MetricAlarm, expand
from detection import (
    NO_STEADY_STATE,
    Baseline,
    Detection,
    MetricSeries,
    SeriesKey,
    Symptoms,
    evaluate_detection,
)

NAMESPACE, METRIC = "Test/Drill", "Signal"


@pytest.fixture(scope="session")
def production_catalog(platform) -> Catalog:
    return expand(platform)


def _alarm(**overrides) -> MetricAlarm:
    fields = dict(
        name="test-alarm",
        severity="P1",
        guide_severity="P1",
        guide_section="P0-A",
        description="a hand-built alarm",
        namespace=NAMESPACE,
        metric_name=METRIC,
        dimensions={},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        threshold=1.0,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="missing",
        template="test",
    )
    fields.update(overrides)
    return MetricAlarm(**fields)


@pytest.fixture
def make_alarm() -> Callable[..., MetricAlarm]:
    return _alarm


def _run(
    alarms,
    points=(),
    *,
    horizon_s: float = 1800,
    steady: float | None = None,
    composites: tuple[CompositeAlarm, ...] = (),
    **options,
) -> Detection:
    """Evaluate ``alarms`` (all on the test series) given ``points`` after the fault.

    ``steady``: the series' value before the fault (None: no datapoints before the fault).
    """
    alarms = (alarms,) if isinstance(alarms, MetricAlarm) else tuple(alarms)
    key = SeriesKey.of(NAMESPACE, METRIC)
    baseline = Baseline({key: steady}) if steady is not None else NO_STEADY_STATE
    symptoms = Symptoms((MetricSeries(NAMESPACE, METRIC, {}, tuple(points)),))
    return evaluate_detection(
        Catalog(alarms, (), composites), symptoms, horizon_s=horizon_s, baseline=baseline, **options
    )


@pytest.fixture
def run() -> Callable[..., Detection]:
    return _run


def every_minute(value: float, start_s: int = 0, end_s: int = 1800) -> list[tuple[int, float]]:
    return [(t, value) for t in range(start_s, end_s, 60)]


@pytest.fixture
def minutes() -> Callable[..., list[tuple[int, float]]]:
    return every_minute
