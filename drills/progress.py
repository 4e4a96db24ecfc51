"""Live progress lines on stderr, so a person sees each step as it happens."""

from __future__ import annotations

import sys
from typing import TextIO

from .events import RunEventHandler
from .journal import STEP_FAILED, STEP_NOT_COVERED, STEP_OK, STEP_SKIPPED, Journal, StepRecord
from .redaction import Redactor

_MARK = {STEP_OK: "ok", STEP_FAILED: "FAILED", STEP_NOT_COVERED: "not covered", STEP_SKIPPED: "skipped"}


class ProgressPrinter(RunEventHandler):
    """One line per finished step and per undo; subscribed to the run's events."""

    def __init__(self, stream: TextIO | None = None, redactor: Redactor | None = None) -> None:
        self._stream = stream
        self.redactor = redactor or Redactor()
        self._scenario = ""

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up late, so redirection applies

    def run_started(self, journal: Journal) -> None:
        self._scenario = journal.scenario  # one printer serves every scenario of `run all`

    def step_finished(self, record: StepRecord) -> None:
        self._step_line(self._scenario, record)

    def fault_undone(self, record: StepRecord) -> None:
        self._step_line(self._scenario, record)

    def __call__(self, journal: Journal, record: StepRecord) -> None:
        """One record's line outside a run's events (as the redaction tests print one)."""
        self._step_line(journal.scenario, record)

    def _step_line(self, scenario: str, record: StepRecord) -> None:
        mark = _MARK.get(record.status, record.status)
        detail = f"  {record.detail}" if record.detail and record.status != STEP_OK else ""
        self.header(
            f"[{scenario}] {record.phase:<12} {record.name:<48} {mark} ({record.duration_s:.2f}s){detail}"
        )

    def header(self, text: str) -> None:
        print(self.redactor.redact(text, "progress output"), file=self.stream, flush=True)
