"""The Runner tells its subscribers what happens, in order, and a subscriber that breaks stops
neither the drill nor its undo."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from drills.events import EventRegistry, RunEventHandler
from drills.fault_journal import LocalJournalStore
from drills.gameday import STATE_FILE, GameDayOptions
from drills.journal import CHECK_FAILED, RUN_FAILED, CheckRecord, Journal, StepRecord
from drills.orchestrate import run_gameday, run_one
from drills.progress import ProgressPrinter
from drills.scenario import load_scenarios
from targets.session import TargetSession
from targets.target import local_target
from tests.support.platform_state import platform_state

EVENTS = (
    "run_started",
    "step_started",
    "step_finished",
    "fault_injected",
    "fault_undone",
    "check_recorded",
    "run_finished",
)


class Recorder(RunEventHandler):
    """Keeps every event with its payload, in arrival order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __getattribute__(self, name: str) -> Any:
        if name in EVENTS:
            return lambda payload: self.events.append((name, payload))
        return super().__getattribute__(name)

    def names(self, *wanted: str) -> list[str]:
        return [name for name, _ in self.events if not wanted or name in wanted]

    def payloads(self, event: str) -> list[Any]:
        return [payload for name, payload in self.events if name == event]


class Exploding(RunEventHandler):
    """Raises on every event, as a progress printer does on a closed pipe."""

    def __getattribute__(self, name: str) -> Any:
        if name in EVENTS:

            def explode(payload: Any) -> None:
                raise BrokenPipeError(f"{name}: the pipe is closed")

            return explode
        return super().__getattribute__(name)


@pytest.fixture
def seeded_session(seeded_emulator) -> tuple[TargetSession, dict]:
    """A session on the shared emulator holding the freshly seeded platform, and its state."""
    session = TargetSession(
        local_target(seeded_emulator.endpoint_url),
        seeded_emulator.clients,
        lambda _p: None,
        key=f"local:{seeded_emulator.endpoint_url}",
    )
    return session, seeded_emulator.state


def _quiet() -> ProgressPrinter:
    return ProgressPrinter(stream=io.StringIO())


# Unit: the registry itself.


def test_handlers_are_called_in_subscription_order() -> None:
    calls: list[str] = []

    class Named(RunEventHandler):
        def __init__(self, name: str) -> None:
            self.name = name

        def check_recorded(self, check: CheckRecord) -> None:
            calls.append(self.name)

    registry = EventRegistry([Named("first")])
    registry.subscribe(Named("second"))
    registry.check_recorded(CheckRecord("c", "verify", CHECK_FAILED, ""))
    assert calls == ["first", "second"]


def test_a_failing_handler_is_reported_in_one_line_and_the_next_one_still_runs(capsys) -> None:
    recorder = Recorder()
    registry = EventRegistry([Exploding(), recorder])
    record = StepRecord("s", "faults", "fault", "bad-deploy", "t0")
    registry.step_finished(record)
    assert recorder.events == [("step_finished", record)]
    line = "event handler Exploding.step_finished failed: BrokenPipeError: step_finished: the pipe is closed"
    assert registry.failures == [line]
    assert capsys.readouterr().err == f"warning: {line}\n"


def test_a_closed_stderr_does_not_turn_a_handler_failure_into_a_drill_failure(monkeypatch) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr("sys.stderr", closed)
    registry = EventRegistry([Exploding()])
    registry.run_finished(_journal())
    assert len(registry.failures) == 1


def test_an_interrupt_in_a_handler_still_ends_the_run() -> None:
    class Interrupted(RunEventHandler):
        def step_finished(self, record: StepRecord) -> None:
            raise KeyboardInterrupt("Ctrl-C while printing")

    with pytest.raises(KeyboardInterrupt):
        EventRegistry([Interrupted()]).step_finished(StepRecord("s", "verify", "probe", "x", "t0"))


def _journal() -> Journal:
    return Journal("p0-a", "t", "P0", "P0-A", "production", {}, "run-1", "DRILL-1")


