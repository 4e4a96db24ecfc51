"""``python -m runbook_actions``: SIGINT/SIGTERM at any moment exit 130 without a traceback, and
a reader that goes away (``| head -c 1``) never makes it print one (issue 14).

Each case is a fresh interpreter, as a responder runs it. "At once" sends the signal as soon as
the process exists. It may land before Python has set up its own handlers, where the kernel ends
the process by the signal (a shell reports that as 130 too, 128 + SIGINT), or in Python's own
start-up (site, runpy finding the package) before the package's first line runs: there Python's
default handler still prints its KeyboardInterrupt traceback, which no code of the package can
prevent (it has not run yet); the test allows that traceback only when no frame of it is the
package's. From the package's first line on (``__init__`` under ``-m``), a signal exits 130. "Later" sends it while triage waits on an endpoint that never answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runbook_actions import all_actions

ROOT = Path(__file__).resolve().parents[2]
INTERRUPTED = (130, -signal.SIGINT)  # exit 130, or ended by SIGINT before Python started


def environment(**extra: str) -> dict[str, str]:
    filled_by_env = {p.env for a in all_actions().values() for p in a.params if p.env}
    env = {k: v for k, v in os.environ.items() if k not in filled_by_env and not k.startswith("AWS_")}
    return {**env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **extra}


def sigint_at_its_default() -> None:
    """In the child: SIGINT as a terminal gives it. A test run started in the background has
    SIGINT ignored, which every child inherits and the CLI honours (as the drills do)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*argv: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runbook_actions", *argv],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_at_its_default,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def silent_endpoint():
    """An endpoint that accepts connections and never answers: triage waits on it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.mark.parametrize("delay", [0.0, 0.005, 0.02, 0.05, 0.1], ids=lambda d: f"after-{d}s")
def test_sigint_during_start_up_exits_130_without_a_traceback(delay, silent_endpoint) -> None:
    process = start("triage", "--cluster", "zelly-production", "--endpoint-url", silent_endpoint)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert "Exception ignored" not in err, err
    if "Traceback" in err:  # only in Python's own start-up (site, runpy), before the package ran
        assert "runbook_actions" not in err, err
    else:
        assert process.returncode in INTERRUPTED, err


def test_sigint_from_the_package_first_line_exits_130() -> None:
    """Deterministic: the signal arrives right after the package is imported as ``-m`` does."""
    code = (
        "import os, signal, sys, time; sys.argv[0] = '-m'; "
        "sys.orig_argv = [sys.executable, '-m', 'runbook_actions']; import runbook_actions; "
        "os.kill(os.getpid(), signal.SIGINT); time.sleep(10)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=sigint_at_its_default,
    )
    assert (done.returncode, done.stderr) == (130, "error: interrupted\n")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_action_waits_exits_130_with_the_result_object(signum, silent_endpoint) -> None:
    process = start("triage", "--cluster", "zelly-production", "--endpoint-url", silent_endpoint)
    time.sleep(1.5)  # well past start-up: triage is waiting on the endpoint
    process.send_signal(signum)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert '"action": "triage"' in out and '"error": "interrupted"' in out, out


def test_a_second_signal_still_exits_130(silent_endpoint) -> None:
    process = start("triage", "--cluster", "zelly-production", "--endpoint-url", silent_endpoint)
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and "Traceback" not in err, err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--help"], id="help"),
        pytest.param(
            ["restore-cluster", "--source", "x", "--target", "x", "--latest", "--incident-id", "I"],
            id="refusal",
        ),
    ],
)
def test_a_closed_stdout_pipe_prints_no_traceback(argv) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte, as with `| head -c 0`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "runbook_actions", *argv],
            cwd=ROOT,
            env=environment(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode in (0, 2), done.stderr


def test_head_c_1_reads_one_byte_and_nothing_else_goes_wrong() -> None:
    done = subprocess.run(
        f"{sys.executable} -m runbook_actions --help | head -c 1",
        shell=True,
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "u" and "Traceback" not in done.stderr, done.stderr
