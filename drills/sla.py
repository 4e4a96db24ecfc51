"""The guide's response SLAs, and a drill's budget against them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# The guide's severity table: time to acknowledge. P3 is "next business day": no page, no clock.
RESPONSE_SLA_S: dict[str, int | None] = {"P0": 15 * 60, "P1": 30 * 60, "P2": 2 * 3600, "P3": None}


@dataclass(frozen=True)
class BudgetPart:
    name: str
    seconds: float
    source: str  # "simulated" (alarm model) or "measured" (this run)


@dataclass(frozen=True)
class Budget:
    severity: str
    sla_s: int | None
    parts: tuple[BudgetPart, ...]

    @property
    def total_s(self) -> float:
        return round(sum(p.seconds for p in self.parts), 3)

    @property
    def margin_s(self) -> float | None:
        return None if self.sla_s is None else round(self.sla_s - self.total_s, 3)

    @property
    def within(self) -> bool:
        return self.sla_s is None or self.total_s <= self.sla_s

    def largest(self) -> BudgetPart | None:
        return max(self.parts, key=lambda p: p.seconds, default=None)

    def verdict(self) -> str:
        sla = "no SLA" if self.sla_s is None else f"{self.severity} SLA {self.sla_s / 60:.0f} min"
        largest = self.largest()
        most = f"; most of it: {largest.name} {largest.seconds:.1f}s" if largest else ""
        if self.sla_s is None:
            return f"{self.total_s:.1f}s used ({sla})"
        if self.within:
            return f"{self.total_s:.1f}s of {sla}, {self.margin_s:.1f}s left{most}"
        return f"{self.total_s:.1f}s exceeds {sla} by {-self.margin_s:.1f}s{most}"

    def to_dict(self) -> dict:
        return {
            "severity": self.severity,
            "sla_s": self.sla_s,
            "total_s": self.total_s,
            "margin_s": self.margin_s,
            "within": self.within,
            "parts": [asdict(p) for p in self.parts],
        }


# The step whose measured duration is "time to page": the declaration's status post.
PAGE_ACTION = "post-status"


def response_budget(severity: str, detected_s: float | None, timeline: list) -> Budget:
    """Simulated time to detect, then measured time to page and each response step."""
    parts = [
        BudgetPart(
            "time to detect (alarm)",
            detected_s or 0.0,
            "simulated" if detected_s is not None else "not modelled",
        )
    ]
    steps = [s for s in timeline if s.phase == "procedure"]
    page = next((s for s in steps if s.ref == PAGE_ACTION), None)
    if page is not None:
        parts.append(BudgetPart("time to page (status post)", page.duration_s, "measured"))
    parts += [BudgetPart(f"step: {s.name}", s.duration_s, "measured") for s in steps if s is not page]
    return Budget(severity, RESPONSE_SLA_S.get(severity), tuple(parts))
