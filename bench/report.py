"""The benchmark's printed table and its results file."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PARALLEL, GUIDE = "stop-writes (parallel)", "guide loop (scale-service each)"


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
    delay = results["per_call_delay_ms"]
    print(f"\nstop-writes vs the guide's loop (modelled latency {delay} ms per AWS call)", file=out)
    print(
        f"{'services':>8}  {'ECS rate limits':<15}  {'parallel':>9}  {'guide loop':>10}  "
        f"{'speed-up':>8}  {'UpdateService/s after burst':>27}  {'max in 1 s (bound)':>18}",
        file=out,
    )
    for row in results["stop_writes"]:
        calls = row[PARALLEL]["update_service"]
        after = calls.get("calls_per_s_after_burst")
        print(
            f"{row['services']:>8}  {'documented' if row['rate_limited'] else 'none':<15}  "
            f"{row[PARALLEL]['wall_s']:>8.2f}s  {row[GUIDE]['wall_s']:>9.2f}s  "
            f"{row['speed_up']:>7.1f}x  {'-' if after is None else after:>27}  "
            f"{calls['max_calls_in_any_second']:>8} ({calls['quota_bound_per_second']:g})",
            file=out,
        )
    drills = results["p0_drills"]
    print(
        f"\nP0 drill suite ({', '.join(drills['scenarios'])}), emulator start included: "
        f"median {drills['median_wall_s']:.2f}s of {len(drills['runs'])} runs, "
        f"{'all passed' if drills['all_passed'] else 'SOME FAILED'}",
        file=out,
    )
    phases = ", ".join(f"{name} {value}" for name, value in results["drill_phases"].items())
    print(f"drill phases: {phases}", file=out)
    suite = results["test_suite"]
    if suite.get("skipped"):
        print("test suite: skipped (--skip-tests)", file=out)
    else:
        print(f"test suite: {suite['wall_s']:.1f}s ({suite['last_line']})", file=out)
