"""The embedded AWS emulator: moto in server mode on 127.0.0.1, on a free port.

It runs in its own process group, so Ctrl-C in the terminal reaches the drill (which then
undoes its faults against a still-running emulator) before the emulator is stopped.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from types import TracebackType

from .exceptions import EmulatorError

START_TIMEOUT_S = 30.0
# The server answers ~0.3 s after launch; polling every 0.1 s added up to 0.1 s to each start.
READY_POLL_INTERVAL_S = 0.02


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """``with MotoServer() as server: server.endpoint_url`` — started, reachable, then stopped."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: moto logs every request, and a pipe nobody drains fills up and
        # freezes the server mid-drill.
        self._log = tempfile.TemporaryFile()

    def start(self) -> "MotoServer":
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTO_")}
        # Drills need a VPC, not moto's ~5,000 stock AMIs, which cost a second per region.
        env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=self._log, env=env, start_new_session=True)
        self._wait_until_ready()
        return self

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
        if process is None or process.poll() is not None:
            self._log.close()
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, kind: type | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
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
        raise EmulatorError(f"moto server did not answer on {self.endpoint_url} within {START_TIMEOUT_S:.0f}s")
