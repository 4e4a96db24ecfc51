"""``python -m drills gameday <scenario>`` and ``python -m drills ack``."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from stack_config import load_platform
from targets.identity import target_lock
from targets.session import TARGETS, open_target

from .cli_options import add_journal_dir_argument
from .detection_phase import platform_catalog
from .exceptions import DrillError
from .gameday import GameDayOptions, acknowledge
from .open_journals import check_before_run, journal_stores
from .orchestrate import run_gameday
from .progress import ProgressPrinter
from .report import check_report_dir
from .scenario import SCENARIO_DIR, load_scenarios, validate_for_platform

DEFAULT_STATE_DIR = Path("reports")


def add_gameday_parsers(commands: argparse._SubParsersAction) -> None:
    gameday = commands.add_parser("gameday", help="inject a fault and page, then let people respond")
    gameday.add_argument("scenario", help="scenario id")
    gameday.add_argument("--target", choices=TARGETS, default="local")
    gameday.add_argument("--confirm-account", metavar="ACCOUNT_ID", help="with --target aws")
    gameday.add_argument("--stack", default="production")
    gameday.add_argument("--endpoint-url", help="use this already-running emulator")
    gameday.add_argument("--report-dir", type=Path, default=Path("reports"))
    gameday.add_argument("--scenarios-dir", type=Path, default=SCENARIO_DIR)
    gameday.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where the running game day and its acknowledgement are recorded",
    )
    gameday.add_argument(
        "--time-limit-minutes",
        type=float,
        default=30.0,
        help="stop waiting for recovery after this long (default 30)",
    )
    gameday.add_argument(
        "--poll-seconds",
        type=float,
        default=10.0,
        help="how often to check for acknowledgement and recovery (default 10)",
    )
    add_journal_dir_argument(gameday)
    ack = commands.add_parser("ack", help="acknowledge the running game day's page")
    ack.add_argument("--by", default=None, help="who acknowledges (default: your user name)")
    ack.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)


def run_gameday_command(args: argparse.Namespace) -> int:
    if not 0 < args.time_limit_minutes <= 24 * 60:
        raise DrillError(f"--time-limit-minutes: {args.time_limit_minutes} is outside 0..1440")
    if not 0 < args.poll_seconds <= 600:
        raise DrillError(f"--poll-seconds: {args.poll_seconds} is outside 0..600")
    scenarios = load_scenarios(args.scenarios_dir)
    if args.scenario not in scenarios:
        raise DrillError(f"unknown scenario {args.scenario!r} (scenarios: {', '.join(scenarios)})")
    scenario = scenarios[args.scenario]
    platform = load_platform(args.stack)
    validate_for_platform(scenario, platform)
    options = GameDayOptions(args.state_dir, args.time_limit_minutes * 60, args.poll_seconds)
    check_report_dir(args.report_dir)  # refused before anything is injected
    progress = ProgressPrinter()
    with open_target(
        args.target, platform, args.endpoint_url, stack=args.stack, confirm_account=args.confirm_account
    ) as session:
        stores = journal_stores(session, args.journal_dir)
        with target_lock(session.key, f"drills gameday {scenario.id}"):
            if not session.target.missing_services(scenario.services_needed()):
                check_before_run(session, stores, progress.header)
            outcome = run_gameday(
                scenario,
                session,
                platform,
                args.stack,
                args.report_dir,
                progress,
                platform_catalog(platform),
                options,
                stores,
            )
    return 0 if outcome.journal.passed else 1


def run_ack(args: argparse.Namespace) -> int:
    ack = acknowledge(args.state_dir, args.by or getpass.getuser())
    print(f"acknowledged {ack['incident_id']} as {ack['by']} at {ack['at']}")
    return 0
