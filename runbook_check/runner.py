"""Check a whole runbook: static checks first, then every procedure on its own emulator.

Procedures are independent (each starts from a freshly seeded platform), so with ``jobs`` > 1
they run side by side, one embedded emulator per worker; the blocks of one procedure always run
in order in one shell. An ``endpoint_url`` means one emulator already running: one worker.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timezone
from typing import Callable

from drills.redaction import Redactor
from stack_config import Platform
from targets.session import TargetSession, open_target

from .document import Procedure, Runbook
from .names import PlatformNames
from .procedure import CheckSettings, run_procedure
from .results import BlockResult, RunbookResult
from .static_checks import static_problems

ProcedureDone = Callable[[Procedure, list[BlockResult]], None]


def check_runbook(
    runbook: Runbook,
    platform: Platform,
    stack: str,
    *,
    endpoint_url: str | None = None,
    jobs: int = 2,
    redactor: Redactor | None = None,
    on_procedure: ProcedureDone = lambda procedure, results: None,
) -> RunbookResult:
    started, clock = datetime.now(timezone.utc), time.monotonic()
    names = PlatformNames.of(platform, stack)
    settings = CheckSettings(
        platform=platform,
        stack=stack,
        static_problems={(b.section, b.number): static_problems(b, names) for b in runbook.blocks},
        setup_blocks=tuple(runbook.setup_blocks),
        redactor=redactor or Redactor(),
    )
    workers = 1 if endpoint_url else max(1, min(jobs, len(runbook.procedures)))
    with ExitStack() as stack_of_targets, ThreadPoolExecutor(workers) as pool:
        # Emulators start side by side (about 1.5 s each); ExitStack only appends to a deque,
        # which is safe across threads, and stops every one that started, even after an error.
        targets = list(
            pool.map(
                lambda _: stack_of_targets.enter_context(open_target("local", platform, endpoint_url)),
                range(workers),
            )
        )
        free: queue.Queue[TargetSession] = queue.Queue()
        for target in targets:
            free.put(target)

        def run(procedure: Procedure) -> list[BlockResult]:
            session = free.get()
            try:
                results = run_procedure(procedure, session, settings)
            finally:
                free.put(session)
            on_procedure(procedure, results)
            return results

        try:
            per_procedure = list(pool.map(run, runbook.procedures))
        except KeyboardInterrupt:
            settings.stop.set()  # the blocks running finish; no other block starts
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return RunbookResult(
        runbook=str(runbook.path),
        stack=stack,
        target=targets[0].target.name,
        started=started.isoformat(timespec="seconds"),
        duration_s=time.monotonic() - clock,
        blocks=[result for results in per_procedure for result in results],
    )
