"""Which target a drill runs on, as one key however its endpoint is spelled, and a per-target
lock: two drills (or a drill and ``recover``) on one target from this machine never overlap."""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from .endpoints import EndpointError, endpoint_host, endpoint_port
from .exceptions import TargetError

LOOPBACK = "loopback"


class TargetBusyError(TargetError):
    """Another drill or recovery holds this target; nothing was changed."""


def endpoint_identity(endpoint_url: str) -> str:
    """``http://localhost:5123/``, ``HTTP://127.0.0.1:5123``, ``http://0.0.0.0:5123``,
    ``http://[::ffff:127.0.0.1]:5123`` and ``http://%31%32%37.0.0.1:5123`` are one emulator:
    the scheme, the address the host reaches (every name of this machine is one) and the port."""
    scheme = urlsplit(endpoint_url.strip()).scheme.lower() or "http"
    try:
        host, port = endpoint_host(endpoint_url.strip()), endpoint_port(endpoint_url.strip())
    except EndpointError:
        return endpoint_url.strip()  # refused wherever it is used; its text is all we have
    return f"{scheme}://{_address(host, port)}:{port}"


def _address(host: str, port: int) -> str:
    literal = _ip(host)
    if literal is not None:
        return LOOPBACK if _this_machine(literal) else str(literal)
    try:
        found = {_ip(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except OSError:
        return host  # unresolvable: its name is all we have
    addresses = sorted((a for a in found if a is not None), key=str)
    if addresses and all(_this_machine(a) for a in addresses):
        return LOOPBACK
    return str(addresses[0]) if addresses else host


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _this_machine(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, or the unspecified address, which connects to this machine too."""
    return address.is_loopback or address.is_unspecified


def lock_dir() -> Path:
    """Per user and machine, whatever ``--journal-dir`` or ``TMPDIR`` each run was given."""
    return Path("/tmp") / f"incident-guardrails-locks-{os.getuid()}"


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
            raise TargetBusyError(
                f"refused: {holder} is using target {key} now; {doing} would "
                "overlap it (wait for it to finish)"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{doing} (pid {os.getpid()})".encode(), 0)
        yield
    finally:
        os.close(descriptor)
