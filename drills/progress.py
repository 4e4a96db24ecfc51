"""Live progress lines on stderr, so a person sees each step as it happens; or, with
``--progress json``, one JSON object per event and line, for CI logs; or, with ``--quiet``, only
failures and the summary."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from .events import RunEventHandler
from .journal import STEP_FAILED, STEP_NOT_COVERED, STEP_OK, STEP_SKIPPED, Journal, StepRecord
from .redaction import Redactor

_MARK = {STEP_OK: "ok", STEP_FAILED: "FAILED", STEP_NOT_COVERED: "not covered", STEP_SKIPPED: "skipped"}
OUTPUTS = ("text", "json")

# The target's phases (targets.session's ``on_phase`` names) as the text output says them.
_PHASE_TEXT = {
    "emulator_launched": "emulator launched (at +{seconds:.2f}s, starting while the input was checked)",
    "emulator_ready": "emulator ready (waited {seconds:.2f}s for it)",
    "seeded": "platform seeded ({seconds:.2f}s)",
    "restored": "platform restored from the seeded state ({seconds:.2f}s)",
    "emulator_stopped": "emulator stopped ({seconds:.2f}s)",
}

_PER_SCENARIO = frozenset({"seeded", "restored"})  # the others are the command's, not a drill's


# The target's start, reported only once a drill begins (see ProgressPrinter._held).
_HELD_EVENTS = frozenset({"emulator_launched", "emulator_ready", "emulator_stopped"})


class ProgressPrinter(RunEventHandler):
    """One line per finished step and per undo, subscribed to the run's events, and one per
    phase around the drills (emulator, seeding, report) with the seconds since ``started``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        redactor: Redactor | None = None,
        *,
        output: str = "text",
        quiet: bool = False,
        started: float | None = None,
    ) -> None:
        if output not in OUTPUTS:
            raise ValueError(f"unknown progress output {output!r} (outputs: {', '.join(OUTPUTS)})")
        self._stream = stream
        self.redactor = redactor or Redactor()
        self._scenario = ""
        self.json = output == "json"
        self.quiet = quiet
        self.started = time.monotonic() if started is None else started
        # Lines of the target's start, held until the first drill begins: a run refused on its
        # input (checked while the emulator starts) prints its one error line and nothing else.
        self._held: list[str] | None = []

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up late, so redirection applies

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def run_started(self, journal: Journal) -> None:
        self._scenario = journal.scenario  # one printer serves every scenario of `run all`

    def step_finished(self, record: StepRecord) -> None:
        self._step_line(self._scenario, record, "step")

    def fault_undone(self, record: StepRecord) -> None:
        self._step_line(self._scenario, record, "undo")

    def __call__(self, journal: Journal, record: StepRecord) -> None:
        """One record's line outside a run's events (as the redaction tests print one)."""
        self._step_line(journal.scenario, record, "step")

    def _step_line(self, scenario: str, record: StepRecord, event: str) -> None:
        failed = record.status == STEP_FAILED
        if self.json:
            self.emit(
                event,
                scenario=scenario,
                phase=record.phase,
                step=record.name,
                status=record.status,
                duration_s=round(record.duration_s, 3),
                detail=record.detail or None,
            )
            return
        if self.quiet and not failed:
            return
        mark = _MARK.get(record.status, record.status)
        detail = f"  {record.detail}" if record.detail and record.status != STEP_OK else ""
        self._print(
            f"[{scenario}] {record.phase:<12} {record.name:<48} {mark} ({record.duration_s:.2f}s){detail}"
        )

    def on_phase(self, name: str, seconds: float) -> None:
        """A phase of the target (``targets.session``'s ``on_phase``): ``seconds`` it took."""
        if self.json:
            scenario = self._scenario or None if name in _PER_SCENARIO else None
            self.emit(name, scenario=scenario, duration_s=round(seconds, 3))
        elif not self.quiet:
            text = _PHASE_TEXT.get(name, name.replace("_", " ") + " ({seconds:.2f}s)")
            self._print(
                f"[+{self.elapsed():.2f}s] " + text.format(seconds=seconds), held=name in _HELD_EVENTS
            )

    def scenario_started(self, scenario: str, text: str) -> None:
        self.release()
        self._scenario = scenario
        self._announce("scenario_started", text, scenario=scenario)

    def report_written(self, scenario: str, paths: list[Any]) -> None:
        if self.json:
            self.emit("report_written", scenario=scenario, path=[str(p) for p in paths])
        elif not self.quiet:
            self._print(f"[+{self.elapsed():.2f}s] report written: {', '.join(map(str, paths))}")

    def scenario_finished(self, scenario: str, status: str, passed: bool, text: str) -> None:
        if self.json:
            self.emit("scenario_finished", scenario=scenario, status=status, text=text)
        elif not self.quiet or not passed:
            self._print(text)

    def summary(self, passed: int, failed: int) -> None:
        """The run's last line, printed whatever ``quiet`` says."""
        if self.json:
            self.emit(
                "run_finished", status="passed" if not failed else "failed", passed=passed, failed=failed
            )
        else:
            self._print(f"{passed} passed, {failed} failed ({self.elapsed():.1f}s)")

    def header(self, text: str) -> None:
        """A line of information (a scenario's header, a note about an earlier run)."""
        self.release()
        self._announce("message", text)

    def release(self) -> None:
        """Print the held lines of the target's start; from now on every line goes out at once."""
        held, self._held = self._held, None
        for line in held or []:
            print(line, file=self.stream, flush=True)

    def _announce(self, event: str, text: str, **fields: Any) -> None:
        if self.json:
            self.emit(event, text=text, **fields)
        elif not self.quiet:
            self._print(text)

    def emit(self, event: str, **fields: Any) -> None:
        """One JSON object on one line: always the same keys first, then the event's own."""
        line: dict[str, Any] = {"event": event, "scenario": None, "phase": None, "step": None, "status": None}
        line.update(fields)
        line["elapsed_s"] = round(self.elapsed(), 3)
        self._write(json.dumps(self._redacted(line)), held=event in _HELD_EVENTS)

    def _redacted(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.redact(value, "progress output")
        if isinstance(value, list):
            return [self._redacted(item) for item in value]
        if isinstance(value, dict):
            return {key: self._redacted(item) for key, item in value.items()}
        return value

    def _print(self, text: str, held: bool = False) -> None:
        self._write(self.redactor.redact(text, "progress output"), held)

    def _write(self, line: str, held: bool = False) -> None:
        if held and self._held is not None:
            self._held.append(line)
        else:
            print(line, file=self.stream, flush=True)
