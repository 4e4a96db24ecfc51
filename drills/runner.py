"""Drive one scenario: steady state, inject, procedure, verify, and always undo the faults."""

from __future__ import annotations

import time
from typing import Any, Callable

from alarm_catalog import Catalog
from runbook_actions import arguments_with_environment, invoke
from runbook_actions.exceptions import NotSupportedError, RunbookError
from targets.target import EVALUATES_ALARMS

from . import activities
from .action_undo import undo_for
from .context import DrillContext
from .detection_phase import DetectionOutcome, detect_live, judge_detection, load_symptoms, platform_catalog
from .events import EventRegistry
from .expectations import evaluate, resolve_path
from .fault_journal import APPLIED, FaultJournal, JournalWriter
from .interrupts import signals_held
from .journal import (
    CHECK_FAILED,
    CHECK_NOT_COVERED,
    CHECK_PASSED,
    RUN_ABORTED,
    STEP_FAILED,
    STEP_NOT_COVERED,
    STEP_OK,
    STEP_SKIPPED,
    CheckRecord,
    Journal,
    StepRecord,
    utc_now,
)
from .scenario import Scenario, Step, render
from .sla import response_budget
from .undo import KIND_ACTION, KIND_FAULT, undo_all

# A drill's phases between the steady state and the undo: the scripted drill's (play_script) or
# the game day's. It drives the Runner's public phases and writes its verdict into the journal.
Play = Callable[["Runner", Journal], None]

# A probe's or the detection's verdict (None: the target cannot tell) as the check's status.
CHECK_OF_VERDICT: dict[bool | None, str] = {True: CHECK_PASSED, False: CHECK_FAILED, None: CHECK_NOT_COVERED}
ABORTED_BEFORE_THE_FAULT = "steady state not met before the fault; nothing was injected"


