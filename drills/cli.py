"""``python -m drills list | run <scenario|all> | recover | seed | preflight | gameday | ack``."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Sequence

from detection import DetectionError
from stack_config import StackConfigError, load_platform
from targets.exceptions import TargetError
from targets.identity import target_lock
from targets.preflight_command import add_preflight_parser, run_preflight
from targets.seed_command import add_seed_parser, run_seed
from targets.session import TARGETS, open_target

from .console import forgive_broken_output
from .detection_phase import platform_catalog
from .exceptions import DrillError
from .gameday_command import add_gameday_parsers, run_ack, run_gameday_command
from .open_journals import check_before_run, close_dead_embedded, journal_stores
from .orchestrate import run_one
from .progress import ProgressPrinter
from .recover_command import add_journal_dir_argument, add_recover_parser, run_recover
from .report import check_report_dir
from .scenario import SCENARIO_DIR, load_scenarios, validate_for_platform

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise DrillError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m drills", description="Chaos drills for the Zelly incident guide.")
    parser.add_argument("--scenarios-dir", type=Path, default=SCENARIO_DIR, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    commands.add_parser("list", help="list the scenarios, P0 first")
    run = commands.add_parser("run", help="run one scenario, or all of them")
    run.add_argument("scenario", help="scenario id, or 'all'")
    run.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: embedded moto server (default); localstack: a running LocalStack; "
        "aws: the account of the default AWS credentials, only if the stack's "
        "drills.allowedAccounts lists it and --confirm-account repeats it",
    )
    run.add_argument(
        "--confirm-account",
        metavar="ACCOUNT_ID",
        help="with --target aws: the 12-digit account id you mean to inject faults into",
    )
    run.add_argument(
        "--stack", default="production", help="stack config to seed and check (default production)"
    )
    run.add_argument("--report-dir", type=Path, default=Path("reports"), help="default: reports/")
    run.add_argument("--endpoint-url", help="use this already-running emulator instead of starting one")
    run.add_argument(
        "--scenarios-dir",
        type=Path,
        default=SCENARIO_DIR,
        help="read scenarios from here (default: drills/scenarios)",
    )
    add_journal_dir_argument(run)
    run.add_argument(
        "--alarm-catalog",
        type=Path,
        help="judge detection with this alarm catalog instead of alarm_catalog/alarms.yaml "
        "(to check a catalog change before deploying it)",
    )
    add_seed_parser(commands)
    add_preflight_parser(commands)
    add_recover_parser(commands)
    add_gameday_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    forgive_broken_output()  # a dead pipe or closed terminal loses text, never the undo
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if list(argv if argv is not None else sys.argv[1:])[:1] == ["runbook"]:
            raise DrillError(
                "the runbook checker is its own command: python -m runbook_check docs/runbook.md"
            )
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return _list(args.scenarios_dir)
        if args.command == "run":
            return _run(args)
        if args.command == "seed":
            return run_seed(args)
        if args.command == "preflight":
            return run_preflight(args)
        if args.command == "recover":
            return run_recover(args)
        if args.command == "gameday":
            return run_gameday_command(args)
        if args.command == "ack":
            return run_ack(args)
        build_parser().print_help()
        return EXIT_USAGE
    except (DrillError, TargetError, DetectionError, StackConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: injected faults were undone; partial report written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _list(directory: Path) -> int:
    for scenario in load_scenarios(directory).values():
        print(f"{scenario.id:<8} {scenario.severity}  {scenario.guide_section:<6} {scenario.title}")
    return 0


def _run(args: argparse.Namespace) -> int:
    scenarios = load_scenarios(args.scenarios_dir)
    chosen = list(scenarios.values()) if args.scenario == "all" else [_pick(scenarios, args.scenario)]
    platform = load_platform(args.stack)
    for scenario in chosen:
        validate_for_platform(scenario, platform)
    catalog = platform_catalog(platform, args.alarm_catalog)
    check_report_dir(args.report_dir)  # refused before anything is injected
    progress = ProgressPrinter()
    outcomes = []
    with open_target(
        args.target, platform, args.endpoint_url, stack=args.stack, confirm_account=args.confirm_account
    ) as session:
        stores = journal_stores(session, args.journal_dir)
        with target_lock(session.key, f"drills run {args.scenario}"):
            if not session.long_lived:
                close_dead_embedded(stores[:1], progress.header)
            for scenario in chosen:
                if not session.target.missing_services(scenario.services_needed()):
                    check_before_run(session, stores, progress.header)
                outcomes.append(
                    run_one(
                        scenario, session, platform, args.stack, args.report_dir, progress, catalog, stores
                    )
                )
    _summary(outcomes, progress)
    return 0 if all(o.journal.passed for o in outcomes) else EXIT_FAILED


def _pick(scenarios: dict, wanted: str):
    if wanted not in scenarios:
        raise DrillError(f"unknown scenario {wanted!r} (scenarios: {', '.join(scenarios)}, all)")
    return scenarios[wanted]


def _summary(outcomes: list, progress: ProgressPrinter) -> None:
    passed = sum(o.journal.passed for o in outcomes)
    progress.header(f"{passed} passed, {len(outcomes) - passed} failed")
