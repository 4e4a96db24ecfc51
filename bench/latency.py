"""Modelled AWS latency: every API call made through the given clients waits a fixed delay.

The emulator answers in ~4 ms in-process; AWS answers in tens of milliseconds. Without a
modelled delay a parallel fan-out would look no faster than a loop, because there would be
nothing to overlap. The delay is applied at botocore's ``before-call`` event, once per API call
(each page of a paginated listing is a call), to both variants alike.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, Callable


class ModelledLatency:
    """``with ModelledLatency([ecs, ssm], 0.05) as calls:`` — delayed calls, recorded as they go."""

    def __init__(
        self, clients: list[Any], delay_s: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._clients = clients
        self._delay_s = delay_s
        self._sleep = sleep
        self._lock = threading.Lock()
        self.calls: list[tuple[str, float]] = []  # (operation, perf_counter when issued)

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls.append((model.name, time.perf_counter()))
        self._sleep(self._delay_s)

    def times_of(self, operation: str) -> list[float]:
        return sorted(at for name, at in self.calls if name == operation)

    def __enter__(self) -> "ModelledLatency":
        for client in self._clients:
            client.meta.events.register("before-call", self._on_call)
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call", self._on_call)
