"""Run independent AWS calls concurrently with a bounded pool, keeping input order."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

from .constants import MAX_PARALLEL_CALLS

T = TypeVar("T")
R = TypeVar("R")


def fan_out(function: Callable[[T], R], items: Iterable[T],
            max_workers: int = MAX_PARALLEL_CALLS) -> list[R]:
    """``[function(item) for item in items]`` in parallel; the first exception propagates."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(function, items))
