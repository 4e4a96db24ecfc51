"""``drills run`` says what it does before, around and between the drills (issue 14, "a silent
start"): the emulator's start and the seeding with the seconds since the command started, before
the first step; ``--progress json`` says the same as one JSON object per line; ``--quiet`` only
failures and the summary."""

from __future__ import annotations

import io
import json
import re

import pytest

from drills.journal import STEP_FAILED, STEP_OK, StepRecord
from drills.progress import ProgressPrinter
from tests.support.drill_process import run_drill_in_process

STEP_LINE = re.compile(r"^\[p0-a\] ")


def _run(tmp_path_factory, *options: str):
    report_dir = tmp_path_factory.mktemp("progress")
    done = run_drill_in_process(["run", "p0-a", "--report-dir", str(report_dir), *options])
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    return _run(tmp_path_factory)


@pytest.fixture(scope="module")
def json_run(tmp_path_factory):
    return _run(tmp_path_factory, "--progress", "json")


def test_text_names_the_emulator_start_and_the_seeding_before_the_first_step(text_run) -> None:
    lines = text_run.stderr.splitlines()
    first_step = next(i for i, line in enumerate(lines) if STEP_LINE.match(line))
    before = "\n".join(lines[:first_step])
    assert re.search(r"^\[\+\d+\.\d\ds\] emulator launched \(at \+\d+\.\d\ds", before, re.M), before
    assert re.search(r"^\[\+\d+\.\d\ds\] emulator ready \(waited \d+\.\d\ds for it\)$", before, re.M)
    assert re.search(r"^== p0-a \(P0, guide P0-A\)", before, re.M)
    assert re.search(r"^\[\+\d+\.\d\ds\] platform (seeded|restored from the seeded state) \(", before, re.M)
    after = "\n".join(lines[first_step:])
    assert re.search(r"^\[\+\d+\.\d\ds\] report written: .*p0-a\.json", after, re.M)
    assert re.search(r"^\[\+\d+\.\d\ds\] emulator stopped", after, re.M)
    assert re.search(r"^1 passed, 0 failed \(\d+\.\ds\)$", lines[-1]), lines[-1]
    assert text_run.stdout == ""


def test_text_elapsed_times_grow(text_run) -> None:
    elapsed = [float(s) for s in re.findall(r"^\[\+(\d+\.\d\d)s\]", text_run.stderr, re.M)]
    assert len(elapsed) >= 5 and elapsed == sorted(elapsed)


def test_json_is_one_object_per_line_for_every_event(json_run) -> None:
    events = [json.loads(line) for line in json_run.stderr.splitlines()]  # every line parses
    assert json_run.stdout == ""
    for event in events:
        assert {"event", "scenario", "phase", "step", "status", "elapsed_s"} <= event.keys()
    kinds = [e["event"] for e in events]
    for kind in ("emulator_launched", "emulator_ready", "scenario_started", "report_written"):
        assert kind in kinds
    assert "seeded" in kinds or "restored" in kinds
    first_step = kinds.index("step")
    assert kinds.index("emulator_ready") < first_step
    assert max(kinds.index(k) for k in ("seeded", "restored") if k in kinds) < first_step
    assert kinds[-1] == "run_finished"
    assert events[-1]["status"] == "passed" and (events[-1]["passed"], events[-1]["failed"]) == (1, 0)
    elapsed = [e["elapsed_s"] for e in events]
    assert elapsed == sorted(elapsed)


def test_json_has_every_step_of_the_report(json_run) -> None:
    events = [json.loads(line) for line in json_run.stderr.splitlines()]
    written = next(e for e in events if e["event"] == "report_written")
    report_path = next(p for p in written["path"] if p.endswith("p0-a.json"))
    report = json.loads(open(report_path).read())
    steps = [(e["phase"], e["step"]) for e in events if e["event"] in ("step", "undo")]
    recorded = [(s["phase"], s["name"]) for s in report["timeline"] + report["undo"]]
    assert recorded and steps == recorded
    assert all(e["scenario"] == "p0-a" and e["status"] for e in events if e["event"] == "step")


def test_quiet_prints_no_step_line_but_the_summary(tmp_path_factory) -> None:
    done = _run(tmp_path_factory, "--quiet")
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"1 passed, 0 failed \(\d+\.\ds\)", lines[0]), lines
    assert done.stdout == ""


def _record(name: str, status: str, detail: str) -> StepRecord:
    return StepRecord(
        name, "procedure", "action", "post-status", "2026-01-01T00:00:00Z", status=status, detail=detail
    )


def test_quiet_keeps_failed_steps() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream, quiet=True)
    printer.scenario_started("p0-a", "== p0-a header")
    for status in (STEP_OK, STEP_FAILED):
        printer.step_finished(_record(f"a step {status}", status, "what went wrong"))
    printer.on_phase("seeded", 0.5)
    printer.summary(0, 1)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "a step failed" in lines[0] and "FAILED" in lines[0]
    assert lines[1].startswith("0 passed, 1 failed")


def test_json_redacts_secrets() -> None:
    from drills.redaction import Redactor

    stream = io.StringIO()
    printer = ProgressPrinter(stream, Redactor(["hunter2-secret"]), output="json")
    printer.step_finished(_record("read hunter2-secret", STEP_OK, "got hunter2-secret"))
    assert "hunter2-secret" not in stream.getvalue()
    assert json.loads(stream.getvalue())["event"] == "step"


@pytest.mark.parametrize("value", ["xml", "JSON", ""])
def test_progress_refuses_anything_but_text_or_json(value) -> None:
    done = run_drill_in_process(["run", "p0-a", "--progress", value])
    assert done.returncode == 2
    assert "invalid choice" in done.stderr and "'text', 'json'" in done.stderr
