"""Offline detection evaluator: which catalog alarms a fault's symptoms set off, and when.

Pure Python, no AWS: given the alarm catalog of a platform and the symptoms a fault produces
(metric datapoints and log lines over simulated seconds after the fault), it replays
CloudWatch's alarm evaluation and says which alarms go to ALARM, at what second, and which
severity (topic) they page. Typical use by the drill runner::

    catalog = alarm_catalog.expand(platform)
    symptoms = parse_symptoms(scenario_data["symptoms"], platform)
    result = detect(platform, catalog, symptoms, horizon_s=1800)
    page = result.first_page("P0")          # Firing | None, page.at_s in seconds

Semantics and their sources: window.py (periods, M of N, missing data), filter_pattern.py
(log filter patterns), log_metrics.py (metric filters), baseline.py (the steady state),
evaluate.py (time, composites). ``live`` publishes symptoms to a target whose CloudWatch
evaluates alarms itself and polls them. It imports only ``alarm_catalog`` and ``stack_config``.
"""

from .baseline import DEFAULT_STEADY_STATE, NO_STEADY_STATE, Baseline, steady_state
from .evaluate import WINDOWS, Detection, Firing, Transition, detect, evaluate_detection
from .exceptions import DetectionError, FilterPatternError, SymptomError
from .filter_pattern import compile_pattern
from .parse import parse_symptoms
from .symptoms import Hold, LogLine, MetricSeries, SeriesKey, Symptoms
from .window import ALARM, DEFAULT_RANGE_EXTRA, INSUFFICIENT_DATA, OK

__all__ = [
    "live",
    "ALARM",
    "DEFAULT_RANGE_EXTRA",
    "DEFAULT_STEADY_STATE",
    "INSUFFICIENT_DATA",
    "NO_STEADY_STATE",
    "OK",
    "WINDOWS",
    "Baseline",
    "Detection",
    "DetectionError",
    "FilterPatternError",
    "Firing",
    "Hold",
    "LogLine",
    "MetricSeries",
    "SeriesKey",
    "SymptomError",
    "Symptoms",
    "Transition",
    "compile_pattern",
    "detect",
    "evaluate_detection",
    "parse_symptoms",
    "steady_state",
]
