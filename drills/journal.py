"""The run record every step writes into; reports are rendered from it."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

STEP_OK, STEP_FAILED, STEP_NOT_COVERED, STEP_SKIPPED = "ok", "failed", "not-covered", "skipped"
CHECK_PASSED, CHECK_FAILED, CHECK_NOT_COVERED = "passed", "failed", "not-covered"
# The run's status (Journal.status): running until finish() decides, unless a phase already has.
RUN_RUNNING, RUN_PASSED, RUN_FAILED = "running", "passed", "failed"
RUN_ABORTED, RUN_NOT_RUNNABLE, RUN_INTERRUPTED = "aborted", "not-runnable", "interrupted"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StepRecord:
    name: str
    phase: str
    kind: str
    ref: str
    start: str
    end: str = ""
    duration_s: float = 0.0
    status: str = STEP_OK
    detail: str = ""
    result: dict[str, Any] | None = None


@dataclass
class CheckRecord:
    name: str
    phase: str
    status: str
    detail: str


@dataclass
class Journal:
    scenario: str
    title: str
    severity: str
    guide_section: str
    stack: str
    target: dict[str, Any]
    run_id: str
    incident_id: str
    started: str = field(default_factory=utc_now)
    finished: str = ""
    duration_s: float = 0.0
    status: str = RUN_RUNNING
    reason: str = ""
    timeline: list[StepRecord] = field(default_factory=list)
    checks: list[CheckRecord] = field(default_factory=list)
    undo: list[StepRecord] = field(default_factory=list)
    affected_services: list[str] = field(default_factory=list)
    detection: dict[str, Any] | None = None
    sla: dict[str, Any] | None = None
    _t0: float = field(default_factory=time.monotonic, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == RUN_PASSED

    def failed_checks(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.status == CHECK_FAILED]

    def not_covered(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.status == CHECK_NOT_COVERED]

    def finish(self, interrupted: bool = False) -> None:
        self.finished = utc_now()
        self.duration_s = round(time.monotonic() - self._t0, 3)
        failed_steps = [s for s in self.timeline + self.undo if s.status == STEP_FAILED]
        if interrupted:
            self.status, self.reason = RUN_INTERRUPTED, self.reason or "interrupted before the end"
        elif self.status in (RUN_ABORTED, RUN_NOT_RUNNABLE):
            pass  # already decided, with its reason
        elif failed_steps or self.failed_checks():
            self.status = RUN_FAILED
            first = (failed_steps or [None])[0]
            self.reason = self.reason or (
                f"step {first.name!r} failed: {first.detail}"
                if first
                else f"check {self.failed_checks()[0].name!r} failed: {self.failed_checks()[0].detail}"
            )
        else:
            self.status = RUN_PASSED

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["passed"] = self.passed
        data["not_covered"] = [asdict(c) for c in self.not_covered()]
        return data
