"""A fake clock for token buckets: time moves only when a caller sleeps, so no test waits."""

from __future__ import annotations

import threading

import pytest


class FakeClock:
    def __init__(self, advance_on_sleep: bool = True) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._advance = advance_on_sleep
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self._advance:
                self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """Sleeping advances the clock: one caller at a time, as a single thread sees it."""
    return FakeClock()


@pytest.fixture
def frozen_clock() -> FakeClock:
    """Sleeping records the wait but time stands still: concurrent callers each see their own
    reserved wait, whatever order the threads run in."""
    return FakeClock(advance_on_sleep=False)
