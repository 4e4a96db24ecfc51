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
import signal
from pathlib import Path

import boto3
import pytest

from stack_config import load_platform
from tests.support.drill_process import WAIT_S, Lines, paused_outside_a_fan_out

pytestmark = pytest.mark.emulator
PLATFORM = load_platform("production")
INJECTED = "deploy a crashing revision to every service"


def steady_state_problems(endpoint: str) -> list[str]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=PLATFORM.region
    )
    ecs, logs = (session.client(name, endpoint_url=endpoint) for name in ("ecs", "logs"))
    services = ecs.describe_services(cluster=PLATFORM.cluster, services=list(PLATFORM.service_names))[
        "services"
    ]
    problems = []
    for service in services:
        name, deployed = service["serviceName"], service["taskDefinition"]
        if (
            not deployed.endswith(f"{name}:3")
            or service["desiredCount"] != PLATFORM.service(name).desired_count
        ):
            problems.append(f"{name} on {deployed.rsplit('/', 1)[-1]} x{service['desiredCount']}")
        bad = ecs.describe_task_definition(taskDefinition=f"{name}:4")["taskDefinition"]
        if bad["status"] != "INACTIVE":
            problems.append(f"bad revision {name}:4 is {bad['status']}")
        streams = logs.describe_log_streams(
            logGroupName=PLATFORM.service(name).log_group, logStreamNamePrefix="drill/"
        )["logStreams"]
        problems += [f"crash log stream {s['logStreamName']} left in {name}'s log group" for s in streams]
    return problems


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGINT,), (signal.SIGTERM,), (signal.SIGINT, signal.SIGTERM)],
    ids=["SIGINT", "SIGTERM", "SIGINT, then SIGTERM during the undo"],
)
def test_a_signalled_drill_undoes_its_faults(run_drill, moto_server, tmp_path: Path, signals) -> None:
    drill = run_drill.start("p0-a")
    stderr = Lines(drill.stderr)
    try:
        stderr.wait_for("faults", INJECTED, " ok ")
        with paused_outside_a_fan_out(moto_server._process.pid, drill.pid):  # next AWS call waits
            drill.send_signal(signals[0])
            # Printed once signals are held; the undo's first AWS call then waits too.
            stderr.wait_for("interrupted: undoing 1 journalled change(s) first")
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
    data["procedure"] = [
        {
            "name": "roll back a service that does not exist",
            "action": "rollback-service",
            "args": {"service": "ghost"},
        }
    ]


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
    from targets.target import local_target

    undone = []
    fault = activities.faults()["bad-deploy"]
    # As in a terminal, whatever this test process inherited (a background job has SIGINT
    # ignored, and the drill honours an ignored SIGINT: tests/safety/test_signals_held_ignored.py).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def inject(ctx, plan, **_):
        os.kill(os.getpid(), signal.SIGINT)  # arrives mid-injection
        return {**plan, "summary": "injected"}

    monkeypatch.setitem(
        activities._FAULTS,
        "bad-deploy",
        activities.Fault(
            fault.name,
            lambda ctx, **_: {"planned": True},
            inject,
            lambda ctx, state: undone.append(state) or "undone",
            fault.services,
            fault.params,
            fault.outputs,
        ),
    )
    scenario = load_scenarios()["p0-a"]
    scenario = dataclasses.replace(scenario, steady_state=())
    ctx = DrillContext(
        platform=PLATFORM,
        clients=None,
        target=local_target("http://unused"),
        stack="production",
        run_id="r-1",
        incident_id="DRILL-1",
    )
    runner = Runner(scenario, ctx)
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert undone == [{"planned": True}]  # the state as journalled (the summary is for people)
    assert runner.journal.status == "interrupted"
