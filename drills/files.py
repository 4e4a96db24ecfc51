"""Files other processes read while a drill writes them: reports, fault journals, game-day state."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

READABLE_BY_ALL = 0o644


def write_atomically(path: Path, text: str, mode: int = READABLE_BY_ALL) -> None:
    """Replace ``path`` with ``text`` in one step: readers see the old file or the new one.

    The temporary file has a unique name in the same folder (os.replace is atomic only within
    one file system), so two runs writing the same file never share it, and it is removed if
    anything fails; it is flushed to disk first, so a crash leaves the old or the new file.
    """
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(partial, mode)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
