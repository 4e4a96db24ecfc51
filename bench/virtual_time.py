"""Model time for threaded code: it stands still while any participating thread works, and jumps to
the next wake-up when every one of them sleeps on it.

CPU time costs no model time, so a slow or loaded machine changes the wall time of a test, never
what the model sees: 8 threads each waiting 50 ms of latency make 160 calls a (model) second on
any machine. The participants are the thread that runs the scenario and the workers of the pools
``VirtualClock.pool`` makes (in place of ``ThreadPoolExecutor``: a thread that waits for its pool
is not a participant). Every wait of the scenario must go through ``sleep``: the buckets, the
model's latency, botocore's retry backoff (``botocore.endpoint.time``).

If every sleeper has waited ``stall_s`` of real time with no progress (a participant blocked on
something else), the clock jumps anyway and counts it in ``stalls``, rather than hang.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator


class VirtualClock:
    def __init__(self, stall_s: float = 2.0) -> None:
        self._now = 0.0
        self._stall_s = stall_s
        self._cond = threading.Condition()
        self._participants = 0
        self._wakes: list[float] = []  # one wake-up time per sleeping participant
        self._progress = 0
        self.stalls = 0

    def __call__(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._cond:
            wake = self._now + seconds
            self._wakes.append(wake)
            self._moved()
            while self._now < wake:
                seen = self._progress
                if not self._cond.wait(self._stall_s) and seen == self._progress:
                    self.stalls += 1
                    self._jump()
            self._wakes.remove(wake)
            self._progress += 1

    @contextmanager
    def participant(self) -> Iterator[VirtualClock]:
        """The calling thread's waits and work count, for the duration."""
        self._join(1)
        try:
            yield self
        finally:
            self._join(-1)

    def pool(self, max_workers: int) -> VirtualTimePool:
        return VirtualTimePool(self, max_workers)

    def _join(self, participants: int) -> None:
        with self._cond:
            self._participants += participants
            self._moved()

    def _moved(self) -> None:
        self._progress += 1
        if self._wakes and len(self._wakes) >= self._participants:
            self._jump()

    def _jump(self) -> None:
        # A sleeper already due (woken, not yet gone) keeps the time where it is.
        self._now = max(self._now, min(self._wakes))
        self._cond.notify_all()


class VirtualTimePool:
    """``ThreadPoolExecutor``'s part in ``fan_out`` (``with`` and ``map``), on ``max_workers``
    threads that participate in the clock while they have items; results in input order, the
    first exception (in input order) raised."""

    def __init__(self, clock: VirtualClock, max_workers: int) -> None:
        self._clock, self._max_workers = clock, max_workers

    def __enter__(self) -> VirtualTimePool:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        items = list(items)
        outcomes: list[tuple[bool, Any]] = [(True, None)] * len(items)
        indexes = iter(range(len(items)))
        lock = threading.Lock()
        workers = min(self._max_workers, len(items))

        def work() -> None:
            try:
                while True:
                    with lock:
                        index = next(indexes, None)
                    if index is None:
                        return
                    try:
                        outcomes[index] = (True, function(items[index]))
                    except BaseException as error:  # re-raised below, in the caller's thread
                        outcomes[index] = (False, error)
            finally:
                self._clock._join(-1)

        self._clock._join(workers - 1)  # the workers work; this thread only waits for them
        threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self._clock._join(1)
        for ok, value in outcomes:
            if not ok:
                raise value
        return [value for _, value in outcomes]
