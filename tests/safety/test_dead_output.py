"""Losing the terminal loses text, never the undo: ``drills run ... | tee log`` and Ctrl-C kills
``tee`` too, and the drill must still undo every fault, write its report and exit 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drills.console import ForgivingStream
from drills.events import EventRegistry, RunEventHandler
from drills.journal import StepRecord
from tests.safety.test_undo_on_interrupt import INJECTED, steady_state_problems
from tests.support.drill_process import WAIT_S, paused_outside_a_fan_out

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.emulator
def test_ctrl_c_with_a_dead_output_pipe_still_undoes_and_reports(run_drill, moto_server, tmp_path) -> None:
    drill = run_drill.start("p0-a")
    try:
        for line in drill.stderr:  # as tee would read it, until the fault is in
            if "faults" in line and INJECTED in line and " ok " in line:
                break
        with paused_outside_a_fan_out(moto_server._process.pid, drill.pid):
            drill.stderr.close()  # tee dies with the Ctrl-C: every later write meets a dead pipe
            drill.send_signal(signal.SIGINT)
            time.sleep(0.5)  # the interrupt lands while the drill waits on the paused emulator
        assert drill.wait(timeout=WAIT_S) == 130
    finally:
        if drill.poll() is None:
            drill.kill()
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["status"] == "interrupted"
    assert [(u["name"], u["status"]) for u in report["undo"]] == [(f"undo {INJECTED}", "ok")]
    assert steady_state_problems(moto_server.endpoint_url) == []


def test_a_closed_stderr_is_held_on_dev_null_so_no_file_takes_its_number(tmp_path) -> None:
    """With ``2>&-`` the next file opened would be descriptor 2, and stderr text would land in it."""
    probe = tmp_path / "probe.txt"
    program = (
        "import os, sys; from drills.console import forgive_broken_output; forgive_broken_output();"
        f"f = open({str(probe)!r}, 'w'); os.write(2, b'stderr text'); print('more', file=sys.stderr);"
        "print(f.fileno()); f.close()"
    )
    finished = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -c "$0" 2>&-', program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert int(finished.stdout.strip()) > 2
    assert probe.read_text() == ""


def test_a_forgiving_stream_drops_text_once_its_pipe_is_gone() -> None:
    reader, writer = os.pipe()
    stream = ForgivingStream(open(writer, "w", buffering=1))
    os.close(reader)
    print("a line nobody reads", file=stream, flush=True)
    assert stream.dropped > 0


class _Recorder(RunEventHandler):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def fault_undone(self, record: StepRecord) -> None:
        self.seen.append(record.name)

    def step_finished(self, record: StepRecord) -> None:
        self.seen.append(record.name)


class _Raises(RunEventHandler):
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def fault_undone(self, record: StepRecord) -> None:
        raise self.error

    def step_finished(self, record: StepRecord) -> None:
        raise self.error


def _record() -> StepRecord:
    return StepRecord("undo the fault", "undo", "fault", "bad-deploy", "2026-11-29T00:00:00.000Z")


@pytest.mark.parametrize("error", [SystemExit(3), KeyboardInterrupt(), GeneratorExit()], ids=repr)
def test_no_handler_can_stop_the_undo(error: BaseException) -> None:
    recorder = _Recorder()
    registry = EventRegistry([_Raises(error), recorder])
    registry.fault_undone(_record())  # returns: the undo goes on to the next entry
    assert recorder.seen == ["undo the fault"]
    assert len(registry.failures) == 1


def test_a_real_ctrl_c_outside_the_undo_reaches_every_handler_then_ends_the_run() -> None:
    recorder = _Recorder()
    registry = EventRegistry([_Raises(KeyboardInterrupt()), recorder])
    with pytest.raises(KeyboardInterrupt):
        registry.step_finished(_record())
    assert recorder.seen == ["undo the fault"]


def test_a_handler_exiting_the_interpreter_does_not_end_the_drill() -> None:
    registry = EventRegistry([_Raises(SystemExit(0))])
    registry.step_finished(_record())
    assert "SystemExit" in registry.failures[0]
