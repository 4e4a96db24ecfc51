"""``python -m runbook_check docs/runbook.md [--stack] [--endpoint-url] [--report-dir] [--jobs]``."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
from pathlib import Path
from typing import Sequence

from drills.console import forgive_broken_output
from drills.exceptions import DrillError
from drills.redaction import Redactor
from drills.report import check_report_dir
from stack_config import StackConfigError, load_platform
from targets.exceptions import TargetError
from targets.safety import check_emulator_endpoint

from .document import load_runbook
from .exceptions import RunbookCheckError, RunbookFormatError
from .report import block_line, print_procedure, write_report
from .results import FAILED
from .runner import check_runbook

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise RunbookFormatError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m runbook_check",
        description="Run every bash block of a runbook against the embedded emulator, one procedure at a time.",
    )
    parser.add_argument("path", type=Path, help="the runbook, e.g. docs/runbook.md")
    parser.add_argument("--stack", default="production", help="stack config to seed and check names against")
    parser.add_argument("--endpoint-url", help="use this already-running moto server (one worker)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), help="default: reports/")
    parser.add_argument(
        "--jobs", type=int, default=2, help="procedures checked side by side, one emulator each (default 2)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    forgive_broken_output()  # a dead pipe or closed terminal loses text, never the report
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run(build_parser().parse_args(argv))
    except (RunbookCheckError, StackConfigError, TargetError, DrillError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: the runbook check stopped; no report written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    check_emulator_endpoint("local", args.endpoint_url)
    runbook = load_runbook(args.path)
    platform = load_platform(args.stack)
    if args.jobs < 1:
        raise RunbookFormatError(f"--jobs {args.jobs}: must be at least 1")
    if shutil.which("aws", path=str(Path(sys.executable).parent)) is None:
        raise RunbookFormatError(
            "the AWS CLI is not installed next to this Python; run make (it installs requirements.txt)"
        )
    check_report_dir(args.report_dir)
    redactor = Redactor()
    try:
        result = check_runbook(
            runbook,
            platform,
            args.stack,
            endpoint_url=args.endpoint_url,
            jobs=args.jobs,
            redactor=redactor,
            on_procedure=lambda procedure, results: print_procedure(procedure, results, sys.stderr, redactor),
        )
    except KeyboardInterrupt:
        print("interrupted: the runbook check stopped; no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    path = write_report(result, args.report_dir, redactor)
    failures = [block_line(r) for r in result.blocks if r.status == FAILED]
    if failures:
        print("\nFailed blocks:\n" + redactor.redact("\n".join(failures), "runbook output"), file=sys.stderr)
    print(f"{result.summary()} ({result.duration_s:.1f}s) → {path}", file=sys.stderr)
    return 0 if result.passed else EXIT_FAILED
