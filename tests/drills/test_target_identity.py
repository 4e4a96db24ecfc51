"""One target, however its endpoint is spelled; one drill or recovery at a time on it; and the
journal's folder and unreadable journals refused or named before anything is injected."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drills.fault_journal import TARGET_JOURNAL_PATH, FaultJournal, LocalJournalStore, TargetJournalStore
from drills.open_journals import OpenJournalError, check_before_run
from targets.identity import TargetBusyError, endpoint_identity, target_lock
from targets.session import TargetSession
from targets.target import Target

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "spelling",
    [
        "http://localhost:5123/",
        "HTTP://127.0.0.1:5123",
        "http://[::1]:5123",
        "http://127.0.0.1:5123/some/path",
        "http://LOCALHOST.:5123",
    ],
)
def test_every_spelling_of_one_emulator_is_one_target(spelling: str) -> None:
    assert endpoint_identity(spelling) == endpoint_identity("http://127.0.0.1:5123")


@pytest.mark.parametrize("other", ["http://127.0.0.1:5124", "https://127.0.0.1:5123", "http://10.1.2.3:5123"])
def test_another_port_scheme_or_host_is_another_target(other: str) -> None:
    assert endpoint_identity(other) != endpoint_identity("http://127.0.0.1:5123")


def test_a_target_is_held_by_one_drill_at_a_time(tmp_path: Path) -> None:
    key = f"local:{endpoint_identity('http://127.0.0.1:5123')}"
    with target_lock(key, "drills run p0-b", tmp_path):
        with pytest.raises(TargetBusyError, match=r"refused: drills run p0-b \(pid \d+\) is using target"):
            with target_lock(key, "drills recover", tmp_path):
                pass
    with target_lock(key, "drills recover", tmp_path):  # released with the first holder
        pass


def test_a_second_drill_on_a_differently_spelled_endpoint_is_refused(moto_server, tmp_path: Path) -> None:
    port = moto_server.endpoint_url.rsplit(":", 1)[1]
    key = f"local:{endpoint_identity(moto_server.endpoint_url)}"
    with target_lock(key, "drills gameday p0-a"):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "drills",
                "run",
                "p0-a",
                "--endpoint-url",
                f"http://localhost:{port}/",
                "--report-dir",
                str(tmp_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 2, run.stderr
    assert "refused: drills gameday p0-a" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "p0-a.json").exists()  # refused before the scenario started


def test_a_journal_folder_that_is_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    blocker = tmp_path / "journals"
    blocker.write_text("not a folder")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "drills",
            "run",
            "p0-a",
            "--journal-dir",
            str(blocker),
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert (
        run.stderr.startswith(f"error: journal folder {blocker} cannot be used")
        and "Traceback" not in run.stderr
    )


def test_recover_lists_a_journal_by_any_spelling_of_its_endpoint(tmp_path: Path) -> None:
    journal = FaultJournal(
        "p0-b-20261129120000-ab12",
        "DRILL-X",
        "p0-b",
        "production",
        {
            "name": "local",
            "key": f"local:{endpoint_identity('http://127.0.0.1:1')}",
            "endpoint_url": "http://127.0.0.1:1",
        },
    )
    LocalJournalStore(tmp_path).save(journal)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "drills",
            "recover",
            "--list",
            "--endpoint-url",
            "http://localhost:1/",
            "--journal-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "open: run p0-b-20261129120000-ab12" in run.stdout


def test_an_unreadable_journal_in_the_target_is_named_and_refuses_a_run(clients, tmp_path: Path) -> None:
    session = TargetSession(
        Target("localstack", "http://127.0.0.1:4566", None, {}),
        clients,
        lambda _p: None,
        key="localstack:http://loopback:4566",
        long_lived=True,
    )
    clients.ssm.put_parameter(Name=f"{TARGET_JOURNAL_PATH}/zz", Value="{not json", Type="String")
    stores = [LocalJournalStore(tmp_path), TargetJournalStore(clients.ssm)]
    with pytest.raises(OpenJournalError, match=f"SSM parameter {TARGET_JOURNAL_PATH}/zz"):
        check_before_run(session, stores, lambda line: None)
    readable = FaultJournal(
        "p0-a-20261129120000-ab12",
        "DRILL-Y",
        "p0-a",
        "production",
        {"name": "localstack", "key": session.key},
    )
    stores[1].save(readable)
    assert [j.run_id for j in stores[1].load_all()] == [readable.run_id]  # the bad one hides nothing
    assert json.dumps(stores[1].unreadable).count("/zz") == 1


def test_two_runs_started_from_two_machines_at_once_step_back(clients, tmp_path: Path) -> None:
    from drills.fault_journal import JournalWriter
    from drills.open_journals import refuse_if_another_run

    session = TargetSession(
        Target("localstack", "http://127.0.0.1:4566", None, {}),
        clients,
        lambda _p: None,
        key="localstack:http://loopback:4566",
        long_lived=True,
    )
    target_store = TargetJournalStore(clients.ssm)
    other = FaultJournal(
        "p0-c-20261129120000-0000", "DRILL-O", "p0-c", "staging", {"name": "localstack", "key": session.key}
    )
    target_store.save(other)  # the other machine's run passed its check a moment before ours
    ours = JournalWriter(
        FaultJournal(
            "p0-a-20261129120000-1111",
            "DRILL-A",
            "p0-a",
            "staging",
            {"name": "localstack", "key": session.key},
        ),
        [LocalJournalStore(tmp_path), target_store],
    )
    ours.open()
    with pytest.raises(OpenJournalError, match="another drill started on target .* at the same time"):
        refuse_if_another_run(session, ours.stores, ours)
    assert [j.run_id for j in target_store.load_all()] == [other.run_id]  # ours withdrew
    assert LocalJournalStore(tmp_path).load_all() == []


@pytest.mark.parametrize(
    "spelling",
    [
        "http://0.0.0.0:5123",
        "http://[::ffff:127.0.0.1]:5123",
        "http://%31%32%37.0.0.1:5123",
        "http://127.1:5123",
        "http://[::]:5123",
    ],
)
def test_addresses_that_reach_this_machine_are_one_target(spelling: str) -> None:
    assert endpoint_identity(spelling) == endpoint_identity("http://127.0.0.1:5123")


def test_the_lock_folder_does_not_follow_tmpdir(monkeypatch, tmp_path: Path) -> None:
    from targets.identity import lock_dir

    before = lock_dir()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    assert lock_dir() == before


@pytest.mark.parametrize(
    "field, value", [("pid", "abc"), ("pid", True), ("stack", "../x"), ("host", 3), ("incident_id", None)]
)
def test_a_journal_with_a_field_of_the_wrong_type_is_named_not_trusted(
    tmp_path: Path, field: str, value
) -> None:
    store = LocalJournalStore(tmp_path)
    journal = FaultJournal(
        "p0-b-20261129120000-ab12",
        "DRILL-X",
        "p0-b",
        "production",
        {"name": "local", "key": "local:x", "endpoint_url": "http://127.0.0.1:1"},
    )
    store.save(journal)
    path = tmp_path / f"{journal.run_id}.json"
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data))
    assert store.load_all() == [] and len(store.unreadable) == 1


def test_a_journal_of_an_unknown_stack_does_not_stop_the_others(moto_server, tmp_path: Path) -> None:
    endpoint = moto_server.endpoint_url
    key = f"local:{endpoint_identity(endpoint)}"
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)  # the runs were killed: their process is gone
    for run_id, stack in (("p0-b-20261129120000-ab12", "nosuch"), ("p0-a-20261129120001-cd34", "production")):
        LocalJournalStore(tmp_path).save(
            FaultJournal(
                run_id,
                f"DRILL-{run_id[-4:]}",
                run_id[:4],
                stack,
                {"name": "local", "key": key, "endpoint_url": endpoint},
                pid=dead_pid,
            )
        )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "drills",
            "recover",
            "--endpoint-url",
            endpoint,
            "--journal-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED: run p0-b-20261129120000-ab12 was not recovered: no stack 'nosuch'" in run.stdout
    assert "closed: run p0-a-20261129120001-cd34" in run.stdout and "Traceback" not in run.stderr
