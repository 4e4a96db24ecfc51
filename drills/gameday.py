"""Game-day mode: inject the fault and page, then let people respond, with the SLA clock running.

The drill does not remediate. It records the acknowledgement (``python -m drills ack``) and
polls the scenario's verify probes until the platform is back in its steady state or the time
limit passes; it always undoes the fault, and writes the same reports as a scripted drill.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from runbook_actions import all_actions

from . import activities, responder_log
from .context import DrillContext
from .events import RunEventHandler
from .exceptions import DrillError
from .files import write_atomically
from .journal import CHECK_FAILED, CHECK_PASSED, STEP_FAILED, Journal, StepRecord, utc_now
from .runner import Runner
from .scenario import Scenario, Step
from .sla import RESPONSE_SLA_S, Budget, BudgetPart

STATE_FILE = "gameday.json"
ACK_FILE = "gameday-ack.json"
STATUS_ACTION = "post-status"
TITLE_MAX, IMPACT_MAX = 80, 500  # post-status's limits
ABORTED_BEFORE_THE_PAGE = "steady state not met; nothing was injected"


SHELL_BEGIN = "# --- copy from here ---"
SHELL_END = "# --- to here ---"


def responder_commands(endpoint_url: str | None, region: str, cluster: str) -> str:
    """The banner's copy-pasteable shell block: on an emulator its endpoint, the region, the
    dummy credentials every emulator takes and the cluster, then a read-only first command; on
    AWS (no endpoint) only the region and cluster, the responder's own credentials doing the rest."""
    variables = {"AWS_ENDPOINT_URL": endpoint_url} if endpoint_url else {}
    variables["AWS_DEFAULT_REGION"] = region
    if endpoint_url:
        variables |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    variables["ZELLY_CLUSTER"] = cluster
    exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in variables.items())
    return (
        "Respond with the runbook, from this folder in another terminal:\n"
        f"{SHELL_BEGIN}\n"
        f"export {exports}\n"
        f"{shlex.quote(sys.executable)} -m runbook_actions triage\n"
        f"{SHELL_END}\n"
    )


@dataclass(frozen=True)
class GameDayOptions:
    state_dir: Path
    time_limit_s: float
    poll_s: float


def acknowledge(state_dir: Path, by: str) -> dict[str, Any]:
    """Record that a responder acknowledged the running game day's page."""
    state_path = state_dir / STATE_FILE
    if not state_path.is_file():
        raise DrillError(f"no game day is running (no {state_path})")
    state = json.loads(state_path.read_text())
    ack = {"incident_id": state["incident_id"], "by": by, "at": utc_now()}
    _write_json(state_dir / ACK_FILE, ack)
    return ack


