"""The embedded AWS emulator: moto in server mode on 127.0.0.1, on a free port.

It runs in its own process group, so Ctrl-C in the terminal reaches the drill (which then
undoes its faults against a still-running emulator) before the emulator is stopped.

It never outlives the drill process, even one killed with ``kill -9``: the server holds the read
end of a pipe whose only write end stays in the drill process, and exits when that pipe reaches
end-of-file, which happens when the drill process ends, however it ends and whichever of its
threads started the server. On Linux, a parent-death signal backs this up when the server was
started from the main thread (the signal follows the thread that started the child, not the
process, so it would kill a server started from a worker thread when that thread ends).

The copies of the state that ``snapshot()`` and ``restore()`` fork off the server are in its
process group and watch the same pipe, and on Linux die with the server (forked from its main
thread, which lives as long as it does): stopping the server, or ending the drill, ends them.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
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
STOP_TIMEOUT_S = 5.0
# How long a snapshot or restore may take before the emulator counts as broken.
COPY_TIMEOUT_S = 30.0

# The moto backends the seed and the drills call, loaded before the server answers (moto loads a
# backend on its first request; ecs alone, which pulls in ec2, is ~0.7 s of CPU). Every IAM
# prefix of targets.target.MOTO_SERVICES by its moto name, and s3 for the seed's trail bucket.
WARM_BACKENDS = (
    "moto_api",
    "ecs",
    "ec2",
    "elbv2",
    "rds",
    "logs",
    "secretsmanager",
    "iam",
    "ssm",
    "sns",
    "sqs",
    "events",
    "cloudwatch",
    "sts",
    "kms",
    "backup",
    "awslambda",
    "cloudtrail",
    "s3",
)

# Runs as the server process (the template):
# ``python -c SERVE <watch fd> <control fd> <answer fd> <drill pid> <pdeathsig 0|1> <host> <port>
# <backends to load, comma-separated>``. It loads the backends, serves, and answers ``+`` on the
# answer pipe once it listens. Each byte on the control pipe then asks for a fresh copy of the
# state as it was at the first byte: the first one stops the template serving (it closes its
# connections and waits until no request is in flight) and forks a copy that serves on the same
# listening socket; each later one kills the copy and forks a new one. A fork is a snapshot the
# kernel takes in milliseconds, copy-on-write; moto has none of its own. Every process of it
# exits when the drill process's end of the watch pipe closes; a copy also dies with the template.
SERVE = """\
import gc, os, socket, socketserver, sys, threading, time
watch_fd, ctl_fd, ack_fd, drill_pid, pdeathsig = (int(a) for a in sys.argv[1:6])
host, port, warm = sys.argv[6], int(sys.argv[7]), [n for n in sys.argv[8].split(",") if n]
for fd in (watch_fd, ctl_fd, ack_fd):
    os.set_inheritable(fd, False)
def die_with(parent):
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
def watch():
    try:
        while os.read(watch_fd, 1):
            pass
    finally:
        os._exit(1)  # end of file: the drill process is gone
def watchdog():
    threading.Thread(target=watch, name="drill-watchdog", daemon=True).start()
if pdeathsig:
    die_with(drill_pid)
watchdog()
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
app = DomainDispatcherApplication(create_backend_app)
for name in warm:  # moto loads a service on its first request; here it costs nobody a wait
    app.app_instances[name] = create_backend_app(name)
OPEN = set()
class Handler(MotoRequestHandler):
    def setup(self):
        super().setup()
        OPEN.add(self.connection)
    def finish(self):
        OPEN.discard(self.connection)
        super().finish()
server = make_server(host, port, app, threaded=True, request_handler=Handler)
def serve():
    socketserver.BaseServer.serve_forever(server, 0.05)  # werkzeug's own closes the socket
