"""``python -m bench [--quick] [--sizes 5,50,200,500] [--cli-sizes 5,50] [--repeats 5] ...``

Measures, on HEAD, what issue 13 asks: the time to writes stopped (fenced, and every service at
0) for stop-writes, a one-call-per-service loop and the guide as typed; how many services a
stop-then-restore loses at 200 services under ECS's throttle; the P0 drill suite and its
phases; the test suite. Writes ``bench/results.json`` and prints a table (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from runbook_actions.aws import ECS_QUOTAS
from runbook_actions.constants import MAX_PARALLEL_CALLS

from . import cli_loop, stop_restore, time_to_stop
from .commands import time_p0_drills, time_test_suite
from .drill_profile import profile_drill_phases
from .report import machine, now_utc, print_table, write_results

RESULTS = Path(__file__).resolve().parent / "results.json"
# An assumption, not a measurement (there is no AWS account here): a round trip from a client
# in the same Region to the ECS/SSM endpoint plus the service's own time is in the tens of ms.
DEFAULT_DELAY_MS = 50.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--delay-ms", type=float, default=DEFAULT_DELAY_MS, help="modelled AWS latency per call"
    )
    parser.add_argument("--sizes", default="5,50,200,500", help="service counts for the modelled runs")
    parser.add_argument(
        "--cli-sizes", default="5,50", help="service counts for the guide as typed (a process each)"
    )
    parser.add_argument(
        "--restore-size", type=int, default=200, help="services in the stop-then-restore runs"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median, min, max)")
    parser.add_argument("--suite-repeats", type=int, default=3, help="test-suite runs (0: not timed)")
    parser.add_argument("--quick", action="store_true", help="sizes 5,50, CLI 5, 2 runs, no test suite")
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
    if args.quick:
        args.sizes, args.cli_sizes, args.repeats, args.suite_repeats = "5,50", "5", 2, 0
    sizes, cli_sizes = _sizes(args.sizes), _sizes(args.cli_sizes)
    # The modelled runs are in-process; an endpoint from the environment would take their calls.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    delay_s = args.delay_ms / 1000
    results: dict[str, Any] = {
        "date": now_utc(),
        "commit": commit(),
        "machine": machine(),
        "repeats": args.repeats,
        "per_call_delay_ms": args.delay_ms,
        "per_call_delay_source": "assumption (no AWS account to measure against); see bench/README.md",
        "pool_max_workers": MAX_PARALLEL_CALLS,
        "ecs_quotas": {name: vars(quota) for name, quota in ECS_QUOTAS.items()},
        "ecs_quotas_source": "Request throttling for the Amazon ECS API (Amazon ECS API Reference)",
    }
    results["time_to_writes_stopped"] = time_to_stop.measure(sizes, delay_s, args.repeats, _say)
    _say(f"the guide as typed: one aws CLI process per service, {cli_sizes} services")
    results["guide_as_typed"] = cli_loop.measure_guide_as_typed(cli_sizes, args.repeats)
    results["stop_then_restore"] = stop_restore.measure(args.restore_size, delay_s, args.repeats, _say)
    _say(f"P0 drill suite, {args.repeats} runs")
    results["p0_drills"] = time_p0_drills(args.repeats)
    _say("drill phases")
    results["drill_phases"] = profile_drill_phases()
    if args.suite_repeats:
        _say(f"test suite, {args.suite_repeats} runs")
        results["test_suite"] = time_test_suite(args.suite_repeats)
    else:
        results["test_suite"] = {"skipped": True}
    results["machine"]["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    write_results(args.output, results)
    print_table(results)
    print(f"\nwritten to {args.output}")
    return 0 if results["p0_drills"]["all_passed"] else 1


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(size) for size in text.split(",") if size.strip()]
    except ValueError:
        raise SystemExit(f"python -m bench: sizes must be comma-separated numbers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise SystemExit(f"python -m bench: sizes must be at least 1, got {text!r}")
    return sizes


def _say(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
