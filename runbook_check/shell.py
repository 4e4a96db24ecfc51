"""One bash session per procedure, as a person has one terminal: variables set by a block are
there for the next one. Blocks run with ``set -euo pipefail``; a failing command ends the
session, and the procedure with it.

The session reads its instructions on stdin and answers on stdout; each block's own output goes
to files, and its stdin is /dev/null so a block cannot swallow the next instruction.
"""

from __future__ import annotations

import os
import select
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_DONE = "__RUNBOOK_BLOCK_DONE__"
# Checks a block's arguments without sending anything: the AWS CLI parses them and prints a
# request skeleton; runbook_actions arguments were parsed statically (static_checks.py).
_PARSE_ONLY = (
    'aws() { command aws "$@" --generate-cli-skeleton input >/dev/null; }; '
    "python() { :; }; python3() { :; }; "
)


@dataclass(frozen=True)
class BlockRun:
    exit_code: int | None  # None: timed out
    stdout: str
    stderr: str
    failed_line: str  # "line N: command" of the command that failed, if any
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class ShellSession:
    def __init__(self, env: dict[str, str], cwd: Path, workdir: Path) -> None:
        self._workdir = workdir
        self._errfile = workdir / "failed-command"
        self._count = 0
        self._process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-s"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        # The line of the innermost failing command: the first write wins. (Its source line is
        # named rather than $BASH_COMMAND, which in a pipeline is the last command, not the failed one.)
        errfile = shlex.quote(str(self._errfile))
        self._send(f"set -Eeuo pipefail; trap '[ -e {errfile} ] || echo \"$LINENO\" > {errfile}' ERR")
        if self._wait_done(10) != 0:
            raise RuntimeError("bash did not start")

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, text: str, timeout_s: float, parse_only: bool = False) -> BlockRun:
        """Run ``text`` in the session (or, with ``parse_only``, only check its arguments)."""
        self._count += 1
        script = self._workdir / f"block-{self._count}.sh"
        out, err = script.with_suffix(".out"), script.with_suffix(".err")
        script.write_text(text, encoding="utf-8")
        self._errfile.unlink(missing_ok=True)
        source = f"source {shlex.quote(str(script))}"
        body = f"( {_PARSE_ONLY}{source} )" if parse_only else f"{{ {source}; }}"
        started = time.monotonic()
        self._send(f"{body} > {shlex.quote(str(out))} 2> {shlex.quote(str(err))} < /dev/null")
        exit_code = self._wait_done(timeout_s)
        return BlockRun(
            exit_code,
            _read(out),
            _read(err),
            _source_line(text, _read(self._errfile)) if exit_code else "",
            time.monotonic() - started,
        )

    def export(self, values: dict[str, str]) -> None:
        if values:
            self._send("export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items()))
            if self._wait_done(10) != 0:
                raise RuntimeError("the shell session ended while setting variables")

    def variables(self, names: set[str]) -> dict[str, str]:
        """The session's values of ``names``; unset ones are missing from the result."""
        if not names:
            return {}
        dump = self._workdir / "variables"
        loop = " ".join(sorted(names))
        self._send(
            f"for __name in {loop}; do if [[ -v $__name ]]; then printf '%s=%s\\0' "
            f'"$__name" "${{!__name}}"; fi; done > {shlex.quote(str(dump))}'
        )
        if self._wait_done(10) != 0:
            return {}
        pairs = [item.partition("=") for item in _read(dump).split("\0") if item]
        return {name: value for name, _, value in pairs}

    def close(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)
        for stream in (self._process.stdin, self._process.stdout):
            if stream:
                stream.close()

    def _send(self, line: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{line}\nprintf '{_DONE} %s\\n' $?\n".encode())
        self._process.stdin.flush()

    def _wait_done(self, timeout_s: float) -> int | None:
        """The instruction's exit status; the session's when it ended; None on timeout."""
        assert self._process.stdout is not None
        deadline = time.monotonic() + timeout_s
        buffer = b""
        fd = self._process.stdout.fileno()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.killpg(self._process.pid, signal.SIGKILL)  # the block and all it started
                self._process.wait(timeout=10)
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                return self._process.wait(timeout=10) or 1
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith(_DONE):
                    return int(line.split()[1])


def _source_line(text: str, line_number: str) -> str:
    """``line N: <the block's line N>``, or "" when bash named no line."""
    lines = text.splitlines()
    if not line_number.strip().isdigit() or not 1 <= int(line_number) <= len(lines):
        return ""
    number = int(line_number)
    return f"line {number}: {lines[number - 1].strip().rstrip(chr(92)).strip()}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
