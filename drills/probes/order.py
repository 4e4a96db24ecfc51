"""Probes over the run's own journal: the procedure's steps happened in the guide's order."""

from __future__ import annotations

from ..activities import Check, probe
from ..context import DrillContext
from ..journal import STEP_OK, STEP_SKIPPED


@probe("steps-in-order", services=set())
def steps_in_order(ctx: DrillContext, *, first: str, then: str) -> Check:
    """Every successful ``first`` action finished before any ``then`` action started."""
    steps = [s for s in ctx.journal.timeline if s.phase == "procedure"]
    firsts = [s for s in steps if s.ref == first and s.status == STEP_OK]
    thens = [s for s in steps if s.ref == then and s.status != STEP_SKIPPED]
    if not firsts:
        return Check(False, f"no successful {first} step in the procedure")
    if not thens:
        return Check(False, f"no {then} step ran in the procedure")
    last_first = max(s.end for s in firsts)
    first_then = min(s.start for s in thens)
    if last_first <= first_then:
        return Check(True, f"{first} finished {last_first[11:23]} before {then} started {first_then[11:23]}")
    return Check(False, f"{then} started {first_then[11:23]}, before {first} finished {last_first[11:23]}")