class GameDay(RunEventHandler):
    """Plays one scenario as a game day on an open target (see the module docstring).

    ``play`` is handed to ``Runner.run``, which undoes the fault whatever happens; subscribed to
    the run's events, the game day clears its state file once the run has finished.
    """

    def __init__(
        self,
        scenario: Scenario,
        ctx: DrillContext,
        options: GameDayOptions,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scenario = scenario
        self.ctx = ctx
        self.options = options
        self.say = say
        self.clock = clock
        self.sla_s = RESPONSE_SLA_S.get(scenario.severity)

    def run_finished(self, journal: Journal) -> None:
        self._clear_state()

    def play(self, runner: Runner, journal: Journal) -> None:
        if not runner.steady_state_holds(ABORTED_BEFORE_THE_PAGE) or not runner.inject_faults():
            return
        detected_s = runner.detect() or 0.0
        paged_at = self.clock()
        self._post_status(runner, "INVESTIGATING")
        calls = responder_log.open_for(self.ctx, self.scenario)  # the responders' calls from the page on
        try:
            self._publish_state()
            acked_s, recovered_s = self._wait_for_responders(runner, paged_at, detected_s)
        finally:  # also on Ctrl-C: the recorder is stopped and its file removed
            responder_log.record_into(runner, calls)
        if recovered_s is not None:
            self._post_status(runner, "RESOLVED")
        runner.run_phase("verify", run_all=True)
        self._judge(runner, journal, detected_s, acked_s, recovered_s)

    def _wait_for_responders(
        self, runner: Runner, paged_at: float, detected_s: float
    ) -> tuple[float | None, float | None]:
        acked_s = recovered_s = None
        self.say(self._instructions())
        while True:
            elapsed = self.clock() - paged_at
            if acked_s is None and self._acknowledged():
                acked_s = elapsed
                self._event(
                    runner,
                    f"acknowledged by {self._ack()['by']}",
                    f"+{detected_s + elapsed:.0f}s after the fault",
                )
            if recovered_s is None and self._recovered():
                recovered_s = elapsed
                self._event(runner, "steady state is back", f"+{detected_s + elapsed:.0f}s after the fault")
            self.say(self._clock_line(detected_s + elapsed, acked_s, recovered_s))
            if (acked_s is not None and recovered_s is not None) or elapsed >= self.options.time_limit_s:
                return acked_s, recovered_s
            time.sleep(self.options.poll_s)

    def _recovered(self) -> bool:
        """The scenario's steady state holds again, as far as the target can check (quietly:
        not recorded each poll; the verify phase records the final word)."""
        ctx = self.ctx
        for step in self.scenario.steady_state:
            probe = activities.probes()[step.ref]
            if any(ctx.target.lacks(c) for c in probe.requires):
                continue
            try:
                check = probe.function(ctx, **step.args)
            except Exception:  # a probe that cannot look yet is not a recovery
                return False
            if check.passed is False:
                return False
        return True

    def _judge(
        self,
        runner: Runner,
        journal: Journal,
        detected_s: float,
        acked_s: float | None,
        recovered_s: float | None,
    ) -> None:
        """The SLA is to acknowledge: simulated detection plus the responders' measured time."""
        budget = Budget(
            journal.severity,
            self.sla_s,
            (
                BudgetPart("time to detect (alarm)", detected_s, "simulated"),
                BudgetPart(
                    "time to acknowledge (responders)",
                    acked_s or 0.0,
                    "measured" if acked_s is not None else "never acknowledged",
                ),
            ),
        )
        journal.sla = {
            **budget.to_dict(),
            "time_to_recover_s": None if recovered_s is None else round(detected_s + recovered_s, 3),
        }
        if acked_s is None:
            journal.reason = "nobody acknowledged the page"
            self._fail(runner, "acknowledged within the SLA", journal.reason)
        elif not budget.within:
            self._fail(runner, "acknowledged within the SLA", budget.verdict())
        else:
            self._event(runner, "acknowledged within the SLA", budget.verdict())
        if recovered_s is None:
            not_recovered = f"not recovered within the time limit of {self.options.time_limit_s:.0f}s"
            journal.reason = journal.reason or not_recovered
            self._fail(runner, "steady state restored by the responders", not_recovered)

    def _fail(self, runner: Runner, name: str, detail: str) -> None:
        record = StepRecord(
            name, "response", "check", "gameday", utc_now(), end=utc_now(), status=STEP_FAILED, detail=detail
        )
        runner.record(record, CHECK_FAILED)

    def _event(self, runner: Runner, name: str, detail: str) -> None:
        record = StepRecord(name, "response", "event", "gameday", utc_now(), end=utc_now(), detail=detail)
        runner.record(record, CHECK_PASSED)

    def _post_status(self, runner: Runner, status: str) -> None:
        """Page (or close) through the status action, as the responders' Lambda would."""
        if STATUS_ACTION not in all_actions():
            return
        scenario = self.scenario
        title = f"GAME DAY {scenario.guide_section}: {scenario.title}"
        arguments = {
            "severity": scenario.severity,
            "status": status,
            "title": title[:TITLE_MAX],
            "impact": " ".join((scenario.impact or "simulated").split())[:IMPACT_MAX],
            "current_action": "game day: responders at work",
        }
        if status != "RESOLVED":
            arguments["next_update_minutes"] = 15
        step = Step(kind="action", ref=STATUS_ACTION, name=f"post status {status}", args=arguments)
        runner.run_step("response", step, step.name, {})

    def _instructions(self) -> str:
        ctx = self.ctx
        sla = f"{self.sla_s // 60} min" if self.sla_s else "no SLA"
        return (
            f"GAME DAY {ctx.incident_id}: {self.scenario.title} ({self.scenario.severity}, SLA {sla}).\n"
            + responder_commands(ctx.target.endpoint_url, ctx.platform.region, ctx.platform.cluster)
            + f"GAME DAY {ctx.incident_id}: acknowledge with: "
            + f"python -m drills ack --state-dir {self.options.state_dir} --by <name>"
        )

    def _clock_line(self, since_fault_s: float, acked_s: float | None, recovered_s: float | None) -> str:
        sla = f" of SLA {_mmss(self.sla_s)}" if self.sla_s else ""
        return (
            f"[{self.scenario.id}] T+{_mmss(since_fault_s)}{sla} | acknowledged: "
            f"{'yes' if acked_s is not None else 'no'} | recovered: {'yes' if recovered_s is not None else 'no'}"
        )

    def _publish_state(self) -> None:
        ctx = self.ctx
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        (self.options.state_dir / ACK_FILE).unlink(missing_ok=True)
        _write_json(
            self.options.state_dir / STATE_FILE,
            {
                "scenario": self.scenario.id,
                "incident_id": ctx.incident_id,
                "run_id": ctx.run_id,
                "endpoint_url": ctx.target.endpoint_url,
                "started": utc_now(),
                "pid": os.getpid(),
            },
        )

    def _clear_state(self) -> None:
        (self.options.state_dir / STATE_FILE).unlink(missing_ok=True)

    def _ack(self) -> dict[str, Any]:
        return json.loads((self.options.state_dir / ACK_FILE).read_text())

    def _acknowledged(self) -> bool:
        path = self.options.state_dir / ACK_FILE
        return path.is_file() and self._ack().get("incident_id") == self.ctx.incident_id


def _mmss(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(data, indent=2))
