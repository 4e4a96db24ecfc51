"""Driving a drill subprocess as a user would: start it with Ctrl-C at its default, read its
stderr line by line, and pause the emulator at a moment the drill is between AWS calls, to signal
or kill it at a known point. And running a drill in this process, for tests of what the drill
does rather than of its process."""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, Iterator, Sequence

WAIT_S = 60.0
ROOT = Path(__file__).resolve().parents[2]


def _sigint_at_default() -> None:
    """In the child, before it runs the drill: SIGINT at its default disposition. A shell that
    starts pytest as a background job (``pytest ... &`` in a script) sets SIGINT to ignored for
    it, every child inherits that, and Python keeps an inherited SIG_IGN: the drill would never
    see the Ctrl-C the test sends, and the signal tests would depend on how pytest was started."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_drill(argv: Sequence[str], **options: Any) -> subprocess.Popen:
    """``python -m drills <argv>`` as a user's terminal starts it (Ctrl-C delivered as Ctrl-C)."""
    return subprocess.Popen(
        [sys.executable, "-m", "drills", *argv], cwd=ROOT, preexec_fn=_sigint_at_default, **options
    )


def run_drill_in_process(argv: Sequence[str]) -> subprocess.CompletedProcess:
    """``python -m drills <argv>`` through its entry point (``drills.cli.main``) in this process,
    its stdout and stderr captured: the same command line, parsing, target, runner and reports,
    without a Python start-up and imports per drill. For tests of the drill's behaviour; the
    process itself (signals, exit on kill, the embedded emulator's lifetime) is tested with
    ``start_drill``. Returns what ``subprocess.run`` would; an exception the command does not
    turn into an exit code propagates (a subprocess would exit 1 with its traceback)."""
    from drills.cli import main

    out, err = io.StringIO(), io.StringIO()
    sigterm = signal.getsignal(signal.SIGTERM)  # the command installs its own
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    return subprocess.CompletedProcess(
        ["python", "-m", "drills", *argv], code, out.getvalue(), err.getvalue()
    )


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
