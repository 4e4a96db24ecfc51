"""``python -m bench [--skip-tests] [--delay-ms 50] [--sizes 5,50,200] [--repeats 3]``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from runbook_actions.aws import ECS_QUOTAS
from runbook_actions.constants import MAX_PARALLEL_CALLS

from .commands import time_p0_drills, time_test_suite
from .drill_profile import profile_drill_phases
from .report import machine, now_utc, print_table, write_results
from .stop_writes import bench_clients, compare, warm_up

RESULTS = Path(__file__).resolve().parent / "results.json"
# An assumption, not a measurement (there is no AWS account here): a round trip from a client
# in the same Region to the ECS/SSM endpoint plus the service's own time is in the tens of ms.
DEFAULT_DELAY_MS = 50.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=DEFAULT_DELAY_MS,
        help=f"modelled AWS latency per API call (default {DEFAULT_DELAY_MS:g})",
    )
    parser.add_argument("--sizes", default="5,50,200", help="service counts for stop-writes")
    parser.add_argument("--repeats", type=int, default=3, help="drill suite runs (median reported)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    return parser


def commit() -> str:
    """The commit measured, marked ``-dirty`` when the work tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    return (head or "unknown") + ("-dirty" if dirty else "")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    # The stop-writes bench runs on moto in-process; an endpoint from the environment would
    # send its calls elsewhere instead.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    results: dict[str, Any] = {
        "date": now_utc(),
        "commit": commit(),
        "machine": machine(),
        "per_call_delay_ms": args.delay_ms,
        "per_call_delay_source": "assumption (no AWS account to measure against); see bench/README.md",
        "pool_max_workers": MAX_PARALLEL_CALLS,
        "ecs_quotas": {name: vars(quota) for name, quota in ECS_QUOTAS.items()},
        "ecs_quotas_source": "Request throttling for the Amazon ECS API (Amazon ECS API Reference)",
    }
    clients = bench_clients()
    warm_up(clients)
    delay_s = args.delay_ms / 1000
    results["stop_writes"] = [
        *compare(clients, sizes, delay_s, paced=False, progress=_say),
        *compare(clients, sizes, delay_s, paced=True, progress=_say),
    ]
    _say(f"P0 drill suite, {args.repeats} runs")
    results["p0_drills"] = time_p0_drills(args.repeats)
    _say("drill phases")
    results["drill_phases"] = profile_drill_phases()
    if args.skip_tests:
        results["test_suite"] = {"skipped": True}
    else:
        _say("test suite (python -m pytest -q)")
        results["test_suite"] = time_test_suite()
    results["machine"]["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    write_results(args.output, results)
    print_table(results)
    print(f"\nwritten to {args.output}")
    return 0 if results["p0_drills"]["all_passed"] else 1


def _say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