threading.Thread(target=serve, name="serve", daemon=True).start()
os.write(ack_fd, b"+")
def quiesce():
    server.shutdown()
    for connection in list(OPEN):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while (OPEN or threading.active_count() > 2) and time.monotonic() < deadline:
        time.sleep(0.001)
    gc.freeze()
def serve_copy():
    os.close(ctl_fd)
    os.close(ack_fd)
    if sys.platform.startswith("linux"):
        die_with(template)
    watchdog()
    from moto.moto_api._internal import mock_random
    mock_random.seed()
    serve()
    os._exit(0)
template, copy = os.getpid(), 0
while True:
    command = os.read(ctl_fd, 1)
    if not command:  # the drill is done with the emulator: reap the copy, then go
        if copy:
            os.kill(copy, 9)
            os.waitpid(copy, 0)
        os._exit(0)
    if copy:
        os.kill(copy, 9)
        os.waitpid(copy, 0)
    else:
        quiesce()
    copy = os.fork()
    if copy == 0:
        serve_copy()
    os.write(ack_fd, b"+")
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MotoServer:
    """``with MotoServer() as server: server.endpoint_url`` — started, reachable, then stopped.

    ``launch()`` starts the process and returns at once, so the caller's own start-up overlaps
    moto's (``start()`` is ``launch()`` and ``wait_until_ready()``). ``snapshot()`` keeps the
    state as it is; each ``restore()`` brings that state back, in milliseconds."""

    def __init__(self, port: int | None = None, warm: tuple[str, ...] = WARM_BACKENDS) -> None:
        self.port = port or free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._warm = warm
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._snapshot = False
        # The write end of the pipe the server watches: it must close only when this process ends.
        self._lifeline: int | None = None
        # Asks for a copy of the state (write end), and reads the server's answers (read end).
        self._control: int | None = None
        self._answers: int | None = None
        # A file, not a pipe: moto logs every request, and a pipe nobody drains fills up and
        # freezes the server mid-drill.
        self._log = tempfile.TemporaryFile()
        # moto's request recorder (a game day's responder log) writes a file; by default in the
        # server's working folder, which would leave it in the user's checkout.
        self._scratch = tempfile.mkdtemp(prefix="moto-server-")

    def start(self) -> "MotoServer":
        self.launch()
        self.wait_until_ready()
        return self

    def launch(self) -> "MotoServer":
        """Start the server process without waiting for it to answer."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTO_")}
        # Drills need a VPC, not moto's ~5,000 stock AMIs, which cost a second per region.
        env["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        env["MOTO_PORT"] = str(self.port)  # where moto sends the requests it makes to itself
        env["MOTO_RECORDER_FILEPATH"] = os.path.join(self._scratch, "moto_recording")
        # os.pipe() ends are not inheritable: only the server gets its ends (pass_fds), and the
        # drill's ends stay in this process, out of every other child (the runbook checker's
        # shells), so no survivor of the drill can keep the server alive.
        watch_fd, self._lifeline = os.pipe()
        control_fd, self._control = os.pipe()
        self._answers, answer_fd = os.pipe()
        pdeathsig = sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread()
        server_ends = (watch_fd, control_fd, answer_fd)
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVE,
                    *(str(fd) for fd in server_ends),
                    str(os.getpid()),
                    str(int(pdeathsig)),
                    "127.0.0.1",
                    str(self.port),
                    ",".join(self._warm),
                ],
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=env,
                start_new_session=True,
                pass_fds=server_ends,
            )
        except BaseException:
            self._close_pipes()
            raise
        finally:
            for fd in server_ends:
                os.close(fd)
        return self

    def wait_until_ready(self) -> None:
        if not self._ready:
            self._wait_until_ready()
            self._ready = True

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (started, not yet stopped)."""
        return self._process.pid if self._process is not None else None

    def reset(self) -> None:
        self.reset_at(self.endpoint_url)

    @staticmethod
    def reset_at(endpoint_url: str, timeout: float = 10) -> None:
        """Clear all emulated state of the moto server at ``endpoint_url`` (``/moto-api/reset``)."""
        request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
        try:
            urllib.request.urlopen(request, timeout=timeout).close()
        except (urllib.error.URLError, OSError) as error:
            raise EmulatorError(f"cannot reset the emulator at {endpoint_url}: {error}") from None

    @property
    def has_snapshot(self) -> bool:
        return self._snapshot

    def snapshot(self) -> None:
        """Keep the emulated state as it is now, for ``restore()``; once per server. Call it
        with no request in flight: the first request after it is served by the copy."""
        if self._snapshot:
            raise EmulatorError("the emulator's state was already kept once")
        self._ask_for_copy("keep the emulator's state")
        self._snapshot = True

    def restore(self) -> None:
        """Bring back the state kept by ``snapshot()``, whatever happened since."""
        if not self._snapshot:
            raise EmulatorError("no emulator state was kept to restore")
        self._ask_for_copy("restore the emulator's state")

    def stop(self) -> None:
        """A clean reset, then the server goes: it ends its copy and itself when the control pipe
        closes (no interpreter shutdown: moto's own, on SIGTERM, costs ~1.7 s of CPU), and
        whatever is left of its process group gets SIGKILL. It is a throwaway process."""
        process, self._process = self._process, None
        try:
            if process is not None:
                if process.poll() is None and self._ready:
                    try:  # moto lets go of anything outside the process first (containers)
                        self.reset_at(self.endpoint_url, timeout=STOP_TIMEOUT_S)
                    except EmulatorError:
                        pass  # a server that cannot answer is killed all the same
                self._close(self._control)  # the server reaps its copy and exits on this
                if not self._ready:  # still loading moto, not reading it: its watchdog exits it now
                    self._close(self._lifeline)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:  # still running, so its id is still its group's
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=STOP_TIMEOUT_S)
        finally:
            self._close_pipes()
            self._log.close()
            shutil.rmtree(self._scratch, ignore_errors=True)

    def _ask_for_copy(self, what: str) -> None:
        if self._control is None or self._answers is None or self._process is None:
            raise EmulatorError(f"cannot {what}: the emulator is not running")
        try:
            os.write(self._control, b"+")
        except OSError as error:
            raise EmulatorError(f"cannot {what}: {error}") from None
        if not self._answered(COPY_TIMEOUT_S):
            raise EmulatorError(f"cannot {what}: {self._last_words()}")

    def _answered(self, timeout: float) -> bool:
        """True once the server wrote its answer; False if it exited or the time ran out."""
        assert self._answers is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self._answers], [], [], 0.1)
            if readable:
                return os.read(self._answers, 1) == b"+"
            if self._process is None or self._process.poll() is not None:
                return False
        return False

    def _last_words(self) -> str:
        if self._process is not None and self._process.poll() is None:
            return f"no answer within {COPY_TIMEOUT_S:.0f}s"
        return f"moto server exited: {self._log_tail()}"

    def _log_tail(self) -> str:
        self._log.seek(0)
        stderr = self._log.read().decode(errors="replace")
        return (stderr.strip().splitlines()[-1:] or ["no output"])[0]

    def _close_pipes(self) -> None:
        for fd in (self._control, self._answers, self._lifeline):
            self._close(fd)

    def _close(self, fd: int | None) -> None:
        if fd is not None:
            os.close(fd)
            for name in ("_lifeline", "_control", "_answers"):
                if getattr(self, name) == fd:
                    setattr(self, name, None)

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        if self._answers is None:
            raise EmulatorError("the emulator was never launched")
        if self._answered(START_TIMEOUT_S):
            return
        if self._process is not None and self._process.poll() is None:
            message = f"moto server did not answer on {self.endpoint_url} within {START_TIMEOUT_S:.0f}s"
        else:
            message = f"moto server exited at start: {self._log_tail()}"
        self.stop()
        raise EmulatorError(message)
