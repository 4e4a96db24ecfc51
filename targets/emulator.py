"""The embedded AWS emulator: moto in server mode on 127.0.0.1, on a free port.

It runs in its own process group, so Ctrl-C in the terminal reaches the drill (which then
undoes its faults against a still-running emulator) before the emulator is stopped.

It never outlives the drill process, even one killed with ``kill -9``: the server holds the read
end of a pipe whose only write end stays in the drill process, and exits when that pipe reaches
end-of-file, which happens when the drill process ends, however it ends and whichever of its
threads started the server. On Linux, a parent-death signal backs this up when the server was
started from the main thread (the signal follows the thread that started the child, not the
process, so it would kill a server started from a worker thread when that thread ends).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from types import TracebackType

from .exceptions import EmulatorError

START_TIMEOUT_S = 30.0
# The server answers ~0.3 s after launch; polling every 0.1 s added up to 0.1 s to each start.
READY_POLL_INTERVAL_S = 0.02
STOP_TIMEOUT_S = 5.0

# Runs as the server process:
# ``python -c SERVE <watch fd> <drill pid> <pdeathsig 0|1> <moto args>``.
# Kept small and import-light: it runs before every start of the server.
SERVE = """\
import os, sys, threading
watch_fd, drill_pid, pdeathsig = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
os.set_inheritable(watch_fd, False)
if pdeathsig:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != drill_pid:  # the drill died before the signal was armed
        os._exit(1)
def watch():
    try:
        while os.read(watch_fd, 1):
            pass
    finally:
        os._exit(1)  # end of file: the drill process is gone
threading.Thread(target=watch, name="drill-watchdog", daemon=True).start()
from moto.server import main
main(sys.argv[4:])
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoServer:
    """``with MotoServer() as server: server.endpoint_url`` — started, reachable, then stopped."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        # The write end of the pipe the server watches: it must close only when this process ends.
        self._lifeline: int | None = None
        # A file, not a pipe: moto logs every request, and a pipe nobody drains fills up and
        # freezes the server mid-drill.
        self._log = tempfile.TemporaryFile()

    def start(self) -> "MotoServer":
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTO_")}
        # Drills need a VPC, not moto's ~5,000 stock AMIs, which cost a second per region.
        env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        moto_args = ["-H", "127.0.0.1", "-p", str(self.port)]
        # os.pipe() ends are not inheritable: only the server gets the read end (pass_fds), and
        # the write end stays in this process, out of every other child (the runbook checker's
        # shells), so no survivor of the drill can keep the server alive.
        watch_fd, self._lifeline = os.pipe()
        pdeathsig = sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVE,
                    str(watch_fd),
                    str(os.getpid()),
                    str(int(pdeathsig)),
                    *moto_args,
                ],
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=env,
                start_new_session=True,
                pass_fds=(watch_fd,),
            )
        except BaseException:
            self._close_lifeline()
            raise
        finally:
            os.close(watch_fd)
        self._wait_until_ready()
        return self

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (started, not yet stopped)."""
        return self._process.pid if self._process is not None else None

    def reset(self) -> None:
        self.reset_at(self.endpoint_url)

    @staticmethod
    def reset_at(endpoint_url: str) -> None:
        """Clear all emulated state of the moto server at ``endpoint_url`` (``/moto-api/reset``)."""
        request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, OSError) as error:
            raise EmulatorError(f"cannot reset the emulator at {endpoint_url}: {error}") from None

    def stop(self) -> None:
        process, self._process = self._process, None
        try:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        finally:
            self._close_lifeline()
            self._log.close()

    def _close_lifeline(self) -> None:
        lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            os.close(lifeline)

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._log.seek(0)
                stderr = self._log.read().decode(errors="replace")
                last = stderr.strip().splitlines()[-1:] or ["no output"]
                raise EmulatorError(f"moto server exited at start: {last[0]}")
            try:
                urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=1).close()
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(READY_POLL_INTERVAL_S)
        self.stop()
        raise EmulatorError(
            f"moto server did not answer on {self.endpoint_url} within {START_TIMEOUT_S:.0f}s"
        )