# On the emulator: whole drills.


@pytest.mark.emulator
def test_a_scripted_run_tells_each_step_fault_check_and_undo_in_order(
    seeded_session, platform, tmp_path: Path
) -> None:
    session, _ = seeded_session
    recorder = Recorder()
    outcome = run_one(
        load_scenarios()["p0-a"],
        session,
        platform,
        "production",
        tmp_path / "reports",
        _quiet(),
        stores=[LocalJournalStore(tmp_path / "journals")],
        subscribers=[recorder],
    )
    journal = outcome.journal
    assert journal.passed
    # The events carry the very records the journal (and so the reports) hold, in its order.
    assert recorder.payloads("step_finished") == journal.timeline
    assert recorder.payloads("check_recorded") == journal.checks
    assert recorder.payloads("fault_undone") == journal.undo != []
    assert recorder.payloads("run_started") == recorder.payloads("run_finished") == [journal]
    faults = [r for r in journal.timeline if r.phase == "faults"]
    assert recorder.payloads("fault_injected") == faults != []
    _assert_order(recorder)
    phases = [r.phase for r in journal.timeline]
    order = ["steady_state", "faults", "detect", "procedure", "sla", "verify"]
    assert sorted(phases, key=order.index) == phases


def _assert_order(recorder: Recorder) -> None:
    """run_started; each started step finishes before the next starts; undo after the last
    step; run_finished last."""
    names = recorder.names()
    assert names[0] == "run_started" and names[-1] == "run_finished"
    running = None
    for name, payload in recorder.events[1:-1]:
        if name == "step_started":
            assert running is None, f"{payload.name} started while {running.name} ran"
            running = payload
        elif name == "step_finished":
            assert running in (None, payload)
            running = None
        elif name == "fault_injected":
            assert running is payload
    steps = recorder.names("step_finished", "fault_undone")
    first_undo = steps.index("fault_undone")
    assert set(steps[first_undo:]) == {"fault_undone"}, "a step finished after the undo began"


@pytest.mark.emulator
def test_a_failing_subscriber_stops_neither_the_drill_nor_its_undo(
    seeded_session, platform, tmp_path: Path, capsys
) -> None:
    session, before = seeded_session
    recorder = Recorder()
    store = LocalJournalStore(tmp_path / "journals")
    outcome = run_one(
        load_scenarios()["p0-b"],
        session,
        platform,
        "production",
        tmp_path / "reports",
        _quiet(),
        stores=[store],
        subscribers=[Exploding(), recorder],
    )
    assert outcome.journal.passed, outcome.journal.reason
    assert recorder.payloads("fault_undone") == outcome.journal.undo != []
    assert platform_state(session.clients, platform) == before
    assert store.load_all() == [], "the fault journal was left open"
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == len(recorder.events)


@pytest.mark.emulator
def test_a_game_day_composes_the_runner_phases_and_clears_its_state_when_the_run_finishes(
    seeded_session, platform, tmp_path: Path
) -> None:
    session, before = seeded_session
    recorder = Recorder()
    store = LocalJournalStore(tmp_path / "journals")
    options = GameDayOptions(tmp_path / "state", time_limit_s=0.05, poll_s=0.01)
    outcome = run_gameday(
        load_scenarios()["p0-a"],
        session,
        platform,
        "production",
        tmp_path / "reports",
        _quiet(),
        None,
        options,
        stores=[store],
        subscribers=[Exploding(), recorder],
    )
    journal = outcome.journal
    assert journal.status == RUN_FAILED and journal.reason == "nobody acknowledged the page"
    response = [r.name for r in recorder.payloads("step_finished") if r.phase == "response"]
    assert "post status INVESTIGATING" in response and "acknowledged within the SLA" in response
    assert recorder.payloads("step_finished") == journal.timeline
    _assert_order(recorder)
    assert not (options.state_dir / STATE_FILE).exists()
    assert platform_state(session.clients, platform) == before
    assert store.load_all() == [], "the fault journal was left open"
