"""What a fault makes observable, in simulated seconds after the fault (t = 0).

``Symptoms`` is plain data: metric series (explicit points and/or a value held every
``every_s`` seconds) and log lines. The evaluator adds the platform's steady state (see
``baseline.py``) around them, so a scenario only describes what the fault changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from .exceptions import SymptomError


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One CloudWatch metric series: namespace, name and the exact set of dimensions.

    CloudWatch treats every distinct dimension set as a separate metric, so a series with an
    extra or a missing dimension is a different series and feeds no alarm on this one.
    """

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, namespace: str, metric_name: str, dimensions: Mapping[str, str] | None = None) -> "SeriesKey":
        return cls(namespace, metric_name, tuple(sorted((dimensions or {}).items())))

    def __str__(self) -> str:
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace} {self.metric_name}" + (f"{{{dims}}}" if dims else "")


def sample_times(start_s: float, until_s: float, every_s: float) -> Iterator[float]:
    """``start_s``, ``start_s + every_s``, ... while before ``until_s``."""
    step = 0
    while (t := start_s + step * every_s) < until_s:
        yield t
        step += 1


def _check_time(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SymptomError(f"{what}: expected a number of seconds, got {value!r}")
    if value < 0:
        raise SymptomError(f"{what}: {value} is before the fault (t = 0); symptoms start at 0")


@dataclass(frozen=True)
class Hold:
    """The metric reports ``value`` every ``every_s`` seconds from its series' ``from_s``
    until ``to_s`` (exclusive; ``None``: until the evaluation horizon)."""

    value: float
    every_s: float = 60.0
    to_s: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.every_s, bool) or not isinstance(self.every_s, (int, float)) or self.every_s <= 0:
            raise SymptomError(f"every_s: expected a positive number of seconds, got {self.every_s!r}")
        if self.to_s is not None:
            _check_time(self.to_s, "to_s")


@dataclass(frozen=True)
class MetricSeries:
    """Datapoints one metric series reports after the fault.

    From ``from_s`` on, this series replaces the metric's steady state: only ``points`` and
    ``hold`` exist, and any period without them is missing data (e.g. a metric that stops
    reporting is a series with no points). Before ``from_s`` the steady state continues.
    """

    namespace: str
    metric_name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    points: tuple[tuple[float, float], ...] = ()
    from_s: float = 0.0
    hold: Hold | None = None

    def __post_init__(self) -> None:
        _check_time(self.from_s, f"{self.key}: from_s")
        for t, value in self.points:
            _check_time(t, f"{self.key}: point time")
            if t < self.from_s:
                raise SymptomError(f"{self.key}: point at {t} s is before from_s ({self.from_s} s)")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SymptomError(f"{self.key}: point value {value!r} at {t} s is not a number")
        if self.hold is not None and self.hold.to_s is not None and self.hold.to_s < self.from_s:
            raise SymptomError(f"{self.key}: to_s ({self.hold.to_s}) is before from_s ({self.from_s})")

    @property
    def key(self) -> SeriesKey:
        return SeriesKey.of(self.namespace, self.metric_name, self.dimensions)

    def datapoints(self, until_s: float) -> Iterator[tuple[float, float]]:
        """Every (t, value) before ``until_s``: explicit points, then the held value's samples."""
        yield from ((t, float(v)) for t, v in self.points if t < until_s)
        if self.hold is None:
            return
        end = until_s if self.hold.to_s is None else min(self.hold.to_s, until_s)
        yield from ((t, float(self.hold.value)) for t in sample_times(self.from_s, end, self.hold.every_s))


@dataclass(frozen=True)
class LogLine:
    """One log event ingested into ``log_group`` at ``at_s`` seconds after the fault."""

    log_group: str
    at_s: float
    message: str

    def __post_init__(self) -> None:
        _check_time(self.at_s, f"log line in {self.log_group}")
        if not isinstance(self.message, str):
            raise SymptomError(f"log line in {self.log_group} at {self.at_s} s: message must be text")


# A steady-state value per "Namespace MetricName": a number, a "{desired_count}" template, or
# None (the metric publishes nothing when all is well).
SteadyStateOverrides = Mapping[str, "float | str | None"]


@dataclass(frozen=True)
class Symptoms:
    """Everything a fault makes observable, plus the scenario's steady-state overrides."""

    metrics: tuple[MetricSeries, ...] = ()
    log_lines: tuple[LogLine, ...] = ()
    steady_state: SteadyStateOverrides = field(default_factory=dict)

    def series_keys(self) -> frozenset[SeriesKey]:
        return frozenset(series.key for series in self.metrics)
