"""The outcome of each block, and of the whole runbook."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .document import Block

PASSED, FAILED, NOT_COVERED, NOT_RUN = "passed", "failed", "not-covered", "not-run"
STATUSES = (PASSED, FAILED, NOT_COVERED, NOT_RUN)


@dataclass
class BlockResult:
    section: str
    number: int
    line: int
    status: str
    reason: str = ""
    duration_s: float = 0.0
    checks: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        block: Block,
        status: str,
        reason: str = "",
        duration_s: float = 0.0,
        checks: list[str] | None = None,
    ) -> "BlockResult":
        return cls(
            block.section, block.number, block.line, status, reason, round(duration_s, 2), checks or []
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunbookResult:
    runbook: str
    stack: str
    target: str
    started: str
    duration_s: float
    blocks: list[BlockResult]

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.blocks)

    @property
    def passed(self) -> bool:
        # A block is only ever not run after a failure; counting it keeps a failure that was
        # reported elsewhere (a set-up block) from passing the run.
        return self.count(FAILED) == 0 and self.count(NOT_RUN) == 0

    def summary(self) -> str:
        text = (
            f"{self.count(PASSED)} passed, {self.count(FAILED)} failed, {self.count(NOT_COVERED)} not covered"
        )
        not_run = self.count(NOT_RUN)
        return text + (f", {not_run} not run (after a failure before them)" if not_run else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "stack": self.stack,
            "target": self.target,
            "started": self.started,
            "duration_s": round(self.duration_s, 2),
            "passed": self.passed,
            "summary": {status.replace("-", "_"): self.count(status) for status in STATUSES},
            "blocks": [result.to_dict() for result in self.blocks],
        }
