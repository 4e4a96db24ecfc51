"""What a run tells its subscribers (progress output, the game day, tests), as chaostoolkit-lib's
``RunEventHandler`` and ``EventHandlerRegistry`` do: the Runner says what happened, once, and
subscribers decide what to do with it instead of reaching into the Runner."""

from __future__ import annotations

import sys
from typing import Any, Iterable

from .journal import CheckRecord, Journal, StepRecord


class RunEventHandler:
    """Subscribe by overriding the events you need; every event is a no-op here.

    Records arrive already written into the run's journal, which stays the one record reports
    are rendered from: handlers observe the run, they do not keep its account.
    """

    def run_started(self, journal: Journal) -> None:
        """Before the first phase: the journal names the scenario, target, run and incident."""

    def step_started(self, record: StepRecord) -> None:
        """A step (probe, fault, action, detection) begins. Records with nothing to run (a
        skipped step, an SLA or response verdict) arrive only as ``step_finished``."""

    def step_finished(self, record: StepRecord) -> None:
        """A record joined the journal's timeline, with its status, detail and duration."""

    def fault_injected(self, record: StepRecord) -> None:
        """A fault step's change is applied and journalled (its record is not finished yet)."""

    def fault_undone(self, record: StepRecord) -> None:
        """A record joined the journal's undo list: a journalled change undone (fault or
        action), or the undo's failure to do so or to close the fault journal."""

    def check_recorded(self, check: CheckRecord) -> None:
        """A check joined the journal's checks: a probe's or an expectation's while its step
        runs, a verdict's (detection, SLA, response) right after its step finished."""

    def run_finished(self, journal: Journal) -> None:
        """After the undo, with the run's final status (also when interrupted)."""


# Ctrl-C and SIGTERM are held during the undo, so an interrupt raised in its event is a
# handler's own doing, and acting on it would leave faults behind.
_DURING_UNDO = frozenset({"fault_undone"})


class EventRegistry:
    """Calls each handler in subscription order; a handler that raises is reported on stderr in
    one line and kept out of the run: a progress printer writing to a closed pipe must not stop
    the drill, and above all not its undo."""

    def __init__(self, handlers: Iterable[RunEventHandler] = ()) -> None:
        self._handlers = list(handlers)
        self.failures: list[str] = []  # one line per failed call, for tests and the curious

    def subscribe(self, handler: RunEventHandler) -> None:
        self._handlers.append(handler)

    def run_started(self, journal: Journal) -> None:
        self._emit("run_started", journal)

    def step_started(self, record: StepRecord) -> None:
        self._emit("step_started", record)

    def step_finished(self, record: StepRecord) -> None:
        self._emit("step_finished", record)

    def fault_injected(self, record: StepRecord) -> None:
        self._emit("fault_injected", record)

    def fault_undone(self, record: StepRecord) -> None:
        self._emit("fault_undone", record)

    def check_recorded(self, check: CheckRecord) -> None:
        self._emit("check_recorded", check)

    def run_finished(self, journal: Journal) -> None:
        self._emit("run_finished", journal)

    def _emit(self, event: str, payload: Any) -> None:
        interrupted: KeyboardInterrupt | None = None
        for handler in self._handlers:
            try:
                getattr(handler, event)(payload)
            except KeyboardInterrupt as signal:  # tell the other handlers, then let it end the run
                interrupted = signal
            except BaseException as error:  # SystemExit included: a subscriber never ends a drill
                self._report(
                    f"event handler {type(handler).__name__}.{event} failed: {type(error).__name__}: {error}"
                )
        if interrupted is not None:
            if event in _DURING_UNDO:
                self._report(f"event handler raised KeyboardInterrupt in {event}; ignored")
            else:
                raise interrupted

    def _report(self, line: str) -> None:
        self.failures.append(line)
        try:
            print(f"warning: {line}", file=sys.stderr, flush=True)
        except Exception:  # stderr itself may be the closed stream; the failure stays in .failures
            pass
