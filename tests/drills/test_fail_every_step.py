"""Whichever step of whichever scenario fails (after making its change) or is interrupted, the
drill ends with the target exactly as it found it: read back from the emulator, not from the
drill's own account of what it did; and its fault journal is closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drills.action_undo import undo_for
from drills.fault_journal import LocalJournalStore
from drills.journal import STEP_FAILED
from drills.orchestrate import run_one
from drills.progress import ProgressPrinter
from drills.runner import Runner
from drills.scenario import load_scenarios
from targets.session import TargetSession
from targets.target import local_target
from tests.support.platform_state import platform_state

pytestmark = pytest.mark.emulator

PHASES = ("steady_state", "faults", "procedure", "verify")


def _journalled(step) -> bool:
    """A fault, or an action whose undo is journalled: where an interrupt lands mid-entry."""
    spec = undo_for(step.ref) if step.kind == "action" else None
    return step.kind == "fault" or (spec is not None and spec.undo is not None)


def _cases() -> list[tuple[str, str, int, str]]:
    """Every step fails in turn; the journalled ones are also interrupted (Ctrl-C) in turn.
    Elsewhere an interrupt ends like a failure: the undo runs, the verify phase does not."""
    cases = []
    for scenario in load_scenarios().values():
        for phase in PHASES:
            for index, step in enumerate(getattr(scenario, phase)):
                cases.append((scenario.id, phase, index, "fails"))
                if _journalled(step):
                    cases.append((scenario.id, phase, index, "interrupted"))
    return cases


CASES = _cases()


@pytest.fixture
def seeded_session(seeded_emulator) -> tuple[TargetSession, dict]:
    """A session on the shared emulator holding the freshly seeded platform (restored from its
    snapshot for each case), and that platform's state."""
    endpoint = seeded_emulator.endpoint_url
    # Never reset by the drill: the state was read before it, and is compared after it.
    session = TargetSession(
        local_target(endpoint), seeded_emulator.clients, lambda _p: None, key=f"local:{endpoint}"
    )
    return session, seeded_emulator.state


def _break_step(monkeypatch, scenario, phase: str, index: int, mode: str) -> list[str]:
    """After the chosen step's first run (its change made), report it failed, or interrupt."""
    target, hit = getattr(scenario, phase)[index], []
    original = Runner.run_step

    def run_step(self, step_phase, step, name, local):
        record = original(self, step_phase, step, name, local)
        if step is target and not hit:
            hit.append(name)
            if mode == "interrupted":
                raise KeyboardInterrupt("test: Ctrl-C right after this step")
            record.status, record.detail = STEP_FAILED, "test: failed after making its change"
        return record

    monkeypatch.setattr(Runner, "run_step", run_step)
    return hit


@pytest.mark.parametrize(
    "scenario_id, phase, index, mode", CASES, ids=[f"{s}-{p}{i}-{m}" for s, p, i, m in CASES]
)
def test_a_failed_step_leaves_the_platform_as_it_was(
    seeded_session, platform, monkeypatch, tmp_path: Path, scenario_id: str, phase: str, index: int, mode: str
) -> None:
    session, before = seeded_session
    scenario = load_scenarios()[scenario_id]
    hit = _break_step(monkeypatch, scenario, phase, index, mode)
    store = LocalJournalStore(tmp_path / "journals")
    try:
        outcome = run_one(
            scenario,
            session,
            platform,
            "production",
            tmp_path / "reports",
            ProgressPrinter(stream=open("/dev/null", "w")),
            stores=[store],
        )
        assert not outcome.journal.passed
    except KeyboardInterrupt:
        assert mode == "interrupted"
    assert hit, f"the chosen step never ran; the run: {_steps(tmp_path / 'reports', scenario_id)}"
    assert platform_state(session.clients, platform) == before
    assert store.load_all() == [], "the fault journal was left open"


def _steps(report_dir: Path, scenario_id: str) -> list[str]:
    report = report_dir / f"{scenario_id}.json"
    if not report.exists():
        return ["no report"]
    data = json.loads(report.read_text())
    steps = [
        f"{s['phase']} {s['name']}: {s['status']} {s.get('detail') or ''}".strip() for s in data["timeline"]
    ]
    return [f"{data['status']}: {data['reason']}", *steps]


def test_every_step_of_every_scenario_is_a_case() -> None:
    steps = sum(len(getattr(s, p)) for s in load_scenarios().values() for p in PHASES)
    assert len({c[:3] for c in CASES if c[3] == "fails"}) == steps >= 40
    interrupted = {
        (c[0], getattr(load_scenarios()[c[0]], c[1])[c[2]].ref) for c in CASES if c[3] == "interrupted"
    }
    assert {("p0-b", "stop-writes"), ("p0-b", "cutover"), ("p0-a", "bad-deploy")} <= interrupted
