"""Driving a drill subprocess as a user would: read its stderr line by line, and pause the
emulator at a moment the drill is between AWS calls, to signal or kill it at a known point."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

WAIT_S = 60.0


class Lines:
    """A child's stderr, read line by line in the background."""

    def __init__(self, stream) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, *words: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if all(word in line for word in words):
                return line
        raise AssertionError(f"drill never printed {words}; stderr so far:\n{''.join(self.seen)}")

    def rest(self) -> str:
        while (line := self._queue.get(timeout=WAIT_S)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


@contextmanager
def paused_outside_a_fan_out(emulator_pid: int, drill_pid: int) -> Iterator[None]:
    """Pause the emulator at a moment the drill runs no worker threads: a drill interrupted
    inside a fan-out first waits for its workers, which would wait for the paused emulator."""
    for _ in range(1000):
        os.kill(emulator_pid, signal.SIGSTOP)
        if len(os.listdir(f"/proc/{drill_pid}/task")) == 1:
            break
        os.kill(emulator_pid, signal.SIGCONT)
        time.sleep(0.002)
    else:
        os.kill(emulator_pid, signal.SIGCONT)
        raise AssertionError("the drill never left its fan-outs")
    try:
        yield
    finally:  # never leave the shared emulator stopped
        os.kill(emulator_pid, signal.SIGCONT)
