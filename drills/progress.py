"""Live progress lines on stderr, so a person sees each step as it happens."""
from __future__ import annotations

import sys
from typing import TextIO

from .journal import Journal, StepRecord

_MARK = {"ok": "ok", "failed": "FAILED", "not-covered": "not covered", "skipped": "skipped"}


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # looked up late, so redirection applies

    def __call__(self, journal: Journal, record: StepRecord) -> None:
        mark = _MARK.get(record.status, record.status)
        detail = f"  {record.detail}" if record.detail and record.status != "ok" else ""
        print(f"[{journal.scenario}] {record.phase:<12} {record.name:<48} {mark} "
              f"({record.duration_s:.2f}s){detail}", file=self.stream, flush=True)

    def header(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
