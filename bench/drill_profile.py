"""Where a drill run's time goes around the scenarios themselves, phase by phase.

The same steps ``python -m drills run`` takes on the embedded emulator: launch the moto server
(it loads the drills' backends before it answers), build the clients the seed uses while it
loads, wait for it, seed once, keep that state (a snapshot), bring it back before each later
drill (a restore, by fork), stop the server. Medians of several rounds, each on a new server.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from stack_config import load_platform
from targets.emulator import MotoServer
from targets.seed import seed_platform
from targets.session import SEED_CLIENTS, emulator_clients

from .stats import spread

RESTORES = 5


def profile_drill_phases(rounds: int = 3, stack: str = "production") -> dict[str, Any]:
    platform = load_platform(stack)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, seconds in _one_round(platform).items():
            samples.setdefault(name, []).append(seconds)
    return {name: spread(values) for name, values in samples.items()}


def _one_round(platform: Any) -> dict[str, float]:
    phases: dict[str, float] = {}
    started = time.perf_counter()
    server = _timed(phases, "launch_s", lambda: MotoServer().launch())
    try:
        clients = emulator_clients(server.endpoint_url, platform.region)
        _timed(phases, "clients_while_moto_loads_s", lambda: [clients.get(s) for s in SEED_CLIENTS])
        _timed(phases, "wait_until_ready_s", server.wait_until_ready)
        phases["launch_to_ready_s"] = time.perf_counter() - started
        _timed(phases, "first_reset_and_seed_s", lambda: (server.reset(), seed_platform(clients, platform)))
        _timed(phases, "snapshot_s", server.snapshot)
        restores = []
        for _ in range(RESTORES):
            began = time.perf_counter()
            server.restore()
            restores.append(time.perf_counter() - began)
        phases["restore_s"] = sorted(restores)[len(restores) // 2]
    finally:
        _timed(phases, "stop_s", server.stop)
    return phases


def _timed(phases: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    phases[name] = time.perf_counter() - started
    return result
