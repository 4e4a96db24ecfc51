"""Repeated measurements summarised: the median with the spread, wall time beside CPU time.

One run says little on a shared 2-core machine; five say how much the number moves. CPU time
is steadier than wall time under other load, so both are kept.
"""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T")


def spread(values: Iterable[float], digits: int = 3) -> dict[str, Any]:
    """``{"median", "min", "max", "n"}`` of ``values`` (at least one)."""
    numbers = sorted(values)
    if not numbers:
        raise ValueError("no measurements to summarise")
    return {
        "median": round(statistics.median(numbers), digits),
        "min": round(numbers[0], digits),
        "max": round(numbers[-1], digits),
        "n": len(numbers),
    }


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float  # this process's CPU (every thread) plus that of the children it waited for


def timed(step: Callable[[], T]) -> tuple[T, Timing]:
    """Run ``step``; its result and its wall and CPU time (children included once reaped)."""
    cpu_before, wall_before = _cpu_now(), time.perf_counter()
    result = step()
    return result, Timing(time.perf_counter() - wall_before, _cpu_now() - cpu_before)


def summarise(timings: list[Timing]) -> dict[str, Any]:
    return {
        "wall_s": spread(t.wall_s for t in timings),
        "cpu_s": spread(t.cpu_s for t in timings),
    }


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
