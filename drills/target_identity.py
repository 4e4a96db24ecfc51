"""Which target a drill runs on, as one key however its endpoint is spelled, and a per-target
lock: two drills (or a drill and ``recover``) on one target from this machine never overlap."""
from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import os
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from .exceptions import DrillError

LOOPBACK = "loopback"


class TargetBusyError(DrillError):
    """Another drill or recovery holds this target; nothing was changed."""


def endpoint_identity(endpoint_url: str) -> str:
    """``http://localhost:5123/``, ``HTTP://127.0.0.1:5123`` and ``http://[::1]:5123`` are one
    emulator: scheme, the host's address (every loopback name is one) and the port."""
    parts = urlsplit(endpoint_url.strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").rstrip(".").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{_address(host, port)}:{port}"


def _address(host: str, port: int) -> str:
    try:
        return LOOPBACK if ipaddress.ip_address(host).is_loopback else host
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return host  # unresolvable: its name is all we have
    addresses = {ipaddress.ip_address(info[4][0]) for info in found}
    if addresses and all(address.is_loopback for address in addresses):
        return LOOPBACK
    return host


def lock_dir() -> Path:
    """Per user and machine, whatever ``--journal-dir`` each run was given."""
    return Path(tempfile.gettempdir()) / f"incident-guardrails-locks-{os.getuid()}"


@contextmanager
def target_lock(key: str, doing: str, directory: Path | None = None) -> Iterator[None]:
    """Hold this machine's lock on the target while ``doing``; the kernel releases it when the
    process dies, kill -9 included, so a killed drill never leaves it behind."""
    directory = directory or lock_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f".{hashlib.sha256(key.encode()).hexdigest()[:16]}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "another process"
            raise TargetBusyError(f"refused: {holder} is using target {key} now; {doing} would "
                                  "overlap it (wait for it to finish)") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{doing} (pid {os.getpid()})".encode(), 0)
        yield
    finally:
        os.close(descriptor)
