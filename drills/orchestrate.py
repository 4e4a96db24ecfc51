"""Run a list of scenarios on one target and write their reports."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from alarm_catalog import Catalog
from stack_config import Platform
from targets.session import TargetSession

from .context import DrillContext
from .events import EventRegistry, RunEventHandler
from .fault_journal import FaultJournal, JournalStore, JournalWriter
from .gameday import GameDay, GameDayOptions
from .journal import RUN_NOT_RUNNABLE, Journal
from .open_journals import refuse_if_another_run
from .progress import ProgressPrinter
from .redaction import Redactor
from .report import write_reports
from .runner import Play, Runner, play_script
from .scenario import Scenario


@dataclass
class DrillOutcome:
    journal: Journal
    reports: list[Path]


def new_run_ids(scenario: Scenario) -> tuple[str, str]:
    """The run id and the drill's incident id share a random suffix: two runs in one second
    never share an incident's records (desired counts, status posts) in the target."""
    stamp, suffix = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S"), secrets.token_hex(2)
    return f"{scenario.id}-{stamp}-{suffix}", f"DRILL-{scenario.id.upper()}-{stamp}-{suffix}"


def run_one(
    scenario: Scenario,
    session: TargetSession,
    platform: Platform,
    stack: str,
    report_dir: Path,
    progress: ProgressPrinter,
    catalog: Catalog | None = None,
    stores: list[JournalStore] | None = None,
    subscribers: Sequence[RunEventHandler] = (),
) -> DrillOutcome:
    """A scripted drill: the scenario's procedure runs through the runbook actions.
    ``subscribers`` follow the run's events after the progress printer."""
    return _drive(
        scenario,
        session,
        platform,
        stack,
        report_dir,
        progress,
        catalog,
        gameday=None,
        stores=stores or [],
        subscribers=subscribers,
    )


def run_gameday(
    scenario: Scenario,
    session: TargetSession,
    platform: Platform,
    stack: str,
    report_dir: Path,
    progress: ProgressPrinter,
    catalog: Catalog | None,
    options: GameDayOptions,
    stores: list[JournalStore] | None = None,
    subscribers: Sequence[RunEventHandler] = (),
) -> DrillOutcome:
    """A game day: people respond instead of the procedure."""
    return _drive(
        scenario,
        session,
        platform,
        stack,
        report_dir,
        progress,
        catalog,
        gameday=options,
        stores=stores or [],
        subscribers=subscribers,
    )


def _fault_journal(
    scenario: Scenario, session: TargetSession, ctx: DrillContext, stores: list[JournalStore]
) -> JournalWriter:
    target = {
        "name": session.target.name,
        "key": session.key or session.target.name,
        "endpoint_url": session.target.endpoint_url,
        "long_lived": session.long_lived,
    }
    return JournalWriter(FaultJournal(ctx.run_id, ctx.incident_id, scenario.id, ctx.stack, target), stores)


def _drive(
    scenario: Scenario,
    session: TargetSession,
    platform: Platform,
    stack: str,
    report_dir: Path,
    progress: ProgressPrinter,
    catalog: Catalog | None,
    gameday: GameDayOptions | None,
    stores: list[JournalStore],
    subscribers: Sequence[RunEventHandler],
) -> DrillOutcome:
    run_id, incident_id = new_run_ids(scenario)
    progress.scenario_started(
        scenario.id,
        f"== {scenario.id} ({scenario.severity}, guide {scenario.guide_section}): "
        f"{scenario.title} — target {session.target.name}",
    )
    missing = session.target.missing_services(scenario.services_needed())
    seeded = None if missing else session.prepare(platform)
    redactor = Redactor(list(seeded.secret_values) if seeded else [])
    progress.redactor = redactor
    ctx = DrillContext(
        platform=platform,
        clients=session.clients,
        target=session.target,
        stack=stack,
        run_id=run_id,
        incident_id=incident_id,
        redactor=redactor,
    )
    writer = _fault_journal(scenario, session, ctx, stores)
    events = EventRegistry([progress, *subscribers])
    runner = Runner(scenario, ctx, events=events, catalog=catalog, faults=writer)
    play = _play(scenario, ctx, gameday, progress, events)
    journal = runner.journal
    if missing:
        journal.status = RUN_NOT_RUNNABLE
        journal.reason = (
            f"target {session.target.name} lacks {', '.join(missing)}, which this scenario's steps call"
        )
        journal.finish()
    else:
        writer.open()
        refuse_if_another_run(session, stores, writer)
        try:
            runner.run(play)
        except KeyboardInterrupt:
            write_reports(journal, scenario, report_dir, redactor)
            raise
    reports = write_reports(journal, scenario, report_dir, redactor)
    progress.report_written(scenario.id, reports)
    progress.scenario_finished(
        scenario.id,
        journal.status,
        journal.passed,
        f"== {scenario.id}: {journal.status.upper()}"
        + (f" — {journal.reason}" if journal.reason else "")
        + f" ({journal.duration_s:.1f}s; {len(journal.not_covered())} checks not covered "
        f"on this target) → {reports[0]}",
    )
    return DrillOutcome(journal, reports)


def _play(
    scenario: Scenario,
    ctx: DrillContext,
    gameday: GameDayOptions | None,
    progress: ProgressPrinter,
    events: EventRegistry,
) -> Play:
    """The scripted drill's phases, or a game day's (which also follows the run's events)."""
    if gameday is None:
        return play_script
    game = GameDay(scenario, ctx, gameday, progress.header)
    events.subscribe(game)
    return game.play
