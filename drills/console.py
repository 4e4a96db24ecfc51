"""Output that can never stop a drill: a closed terminal, a dead pipe or ``2>&-`` only loses text.

A responder who pipes a drill through ``tee`` and presses Ctrl-C kills ``tee`` too; the next
line written would raise BrokenPipeError in the middle of the undo. Everything the drills write
goes through streams that drop what they cannot deliver, and the standard descriptors are held
open on /dev/null when the shell closed them, so no file the drill opens takes their number.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO

STANDARD_FDS = (0, 1, 2)


class ForgivingStream(io.TextIOBase):
    """Writes to ``stream``, and silently drops the text once the stream is closed or broken."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self.dropped = 0  # characters not delivered, for tests

    def write(self, text: str) -> int:
        try:
            if self._stream is None:
                raise OSError("no stream")
            return self._stream.write(text)
        except (OSError, ValueError):  # ValueError: the stream object itself was closed
            self.dropped += len(text)
            return len(text)

    def flush(self) -> None:
        try:
            if self._stream is not None:
                self._stream.flush()
        except (OSError, ValueError):
            pass

    def writable(self) -> bool:
        return True


def forgive_broken_output() -> None:
    """Hold closed standard descriptors on /dev/null, then make stdout and stderr forgiving."""
    for fd in STANDARD_FDS:
        try:
            os.fstat(fd)
        except OSError:  # closed by the shell: reopen it, or the next open() would get this number
            os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor is exactly this one
    if not isinstance(sys.stdout, ForgivingStream):
        sys.stdout = ForgivingStream(sys.stdout)
    if not isinstance(sys.stderr, ForgivingStream):
        sys.stderr = ForgivingStream(sys.stderr)


def write_stderr_raw(text: str) -> None:
    """``os.write`` to stderr (safe in a signal handler), dropping the text if stderr is gone."""
    try:
        os.write(2, text.encode())
    except OSError:
        pass
