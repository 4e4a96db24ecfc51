"""The fault journal survives the drill: kill -9 mid-way, then ``drills recover`` undoes what
the killed run left; a long-lived target refuses a new run (also from another machine) until
then. Everything is checked by reading the emulator, not the drill's own report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from drills.fault_journal import LocalJournalStore, TargetJournalStore
from drills.open_journals import OpenJournalError, check_before_run, open_journals
from drills.orchestrate import run_one
from drills.progress import ProgressPrinter
from drills.recover_command import _recover_all
from drills.runner import Runner
from drills.scenario import load_scenarios
from stack_config import load_platform
from targets.emulator import MotoServer
from targets.seed import seed_platform
from targets.session import TargetSession, emulator_clients
from targets.target import Target
from tests.support.drill_process import Lines, paused_outside_a_fan_out

pytestmark = pytest.mark.emulator
ROOT = Path(__file__).resolve().parents[2]
PLATFORM = load_platform("production")
RECORD_PREFIX = f"/incident-guardrails/{PLATFORM.cluster}/incidents/"


def _clients(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=PLATFORM.region
    )
    return {name: session.client(name, endpoint_url=endpoint) for name in ("ecs", "rds", "ssm")}


def _left_behind(endpoint: str) -> list[str]:
    """Everything that differs from the seeded platform, as read from the emulator."""
    aws = _clients(endpoint)
    services = aws["ecs"].describe_services(cluster=PLATFORM.cluster, services=list(PLATFORM.service_names))
    problems = [
        f"{s['serviceName']} at {s['desiredCount']} on {s['taskDefinition'].rsplit('/', 1)[-1]}"
        for s in services["services"]
        if s["desiredCount"] != PLATFORM.service(s["serviceName"]).desired_count
        or not s["taskDefinition"].endswith(":3")
    ]
    problems += [
        f"cluster {c['DBClusterIdentifier']}"
        for c in aws["rds"].describe_db_clusters()["DBClusters"]
        if c["DBClusterIdentifier"] != PLATFORM.aurora.cluster_id
    ]
    problems += [
        f"snapshot {s['DBClusterSnapshotIdentifier']}"
        for s in aws["rds"].describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    ]
    params = aws["ssm"].describe_parameters()["Parameters"]
    problems += [f"record {p['Name']}" for p in params if p["Name"].endswith("/desired-counts")]
    endpoint_value = aws["ssm"].get_parameter(Name=PLATFORM.aurora.endpoint_parameter)["Parameter"]["Value"]
    if not endpoint_value.startswith(f"{PLATFORM.aurora.cluster_id}.cluster-"):
        problems.append(f"endpoint parameter points at {endpoint_value}")
    return problems


def _drills(*args: str, journal_dir: Path) -> list[str]:
    return [sys.executable, "-m", "drills", *args, "--journal-dir", str(journal_dir)]


def _kill_9_once(argv: list[str], *words: str, pause_pid: int | None = None) -> None:
    """Start ``argv``, wait for a progress line holding ``words``, then SIGKILL it: no handler,
    no undo, no report. With ``pause_pid``, that emulator is paused meanwhile, so the kill lands
    between two AWS calls rather than wherever the drill happens to be."""
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        Lines(process.stderr).wait_for(*words)
        if pause_pid is None:
            os.kill(process.pid, signal.SIGKILL)
        else:
            with paused_outside_a_fan_out(pause_pid, process.pid):
                os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def _recover(journals: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _drills("recover", *flags, journal_dir=journals),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kill_9_after_stop_writes_then_recover_brings_the_platform_back(moto_server, tmp_path: Path) -> None:
    journals, endpoint = tmp_path / "journals", moto_server.endpoint_url
    run = _drills(
        "run", "p0-b", "--endpoint-url", endpoint, "--report-dir", str(tmp_path), journal_dir=journals
    )
    _kill_9_once(run, "procedure", "stop all writes", " ok ", pause_pid=moto_server._process.pid)
    left = _left_behind(endpoint)
    assert any(p.startswith("fastify-nova at 0") for p in left), left  # writes still stopped
    [journal] = [json.loads(p.read_text()) for p in journals.glob("*.json")]
    refs = [e["ref"] for e in journal["entries"]]
    assert refs[:2] == ["data-corruption", "stop-writes"], refs
    listed = _recover(journals, "--endpoint-url", endpoint, "--list")
    assert listed.returncode == 0 and journal["run_id"] in listed.stdout and "stop-writes" in listed.stdout
    assert _left_behind(endpoint) == left  # --list changes nothing
    recovered = _recover(journals, "--endpoint-url", endpoint)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"closed: run {journal['run_id']}" in recovered.stdout
    assert _left_behind(endpoint) == []
    assert list(journals.glob("*.json")) == []
    again = _recover(journals, "--endpoint-url", endpoint)
    assert again.returncode == 0 and "no open fault journals" in again.stdout


def test_kill_9_on_the_embedded_emulator_is_explained_and_closed(tmp_path: Path) -> None:
    journals = tmp_path / "journals"
    run = _drills("run", "p0-a", "--report-dir", str(tmp_path), journal_dir=journals)
    _kill_9_once(run, "faults", "deploy a crashing revision", " ok ")
    [path] = journals.glob("*.json")
    endpoint = json.loads(path.read_text())["target"]["endpoint_url"]
    recovered = _recover(journals)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"the emulator it ran on ({endpoint}) is gone" in recovered.stdout
    assert list(journals.glob("*.json")) == []


class _Killed(BaseException):
    """Stands for kill -9: nothing after it runs, not even the undo."""


def _long_lived(endpoint: str) -> TargetSession:
    clients = emulator_clients(endpoint, PLATFORM.region)
    # A moto server that is never reset stands in for LocalStack or a staging account.
    return TargetSession(
        Target("localstack", endpoint, None, {}),
        clients,
        lambda _p: None,
        key=f"localstack:{endpoint}",
        long_lived=True,
    )


def test_a_long_lived_target_refuses_new_runs_until_recovered(
    moto_server, tmp_path: Path, monkeypatch
) -> None:
    MotoServer.reset_at(moto_server.endpoint_url)
    session = _long_lived(moto_server.endpoint_url)
    seed_platform(session.clients, PLATFORM)
    stores = [LocalJournalStore(tmp_path / "laptop"), TargetJournalStore(session.clients.ssm)]
    original = Runner.run_step

    def dies_after_stop_writes(self, phase, step, name, local):
        record = original(self, phase, step, name, local)
        if step.ref == "stop-writes":
            raise _Killed()
        return record

    monkeypatch.setattr(Runner, "run_step", dies_after_stop_writes)
    monkeypatch.setattr(Runner, "undo_faults", lambda self, interrupted=False: False)
    with pytest.raises(_Killed):
        run_one(
            load_scenarios()["p0-b"],
            session,
            PLATFORM,
            "production",
            tmp_path / "reports",
            ProgressPrinter(stream=open(os.devnull, "w")),
            stores=stores,
        )
    monkeypatch.undo()
    assert any(p.startswith("storefront at 0") for p in _left_behind(moto_server.endpoint_url))
    other_machine = [LocalJournalStore(tmp_path / "other-laptop"), TargetJournalStore(session.clients.ssm)]
    for where in (stores, other_machine):
        with pytest.raises(
            OpenJournalError,
            match=r"refused: run p0-b-.* left: stop-writes \(applied\), "
            r"data-corruption \(applied\).*python -m drills recover "
            r"--target localstack --endpoint-url",
        ):
            check_before_run(session, where, lambda line: None)
    assert _recover_all(open_journals(session, other_machine), session, other_machine, False) == 0
    assert _left_behind(moto_server.endpoint_url) == []
    check_before_run(session, stores, lambda line: None)  # the laptop's copy went with the target's
    assert open_journals(session, stores) == []


def test_kill_9_of_a_game_day_while_people_respond_then_recover(moto_server, tmp_path: Path) -> None:
    """A game day runs for half an hour with the fault in place: a lost laptop then must not
    leave the crashing build deployed."""
    journals, endpoint = tmp_path / "journals", moto_server.endpoint_url
    gameday = _drills(
        "gameday",
        "p0-a",
        "--endpoint-url",
        endpoint,
        "--report-dir",
        str(tmp_path),
        "--state-dir",
        str(tmp_path),
        "--time-limit-minutes",
        "5",
        "--poll-seconds",
        "1",
        journal_dir=journals,
    )
    _kill_9_once(gameday, "GAME DAY", "acknowledge with")  # injected and paged: people at work
    assert any("on fastify-nova:4" in p for p in _left_behind(endpoint))  # still crashing
    recovered = _recover(journals, "--endpoint-url", endpoint)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert _left_behind(endpoint) == []
    assert list(journals.glob("*.json")) == []
