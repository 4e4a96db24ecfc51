"""The embedded emulator lives exactly as long as the drill process that started it (issue 10).

Each drill here is a real separate Python process that starts a MotoServer; the test then
``kill -9``s that process and expects the moto server to go with it.

These tests start, stop and kill their own servers on purpose: the emulator's lifetime is what
they test, so the session's shared ``moto_server`` (tests/conftest.py) cannot stand in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from targets import emulator
from targets.emulator import MotoServer
from targets.exceptions import EmulatorError

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
# A bound so a broken test cannot hang, not a measure of speed.
GONE_WITHIN_S = 10.0


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie nobody reaps (PID 1 in a container may not) is dead."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_within(pid: int, seconds: float = GONE_WITHIN_S) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2).close()
        return True
    except (urllib.error.URLError, OSError):
        return False


def _kill_if_alive(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Drill:
    """A separate Python process running ``body``; it prints one line of fields, then sleeps."""

    def __init__(self, body: str) -> None:
        script = "import os, sys, time, threading\nfrom targets.emulator import MotoServer\n"
        script += textwrap.dedent(body) + "\ntime.sleep(600)\n"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        self.strays: list[int] = []

    def fields(self) -> list[str]:
        line = self.process.stdout.readline() if self.process.stdout else ""
        assert line, f"the drill process printed nothing (exit code {self.process.poll()})"
        return line.split()

    def kill_9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=GONE_WITHIN_S)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        for pid in self.strays:  # never leave a server behind, even when a test fails
            _kill_if_alive(pid)


@pytest.fixture
def drills() -> Iterator[list[Drill]]:
    started: list[Drill] = []
    yield started
    for drill in started:
        drill.close()


def _start(drills: list[Drill], body: str) -> tuple[Drill, list[str]]:
    drill = Drill(body)
    drills.append(drill)
    fields = drill.fields()
    drill.strays.extend(int(field) for field in fields if field.isdigit())
    return drill, fields


def test_kill_9_of_the_drill_takes_the_emulator_with_it(drills: list[Drill]) -> None:
    drill, (endpoint, pid) = _start(
        drills,
        """
        server = MotoServer().start()
        print(server.endpoint_url, server.pid, flush=True)
    """,
    )
    assert _answers(endpoint)

    drill.kill_9()

    assert _gone_within(int(pid)), "the moto server outlived its drill"
    assert not _answers(endpoint)


def test_a_server_started_from_a_thread_that_ended_lives_until_the_drill_dies(drills: list[Drill]) -> None:
    # Linux's parent-death signal follows the *thread* that forked the child: a server started
    # from a worker thread must survive that thread and die only with the process.
    drill, (endpoint, pid) = _start(
        drills,
        """
        servers = []
        worker = threading.Thread(target=lambda: servers.append(MotoServer().start()))
        worker.start()
        worker.join()
        # Until the worker's OS thread is gone, its exit (and any signal it sends) may be pending.
        deadline = time.monotonic() + 5
        while os.path.isdir("/proc/self/task") and len(os.listdir("/proc/self/task")) > 1 \\
                and time.monotonic() < deadline:
            time.sleep(0.01)
        print(servers[0].endpoint_url, servers[0].pid, flush=True)
    """,
    )
    time.sleep(0.2)  # a parent-death signal, had one been sent, lands in microseconds
    assert _alive(int(pid)) and _answers(endpoint), "the server died with the thread that started it"

    drill.kill_9()

    assert _gone_within(int(pid)), "the moto server outlived its drill"
    assert not _answers(endpoint)


def test_kill_9_in_the_middle_of_a_start_takes_the_emulator_with_it(drills: list[Drill]) -> None:
    # The drill is killed after the server process exists but before it answers.
    drill, (pid,) = _start(
        drills,
        """
        def report_and_hang(server):
            print(server.pid, flush=True)
            time.sleep(600)
        MotoServer._wait_until_ready = report_and_hang
        MotoServer().start()
    """,
    )
    drill.kill_9()

    assert _gone_within(int(pid)), "a half-started moto server outlived its drill"


def test_other_children_of_the_drill_do_not_keep_the_emulator_alive(drills: list[Drill]) -> None:
    # A shell the drill starts later (the runbook checker runs the aws CLI in bash) and that
    # outlives it must not hold anything that keeps the server running.
    drill, (endpoint, pid, shell) = _start(
        drills,
        """
        import subprocess
        server = MotoServer().start()
        shell = subprocess.Popen(["sleep", "600"], close_fds=False, start_new_session=True)
        print(server.endpoint_url, server.pid, shell.pid, flush=True)
    """,
    )
    drill.kill_9()

    assert _gone_within(int(pid)), "the moto server outlived its drill"
    assert _alive(int(shell)), "the test's premise: the drill's other child outlives it"
    assert not _answers(endpoint)


def _no_zombie(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # already reaped: not our child any more
    return False


def test_stop_terminates_the_server_and_reaps_it() -> None:
    server = MotoServer().start()
    pid = server.pid
    assert _answers(server.endpoint_url)

    server.stop()

    assert not _alive(pid) and _no_zombie(pid)
    assert not _answers(server.endpoint_url)
    server.stop()  # a second stop is harmless


def test_stop_kills_a_server_that_cannot_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emulator, "STOP_TIMEOUT_S", 0.5)
    server = MotoServer().start()
    pid = server.pid
    os.kill(pid, signal.SIGSTOP)  # answers neither the reset nor its control pipe; SIGKILL ends it
    process = server._process

    server.stop()

    assert process is not None and process.returncode == -signal.SIGKILL
    assert not _alive(pid) and _no_zombie(pid)


def test_with_block_stops_the_server() -> None:
    with MotoServer() as server:
        pid = server.pid
        assert _answers(server.endpoint_url)
    assert not _alive(pid) and _no_zombie(pid)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (zombies included)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rpartition(")")[2].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _sqs(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="ap-south-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _queues(sqs: Any) -> list[str]:
    return sorted(url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", []))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_drill_takes_the_restored_copy_with_it(drills: list[Drill]) -> None:
    drill, (endpoint, pid) = _start(
        drills,
        """
        server = MotoServer().start()
        server.snapshot()
        server.restore()
        print(server.endpoint_url, server.pid, flush=True)
    """,
    )
    copies = _children(int(pid))
    drill.strays.extend(copies)
    assert len(copies) == 1 and _answers(endpoint), "the premise: a copy serves the kept state"

    drill.kill_9()

    assert _gone_within(int(pid)) and _gone_within(copies[0]), "the emulator outlived its drill"
    assert not _answers(endpoint)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_stop_ends_and_reaps_the_copy_too() -> None:
    server = MotoServer().start()
    pid = server.pid
    server.snapshot()
    server.restore()
    copies = _children(pid)
    assert len(copies) == 1

    server.stop()

    assert not _alive(pid) and _no_zombie(pid)
    assert not os.path.exists(f"/proc/{copies[0]}"), "the copy is gone and reaped, not a zombie"
    assert not _answers(server.endpoint_url)


def test_restore_brings_back_the_kept_state_every_time() -> None:
    with MotoServer() as server:
        sqs = _sqs(server.endpoint_url)
        sqs.create_queue(QueueName="kept")
        server.snapshot()
        for leftover in ("first-drill", "second-drill"):
            sqs.create_queue(QueueName=leftover)  # on the connection the previous state answered
            assert _queues(sqs) == sorted(["kept", leftover])

            server.restore()

            assert _queues(sqs) == ["kept"]


def test_state_is_kept_once_and_restored_only_once_kept() -> None:
    with MotoServer() as server:
        with pytest.raises(EmulatorError, match="no emulator state was kept"):
            server.restore()
        server.snapshot()
        with pytest.raises(EmulatorError, match="already kept"):
            server.snapshot()


def test_stop_of_a_server_still_starting_ends_it() -> None:
    # A refused run stops the emulator it launched before it answers.
    server = MotoServer().launch()
    pid = server.pid

    server.stop()

    assert not _alive(pid) and _no_zombie(pid)


def test_the_request_recorder_writes_outside_the_working_folder_and_is_gone_after_stop(
    tmp_path: Path, monkeypatch
) -> None:
    # A game day turns moto's recorder on; by default it writes moto_recording in the server's
    # working folder (the user's checkout). The server's own scratch folder takes it instead.
    monkeypatch.chdir(tmp_path)
    server = MotoServer().start()
    try:
        for step in ("reset-recording", "start-recording"):  # as drills.responder_log starts it
            request = urllib.request.Request(f"{server.endpoint_url}/moto-api/recorder/{step}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        recording = Path(server._scratch) / "moto_recording"
        assert recording.exists()
    finally:
        server.stop()
    assert not (tmp_path / "moto_recording").exists()
    assert not recording.parent.exists()
