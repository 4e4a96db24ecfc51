"""Hold Ctrl-C and SIGTERM while a fault is injected or undone, so neither is left half-done.

The CLI turns both signals into KeyboardInterrupt, which the runner answers by undoing every
injected fault. A second signal arriving *during* that undo (an impatient Ctrl-C, or a CI
runner's SIGTERM after a SIGINT) would otherwise abort the undo and leave faults behind; one
arriving during an injection would leave a fault that was never recorded, hence never undone.
Inside ``signals_held`` a signal is only noted (and acknowledged on stderr); the caller acts on
it once the critical section is over.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from .console import write_stderr_raw

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class HeldSignals:
    received: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.received)


@contextmanager
def signals_held(doing: str, announce: str | None = None) -> Iterator[HeldSignals]:
    """Note SIGINT/SIGTERM instead of acting on them until the block ends; ``doing`` says what
    is being finished first, ``announce`` (if given) is written once signals are held. Signals
    can only be handled in the main thread: elsewhere this holds nothing (and no signal arrives
    there anyway). A signal ignored on entry stays ignored: a drill started in the background
    (``nohup``, a script's ``&``) inherits SIGINT ignored and honours that throughout, rather
    than only while a fault is injected or undone."""
    held = HeldSignals()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def note(signum: int, _frame: object) -> None:
        held.received.append(signum)
        # os.write, not print: a handler may run while the main thread is inside print();
        # and never raising: a dead pipe must not abort what the signal is waiting for.
        write_stderr_raw(f"{signal.Signals(signum).name} received: {doing} first\n")

    previous = {
        number: signal.signal(number, note)
        for number in HELD_SIGNALS
        if signal.getsignal(number) is not signal.SIG_IGN
    }
    try:
        if announce:
            write_stderr_raw(f"{announce}\n")
        yield held
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
