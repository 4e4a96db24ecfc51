"""The benchmark's printed table and its results file."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    return {
        "cpu_cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        # Other work on the machine slows every number; the 1-minute load says how much.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def print_table(results: dict[str, Any], out: Any = sys.stdout) -> None:
    say = lambda line="": print(line, file=out)  # noqa: E731
    say(
        f"\ntime to writes stopped, by the model's clock ({results['per_call_delay_ms']:g} ms per AWS call): "
        f"median [min-max] of {results['repeats']} runs"
    )
    say(
        f"{'services':>8}  {'ECS throttle':<12}  {'stop-writes fenced':>20}  {'stop-writes at 0':>20}  {'loop at 0':>20}"
    )
    for row in results["time_to_writes_stopped"]:
        action, loop = row["stop-writes"], row["one call per service"]
        say(
            f"{row['services']:>8}  {'modelled' if row['ecs_throttle_modelled'] else 'none':<12}  "
            f"{_s(action['writes_fenced_s']):>20}  {_s(action['services_at_zero_s']):>20}  "
            f"{_s(loop['services_at_zero_s']):>20}"
            + (f"  loop failed {loop['failed']['median']:g}" if loop["failed"]["max"] else "")
        )
    for row in results["guide_as_typed"]:
        say(
            f"the guide as typed, {row['services']} services (a process each): {_s(row['wall_s'])} wall, "
            f"{_s(row['cpu_s'])} CPU, {row['wall_per_service_s']:.2f} s per service"
        )
    restore = results["stop_then_restore"]
    for pacing, row in restore.items():
        if pacing != "services":
            lost = row["lost_services"]
            say(
                f"stop then restore, {restore['services']} services, {pacing}: lost {lost['median']:g} "
                f"[{lost['min']:g}-{lost['max']:g}], throttled requests {row['throttled_requests']['median']:g}"
            )
    drills = results["p0_drills"]
    say(
        f"\nP0 drill suite ({', '.join(drills['scenarios'])}), emulator start included: wall "
        f"{_s(drills['wall_s'])}, CPU {_s(drills['cpu_s'])}, "
        f"{'all passed' if drills['all_passed'] else 'SOME FAILED'}"
    )
    say(
        "drill phases: " + ", ".join(f"{name} {_s(value)}" for name, value in results["drill_phases"].items())
    )
    suite = results["test_suite"]
    if suite.get("skipped"):
        say("test suite: not timed")
    else:
        say(f"test suite: wall {_s(suite['wall_s'])}, CPU {_s(suite['cpu_s'])} ({suite['last_lines'][-1]})")


def _s(spread: dict[str, Any] | None) -> str:
    """``1.23 s [1.10-1.40]`` from a ``bench.stats.spread``; ``-`` for none."""
    if spread is None:
        return "-"
    return f"{spread['median']:.2f} s [{spread['min']:.2f}-{spread['max']:.2f}]"
