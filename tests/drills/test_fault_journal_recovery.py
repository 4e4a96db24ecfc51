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

from drills.emulator import MotoServer
from drills.fault_journal import LocalJournalStore, TargetJournalStore
from drills.open_journals import OpenJournalError, check_before_run, open_journals
from drills.orchestrate import run_one
from drills.progress import ProgressPrinter
from drills.recover_command import _recover_all
from drills.runner import Runner
from drills.scenario import load_scenarios
from drills.seed import seed_platform
from drills.session import TargetSession, emulator_clients
from drills.targets import Target
from stack_config import load_platform
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


def test_kill_9_after_stop_writes_then_recover_brings_the_platform_back(moto_server, tmp_path: Path) -> None:
    journals = tmp_path / "journals"
    drill = subprocess.Popen(
        _drills(
            "run",
            "p0-b",
            "--endpoint-url",
            moto_server.endpoint_url,
            "--report-dir",
            str(tmp_path),
            journal_dir=journals,
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = Lines(drill.stderr)
    try:
        stderr.wait_for("procedure", "stop all writes", " ok ")
        with paused_outside_a_fan_out(moto_server._process.pid, drill.pid):
            drill.kill()  # SIGKILL: no handler, no undo, no report
            drill.wait(timeout=30)
    finally:
        if drill.poll() is None:
            drill.kill()
    left = _left_behind(moto_server.endpoint_url)
    assert any(p.startswith("fastify-nova at 0") for p in left), left  # writes still stopped
    [journal] = [json.loads(p.read_text()) for p in journals.glob("*.json")]
    refs = [e["ref"] for e in journal["entries"]]
    assert refs[:2] == ["data-corruption", "stop-writes"], refs
    listed = subprocess.run(
        _drills("recover", "--endpoint-url", moto_server.endpoint_url, "--list", journal_dir=journals),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0 and journal["run_id"] in listed.stdout and "stop-writes" in listed.stdout
    assert _left_behind(moto_server.endpoint_url) == left  # --list changes nothing
    recovered = subprocess.run(
        _drills("recover", "--endpoint-url", moto_server.endpoint_url, journal_dir=journals),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"closed: run {journal['run_id']}" in recovered.stdout
    assert _left_behind(moto_server.endpoint_url) == []
    assert list(journals.glob("*.json")) == []
    again = subprocess.run(
        _drills("recover", "--endpoint-url", moto_server.endpoint_url, journal_dir=journals),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and "no open fault journals" in again.stdout


def test_kill_9_on_the_embedded_emulator_is_explained_and_closed(tmp_path: Path) -> None:
    journals = tmp_path / "journals"
    drill = subprocess.Popen(
        _drills("run", "p0-a", "--report-dir", str(tmp_path), journal_dir=journals),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = Lines(drill.stderr)
    try:
        stderr.wait_for("faults", "deploy a crashing revision", " ok ")
        os.kill(drill.pid, signal.SIGKILL)
        drill.wait(timeout=30)
    finally:
        if drill.poll() is None:
            drill.kill()
    [path] = journals.glob("*.json")
    endpoint = json.loads(path.read_text())["target"]["endpoint_url"]
    recovered = subprocess.run(
        _drills("recover", journal_dir=journals), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
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
    journals = tmp_path / "journals"
    gameday = subprocess.Popen(
        _drills(
            "gameday",
            "p0-a",
            "--endpoint-url",
            moto_server.endpoint_url,
            "--report-dir",
            str(tmp_path),
            "--state-dir",
            str(tmp_path),
            "--time-limit-minutes",
            "5",
            "--poll-seconds",
            "1",
            journal_dir=journals,
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = Lines(gameday.stderr)
    try:
        stderr.wait_for("GAME DAY", "acknowledge with")  # injected and paged: people at work
        os.kill(gameday.pid, signal.SIGKILL)
        gameday.wait(timeout=30)
    finally:
        if gameday.poll() is None:
            gameday.kill()
    assert any("on fastify-nova:4" in p for p in _left_behind(moto_server.endpoint_url))  # still crashing
    recovered = subprocess.run(
        _drills("recover", "--endpoint-url", moto_server.endpoint_url, journal_dir=journals),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert _left_behind(moto_server.endpoint_url) == []
    assert list(journals.glob("*.json")) == []