class Runner:
    """Runs one scenario in one context, fills a Journal and tells ``events`` as it goes."""

    def __init__(
        self,
        scenario: Scenario,
        ctx: DrillContext,
        *,
        events: EventRegistry | None = None,
        catalog: Catalog | None = None,
        faults: JournalWriter | None = None,
    ) -> None:
        self.scenario = scenario
        self.ctx = ctx
        self.events = events or EventRegistry()
        self.catalog = catalog
        self.journal = Journal(
            scenario=scenario.id,
            title=scenario.title,
            severity=scenario.severity,
            guide_section=scenario.guide_section,
            stack=ctx.stack,
            target={
                "name": ctx.target.name,
                "endpoint_url": ctx.target.endpoint_url,
                "gaps": ctx.target.gaps,
            },
            run_id=ctx.run_id,
            incident_id=ctx.incident_id,
        )
        # Written ahead of every change; without stores (unit tests) it lives in memory only.
        self.faults = faults or JournalWriter(
            FaultJournal(
                ctx.run_id,
                ctx.incident_id,
                scenario.id,
                ctx.stack,
                {"name": ctx.target.name, "key": ctx.target.name, "endpoint_url": ctx.target.endpoint_url},
            ),
            (),
        )
        ctx.journal = self.journal

    def run(self, play: Play | None = None) -> Journal:
        """Play the phases (the scripted drill's unless told otherwise), then undo every
        journalled change and finish the journal, whatever happened: the one place a drill's
        undo is guaranteed, for the scripted drill and the game day alike."""
        interrupted = False
        try:
            self.events.run_started(self.journal)
            (play or play_script)(self, self.journal)
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            signalled = self.undo_faults(interrupted)
            self.journal.finish(interrupted=interrupted or signalled)
            self.events.run_finished(self.journal)
        if signalled:  # the user stopped a run that had finished its phases: exit as interrupted
            raise KeyboardInterrupt("signal during the undo")
        return self.journal

    def steady_state_holds(self, abort_reason: str = ABORTED_BEFORE_THE_FAULT) -> bool:
        """Run the steady-state probes; if they fail, the run is aborted for ``abort_reason``."""
        if self.run_phase("steady_state"):
            return True
        self.journal.status, self.journal.reason = RUN_ABORTED, abort_reason
        return False

    def inject_faults(self) -> bool:
        """Run the fault steps; if one fails, that is the run's reason (the undo still runs)."""
        if self.run_phase("faults"):
            return True
        self.journal.reason = "fault injection failed"
        return False

    def detect(self) -> float | None:
        """Judge whether the stack's alarms page the scenario's severity, and record the check.

        Replays the symptoms through the stack's alarm catalog (simulated time) when the target's
        CloudWatch does not evaluate alarms, the scenario has no symptoms or expects no page;
        otherwise publishes them to the target and polls its deployed alarms (real time).
        Records the step, the check and the journal's detection section; returns the seconds to
        the expected page, or None (no detection section, no page, or an error, which is recorded
        as a failed check and never raised).
        """
        spec = self.scenario.detection
        if spec is None:
            return None
        record = self._begin("alarms page the expected severity", "detect", "detect", "alarm-catalog")
        started = time.monotonic()
        try:
            catalog = self.catalog or platform_catalog(self.ctx.platform)
            symptoms = load_symptoms(self.scenario.symptoms, self.ctx.platform)
            if self.ctx.target.lacks(EVALUATES_ALARMS) or symptoms is None or spec.expect_page is None:
                outcome = judge_detection(spec, symptoms, self.ctx.platform, catalog, self.scenario.severity)
            else:  # the target's CloudWatch evaluates the deployed alarms itself
                outcome = detect_live(
                    self.ctx.clients.cloudwatch,
                    self.ctx.clients.logs,
                    spec,
                    symptoms,
                    catalog,
                    self.ctx.platform,
                    self.scenario.severity,
                )
        except Exception as error:  # a detection bug must not stop the drill or its undo
            outcome = DetectionOutcome(False, f"{type(error).__name__}: {error}", None, {})
        record.detail, record.result = outcome.detail, outcome.data or None
        record.status = {True: STEP_OK, False: STEP_FAILED, None: STEP_NOT_COVERED}[outcome.passed]
        self.journal.detection = {
            "expected_page": spec.expect_page,
            "horizon_s": spec.horizon_s,
            "time_to_detect_s": outcome.time_to_detect_s,
            **outcome.data,
        }
        record.end, record.duration_s = utc_now(), round(time.monotonic() - started, 3)
        self.record(record, CHECK_OF_VERDICT[outcome.passed])
        return outcome.time_to_detect_s

    def check_budget(self, detected_s: float | None) -> None:
        """Detection + paging + every response step, against the severity's SLA."""
        budget = response_budget(self.scenario.severity, detected_s, self.journal.timeline)
        self.journal.sla = budget.to_dict()
        record = StepRecord(
            f"response within the {self.scenario.severity} SLA",
            "sla",
            "sla",
            "sla-budget",
            utc_now(),
            end=utc_now(),
            detail=budget.verdict(),
        )
        if not budget.within:
            record.status = STEP_FAILED
        self.record(record, CHECK_OF_VERDICT[budget.within])

    def run_phase(self, phase: str, run_all: bool = False) -> bool:
        ok = True
        for step in getattr(self.scenario, phase):
            for name, local in self._expand(step):
                if not ok and not run_all:
                    self.record(
                        StepRecord(
                            name,
                            phase,
                            step.kind,
                            step.ref,
                            utc_now(),
                            status=STEP_SKIPPED,
                            detail="an earlier step failed",
                        )
                    )
                    continue
                record = self.run_step(phase, step, name, local)
                if record.status == STEP_FAILED and not step.continue_on_failure:
                    ok = False
        return ok

    def _expand(self, step: Step) -> list[tuple[str, dict[str, Any]]]:
        rows = self.ctx.for_each(step.for_each) if step.for_each else [{}]
        return [(render(step.name, {**self.ctx.variables, **row}), row) for row in rows]

    def run_step(self, phase: str, step: Step, name: str, local: dict[str, Any]) -> StepRecord:
        record = self._begin(name, phase, step.kind, step.ref)
        started = time.monotonic()
        variables = {**self.ctx.variables, **local}
        try:
            args = render(step.args, variables)
            handler = {"probe": self._probe, "fault": self._fault, "action": self._action}[step.kind]
            handler(record, step, args, variables)
        except RunbookError as error:
            self._failed(record, str(error))
        except Exception as error:  # a probe or fault error: report it in one line, keep going
            self._failed(record, f"{type(error).__name__}: {error}")
        record.end = utc_now()
        record.duration_s = round(time.monotonic() - started, 3)
        self.record(record)
        return record

    def _failed(self, record: StepRecord, detail: str) -> None:
        record.status, record.detail = STEP_FAILED, detail
        if record.kind == "probe":  # a probe that cannot look is a check that did not pass
            self.add_check(record, CHECK_FAILED, detail)

    def _probe(self, record: StepRecord, step: Step, args: dict[str, Any], _: dict) -> None:
        probe = activities.probes()[step.ref]
        gaps = [self.ctx.target.lacks(c) for c in probe.requires if self.ctx.target.lacks(c)]
        if gaps:
            record.status, record.detail = STEP_NOT_COVERED, "; ".join(gaps)
            self.add_check(record, CHECK_NOT_COVERED, record.detail)
            return
        check = probe.function(self.ctx, **args)
        record.detail, record.result = check.detail, check.data or None
        if check.passed is None:
            record.status = STEP_NOT_COVERED
        elif not check.passed:
            record.status = STEP_FAILED
        self.add_check(record, CHECK_OF_VERDICT[check.passed], check.detail)

    def _fault(self, record: StepRecord, step: Step, args: dict[str, Any], _: dict) -> None:
        fault = activities.faults()[step.ref]
        plan = fault.plan(self.ctx, **args)
        # Held, so an injection is never cut short between its journal entry and its change.
        with signals_held("finishing this fault injection, then undoing it") as held:
            entry = self.faults.begin(KIND_FAULT, step.ref, record.name, plan)
            state = fault.inject(self.ctx, plan, **args)
            self.faults.settle(entry, APPLIED, {k: v for k, v in state.items() if k != "summary"})
        if held:
            raise KeyboardInterrupt("signal during fault injection")
        affected = state.get("services", {})
        self.journal.affected_services += [n for n in affected if n not in self.journal.affected_services]
        outputs = state.get("outputs", {})
        self.ctx.variables.update(outputs)
        record.detail = state.get("summary", "injected")
        record.result = {"outputs": outputs} if outputs else None
        self.events.fault_injected(record)

    def _action(
        self, record: StepRecord, step: Step, args: dict[str, Any], variables: dict[str, Any]
    ) -> None:
        # Omitted arguments come from the stack, as the action's Lambda would have them (never
        # from this shell's environment); filled here so the journal records what will run.
        arguments = arguments_with_environment(step.ref, args, self.ctx.action_environment())
        gaps = [
            gap for c in activities.ACTION_REQUIRES.get(step.ref, ()) if (gap := self.ctx.target.lacks(c))
        ]
        if gaps:
            self._not_covered(record, "; ".join(gaps))
            return
        entry = self._journal_action(step, record.name, arguments)
        try:
            result = invoke(step.ref, self.ctx.clients, arguments, dry_run=step.dry_run).to_dict()
        except NotSupportedError as error:
            self._not_covered(record, str(error))
            return
        if entry is not None:
            self.faults.settle(entry, APPLIED)
        record.result = result
        record.detail = "changed" if result["changed"] else "no change"
        if not result["ok"]:
            record.status, record.detail = STEP_FAILED, "action reported ok=false"
        self._expectations(record, step, result, variables)
        for variable, path in step.save.items():
            self.ctx.variables[variable] = resolve_path(result, path)[0]

    def _not_covered(self, record: StepRecord, why: str) -> None:
        record.status, record.detail = (
            STEP_NOT_COVERED,
            f"not covered on target {self.ctx.target.name}: {why}",
        )
        self.add_check(record, CHECK_NOT_COVERED, record.detail)

    def _journal_action(self, step: Step, name: str, arguments: dict[str, Any]):
        """Journal a mutating action that has an undo before it runs (with what it will change)."""
        spec = undo_for(step.ref)
        if step.dry_run or spec is None or spec.undo is None:
            return None
        captured = spec.capture(self.ctx, arguments) if spec.capture else {}
        return self.faults.begin(KIND_ACTION, step.ref, name, {"arguments": arguments, "captured": captured})

    def _expectations(
        self, record: StepRecord, step: Step, result: dict[str, Any], variables: dict[str, Any]
    ) -> None:
        for expectation in step.expect:
            expectation = type(expectation)(
                expectation.path, expectation.op, render(expectation.value, variables)
            )
            passed, detail = evaluate(expectation, result)
            self.add_check(
                record,
                CHECK_PASSED if passed else CHECK_FAILED,
                detail,
                name=f"{record.name}: {expectation.describe()}",
            )
            if not passed:
                record.status, record.detail = STEP_FAILED, f"expectation failed: {detail}"

    def _begin(self, name: str, phase: str, kind: str, ref: str) -> StepRecord:
        record = StepRecord(name, phase, kind, ref, utc_now())
        self.events.step_started(record)
        return record

    def add_check(self, record: StepRecord, status: str, detail: str, name: str | None = None) -> None:
        check = CheckRecord(name or record.name, record.phase, status, detail)
        self.journal.checks.append(check)
        self.events.check_recorded(check)

    def record(self, record: StepRecord, check: str | None = None) -> None:
        """Add a finished step to the timeline; with ``check`` (a CHECK_ status), also the
        check it stands for, with the step's detail."""
        self.journal.timeline.append(record)
        self.events.step_finished(record)
        if check is not None:
            self.add_check(record, check, record.detail)

    def undo_faults(self, interrupted: bool = False) -> bool:
        """Undo every journalled change, newest first; True if a signal arrived meanwhile (held).
        After an interrupt it says so first, as people press Ctrl-C again when nothing shows."""
        pending = self.faults.journal.open_entries()
        announce = (
            (
                f"interrupted: undoing {len(pending)} journalled change(s) first, newest first; "
                "further Ctrl-C or SIGTERM waits until that is done"
            )
            if interrupted and pending
            else None
        )
        with signals_held("undoing the injected faults", announce) as held:

            def report(record: StepRecord) -> None:
                self.journal.undo.append(record)
                self.events.fault_undone(record)

            undo_all(self.ctx, self.faults, report)
        return bool(held)


def play_script(runner: Runner, journal: Journal) -> None:
    """The scripted drill: the scenario's procedure responds to the fault through the runbook
    actions, and the verify phase judges the result (also after a failed injection)."""
    if not runner.steady_state_holds():
        return
    if runner.inject_faults():
        detected_s = runner.detect()
        runner.run_phase("procedure")
        runner.check_budget(detected_s)
    runner.run_phase("verify", run_all=True)
