"""Where a drill run's time goes before and around the scenarios themselves.

Times the same steps ``python -m drills run`` takes on the local target: start the moto
server, build the clients, reset and seed the platform (the first seed also pays for moto
loading each emulated service on first use), and stop the server.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

from stack_config import load_platform
from targets.emulator import MotoServer
from targets.seed import seed_platform
from targets.session import emulator_clients

SERVICES_USED = ("ecs", "ssm", "secretsmanager", "rds", "logs", "ec2", "elbv2", "iam")
SEEDS = 4


def profile_drill_phases(stack: str = "production") -> dict[str, Any]:
    platform = load_platform(stack)
    phases: dict[str, Any] = {}
    server = _timed(phases, "emulator_start_s", lambda: MotoServer().start())
    try:
        clients = emulator_clients(server.endpoint_url, platform.region)
        _timed(phases, "client_creation_s", lambda: [clients.get(s) for s in SERVICES_USED])
        seeds = []
        for _ in range(SEEDS):
            started = time.perf_counter()
            MotoServer.reset_at(server.endpoint_url)
            seed_platform(clients, platform)
            seeds.append(time.perf_counter() - started)
        phases["first_reset_and_seed_s"] = round(seeds[0], 3)
        phases["later_reset_and_seed_median_s"] = round(statistics.median(seeds[1:]), 3)
    finally:
        _timed(phases, "emulator_stop_s", server.stop)
    return phases


def _timed(phases: dict[str, Any], name: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    phases[name] = round(time.perf_counter() - started, 3)
    return result
