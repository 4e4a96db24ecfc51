"""Every drill undoes what it injected: when a step fails, on SIGINT, on SIGTERM, and when a
second signal arrives during the undo itself.

The drill runs as a user runs it (``python -m drills run p0-a``) against the session's
emulator. To stop it at a known point, the emulator is paused (SIGSTOP) as soon as the drill
reports the fault injected: the drill's next call then waits, and the signal lands mid-procedure.
The emulator is resumed once the drill says it is undoing, then it must be back in its steady
state.
"""
from __future__ import annotations

import dataclasses
import json
import os
import queue
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from stack_config import load_platform

pytestmark = pytest.mark.emulator
PLATFORM = load_platform("production")
INJECTED = "deploy a crashing revision to every service"
WAIT_S = 60.0


class Lines:
    """A child's stderr, read line by line in the background."""

    def __init__(self, stream) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, *words: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if all(word in line for word in words):
                return line
        raise AssertionError(f"drill never printed {words}; stderr so far:\n{''.join(self.seen)}")

    def rest(self) -> str:
        while (line := self._queue.get(timeout=WAIT_S)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


@contextmanager
def paused_outside_a_fan_out(emulator_pid: int, drill_pid: int) -> Iterator[None]:
    """Pause the emulator at a moment the drill runs no worker threads: a drill interrupted
    inside a fan-out first waits for its workers, which would wait for the paused emulator."""
    for _ in range(1000):
        os.kill(emulator_pid, signal.SIGSTOP)
        if len(os.listdir(f"/proc/{drill_pid}/task")) == 1:
            break
        os.kill(emulator_pid, signal.SIGCONT)
        time.sleep(0.002)
    else:
        os.kill(emulator_pid, signal.SIGCONT)
        raise AssertionError("the drill never left its fan-outs")
    try:
        yield
    finally:  # never leave the shared emulator stopped
        os.kill(emulator_pid, signal.SIGCONT)


def steady_state_problems(endpoint: str) -> list[str]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=PLATFORM.region)
    ecs, logs = (session.client(name, endpoint_url=endpoint) for name in ("ecs", "logs"))
    services = ecs.describe_services(cluster=PLATFORM.cluster,
                                     services=list(PLATFORM.service_names))["services"]
    problems = []
    for service in services:
        name, deployed = service["serviceName"], service["taskDefinition"]
        if not deployed.endswith(f"{name}:3") or service["desiredCount"] != PLATFORM.service(name).desired_count:
            problems.append(f"{name} on {deployed.rsplit('/', 1)[-1]} x{service['desiredCount']}")
        bad = ecs.describe_task_definition(taskDefinition=f"{name}:4")["taskDefinition"]
        if bad["status"] != "INACTIVE":
            problems.append(f"bad revision {name}:4 is {bad['status']}")
        streams = logs.describe_log_streams(logGroupName=PLATFORM.service(name).log_group,
                                            logStreamNamePrefix="drill/")["logStreams"]
        problems += [f"crash log stream {s['logStreamName']} left in {name}'s log group" for s in streams]
    return problems


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGTERM,),
                                     (signal.SIGINT, signal.SIGTERM)],
                         ids=["SIGINT", "SIGTERM", "SIGINT, then SIGTERM during the undo"])
def test_a_signalled_drill_undoes_its_faults(run_drill, moto_server, tmp_path: Path, signals) -> None:
    drill = run_drill.start("p0-a")
    stderr = Lines(drill.stderr)
    try:
        stderr.wait_for("faults", INJECTED, " ok ")
        with paused_outside_a_fan_out(moto_server._process.pid, drill.pid):  # next AWS call waits
            drill.send_signal(signals[0])
            # Printed once signals are held; the undo's first AWS call then waits too.
            stderr.wait_for("interrupted: undoing 1 injected fault(s) first")
            for later in signals[1:]:
                drill.send_signal(later)
                stderr.wait_for(f"{signal.Signals(later).name} received: undoing the injected faults first")
        assert drill.wait(timeout=WAIT_S) == 130
    finally:
        if drill.poll() is None:
            drill.kill()
    output = stderr.rest()
    assert "interrupted: injected faults were undone; partial report written" in output
    assert "Traceback" not in output
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["status"] == "interrupted"
    assert [(u["name"], u["status"]) for u in report["undo"]] == [(f"undo {INJECTED}", "ok")]
    assert not any(s["phase"] == "verify" for s in report["timeline"])  # stopped mid-way
    assert steady_state_problems(moto_server.endpoint_url) == []


def _procedure_that_fails(data: dict) -> None:
    data["procedure"] = [{"name": "roll back a service that does not exist",
                          "action": "rollback-service", "args": {"service": "ghost"}}]


def test_a_drill_whose_step_fails_still_undoes_its_faults(run_drill, moto_server, tmp_path) -> None:
    finished = run_drill("p0-a", _procedure_that_fails)
    assert finished.returncode == 1, finished.stderr
    report = json.loads((tmp_path / "p0-a.json").read_text())
    assert report["status"] == "failed"
    assert report["reason"].startswith("step 'roll back a service that does not exist' failed")
    assert [u["status"] for u in report["undo"]] == ["ok"]
    assert steady_state_problems(moto_server.endpoint_url) == []


def test_a_signal_during_injection_is_held_until_the_fault_is_recorded(tmp_path, monkeypatch) -> None:
    """In-process, the runner itself: a SIGINT raised inside the injection is acted on only
    after the fault is recorded, so it is undone."""
    from drills import activities
    from drills.context import DrillContext
    from drills.runner import Runner
    from drills.scenario import load_scenarios
    from drills.targets import local_target

    undone = []
    fault = activities.faults()["bad-deploy"]

    def inject(ctx, **_):
        os.kill(os.getpid(), signal.SIGINT)  # arrives mid-injection
        return {"summary": "injected"}

    monkeypatch.setitem(activities._FAULTS, "bad-deploy", activities.Fault(
        fault.name, inject, lambda ctx, state: undone.append(state) or "undone", fault.services,
        fault.params, fault.outputs))
    scenario = load_scenarios()["p0-a"]
    scenario = dataclasses.replace(scenario, steady_state=())
    ctx = DrillContext(platform=PLATFORM, clients=None, target=local_target("http://unused"),
                       stack="production", run_id="r-1", incident_id="DRILL-1")
    runner = Runner(scenario, ctx)
    with pytest.raises(KeyboardInterrupt):
        runner.run()
    assert undone == [{"summary": "injected"}]
    assert runner.journal.status == "interrupted"
