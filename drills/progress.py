"""Live progress lines on stderr, so a person sees each step as it happens."""

from __future__ import annotations

import sys
from typing import TextIO

from .journal import Journal, StepRecord
from .redaction import Redactor

_MARK = {"ok": "ok", "failed": "FAILED", "not-covered": "not covered", "skipped": "skipped"}


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None, redactor: Redactor | None = None) -> None:
        self._stream = stream
        self.redactor = redactor or Redactor()

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up late, so redirection applies

    def __call__(self, journal: Journal, record: StepRecord) -> None:
        mark = _MARK.get(record.status, record.status)
        detail = f"  {record.detail}" if record.detail and record.status != "ok" else ""
        self.header(
            f"[{journal.scenario}] {record.phase:<12} {record.name:<48} {mark} "
            f"({record.duration_s:.2f}s){detail}"
        )

    def header(self, text: str) -> None:
        print(self.redactor.redact(text, "progress output"), file=self.stream, flush=True)
