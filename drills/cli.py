"""``python -m drills list | run <scenario|all> | recover | seed | preflight | gameday | ack``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from stack_config import StackConfigError, load_platform
from targets.exceptions import TargetError
from targets.preflight_command import add_preflight_parser, run_preflight
from targets.seed_command import add_seed_parser, run_seed
from targets.session import TARGETS, launch_emulator, open_target

from .console import forgive_broken_output
from .exceptions import DrillError

# Only what parsing the command line needs is imported above (no boto3, no botocore, no drill
# engine): ``--help`` and a refused argument answer in a fraction of a second. Each command
# imports the rest when it runs; ``run`` starts the embedded emulator before it does, so moto's
# start-up overlaps the drill engine's.

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise DrillError(message)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line. The parsers of ``run``, ``recover``, ``gameday`` and ``ack`` are built
    only when ``argv`` names them (their modules load the drill engine and botocore); otherwise
    they are only listed, by name and help."""
    parser = _Parser(prog="python -m drills", description="Chaos drills for the Zelly incident guide.")
    parser.add_argument("--scenarios-dir", type=Path, default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    commands.add_parser("list", help="list the scenarios, P0 first")
    _add_when_named(argv, commands, ("run",), _add_run_parser)
    add_seed_parser(commands)
    add_preflight_parser(commands)
    _add_when_named(argv, commands, ("recover",), _add_recover_parser)
    _add_when_named(argv, commands, ("gameday", "ack"), _add_gameday_parsers)
    return parser


RUN_HELP = "run one scenario, or all of them"
# How ``--help`` lists the commands whose parsers are built only when named (a test keeps these
# equal to the help their own modules give).
LISTED_HELP = {
    "run": RUN_HELP,
    "recover": "undo what an earlier, killed or failed drill left on a target",
    "gameday": "inject a fault and page, then let people respond",
    "ack": "acknowledge the running game day's page",
}


def _add_when_named(
    argv: Sequence[str], commands: Any, names: tuple[str, ...], add: Callable[[Any], None]
) -> None:
    if any(name in argv for name in names):
        add(commands)
    else:
        for name in names:
            commands.add_parser(name, help=LISTED_HELP[name])


def _add_recover_parser(commands: Any) -> None:
    from .recover_command import add_recover_parser

    add_recover_parser(commands)


def _add_gameday_parsers(commands: Any) -> None:
    from .gameday_command import add_gameday_parsers

    add_gameday_parsers(commands)


def _add_run_parser(commands: Any) -> None:
    from .cli_options import add_journal_dir_argument

    run = commands.add_parser("run", help=RUN_HELP)
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
        default=None,
        help="read scenarios from here (default: drills/scenarios)",
    )
    add_journal_dir_argument(run)
    run.add_argument(
        "--progress",
        choices=("text", "json"),
        default="text",
        help="text: lines for people (default); json: one JSON object per event and line on "
        "stderr, for CI logs",
    )
    run.add_argument("--quiet", action="store_true", help="print only failures and the final summary")
    run.add_argument(
        "--alarm-catalog",
        type=Path,
        help="judge detection with this alarm catalog instead of alarm_catalog/alarms.yaml "
        "(to check a catalog change before deploying it)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    forgive_broken_output()  # a dead pipe or closed terminal loses text, never the undo
    signal.signal(signal.SIGTERM, _interrupt)
    arguments = list(argv if argv is not None else sys.argv[1:])
    try:
        if arguments[:1] == ["runbook"]:
            raise DrillError(
                "the runbook checker is its own command: python -m runbook_check docs/runbook.md"
            )
        args = build_parser(arguments).parse_args(arguments)
        command = COMMANDS.get(args.command)
        if command is None:
            build_parser().print_help()
            return EXIT_USAGE
        return command(args)
    except Exception as error:
        if not isinstance(error, _usage_errors()):
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: injected faults were undone; partial report written", file=sys.stderr)
        return EXIT_INTERRUPTED


def _usage_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input or a target refused (exit 2). Detection's can only have
    been raised once something imported it, so it is not imported to be caught."""
    detection = sys.modules.get("detection")
    return (DrillError, TargetError, StackConfigError) + ((detection.DetectionError,) if detection else ())


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _list(args: argparse.Namespace) -> int:
    from .scenario import load_scenarios

    for scenario in load_scenarios(_scenarios_dir(args)).values():
        print(f"{scenario.id:<8} {scenario.severity}  {scenario.guide_section:<6} {scenario.title}")
    return 0


def _scenarios_dir(args: argparse.Namespace) -> Path:
    from .scenario import SCENARIO_DIR

    return args.scenarios_dir or SCENARIO_DIR


def _run(args: argparse.Namespace) -> int:
    # moto starts (~1.5 s: Python, moto, the backends the drills call) while this process loads
    # the drill engine and checks the input; a refused run stops it before it has loaded much.
    started = time.monotonic()
    emulator = launch_emulator(args.target, args.endpoint_url)
    launched_s = time.monotonic() - started
    try:
        return _run_drills(args, emulator, started, launched_s)
    finally:
        if emulator is not None:
            emulator.stop()


def _run_drills(args: argparse.Namespace, emulator: Any, started: float, launched_s: float) -> int:
    from targets.identity import target_lock

    from .detection_phase import platform_catalog
    from .open_journals import check_before_run, close_dead_embedded, journal_stores
    from .orchestrate import run_one
    from .progress import ProgressPrinter
    from .report import check_report_dir
    from .scenario import load_scenarios, validate_for_platform

    scenarios = load_scenarios(_scenarios_dir(args))
    chosen = list(scenarios.values()) if args.scenario == "all" else [_pick(scenarios, args.scenario)]
    platform = load_platform(args.stack)
    for scenario in chosen:
        validate_for_platform(scenario, platform)
    catalog = platform_catalog(platform, args.alarm_catalog)
    check_report_dir(args.report_dir)  # refused before anything is injected
    # Said once the input is accepted: a refused run prints its error alone.
    progress = ProgressPrinter(output=args.progress, quiet=args.quiet, started=started)
    if emulator is not None:
        progress.on_phase("emulator_launched", launched_s)
    outcomes = []
    with open_target(
        args.target,
        platform,
        args.endpoint_url,
        stack=args.stack,
        confirm_account=args.confirm_account,
        emulator=emulator,
        on_phase=progress.on_phase,
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


def _recover(args: argparse.Namespace) -> int:
    from .recover_command import run_recover

    return run_recover(args)


def _gameday(args: argparse.Namespace) -> int:
    from .gameday_command import run_gameday_command

    return run_gameday_command(args)


def _ack(args: argparse.Namespace) -> int:
    from .gameday_command import run_ack

    return run_ack(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _list,
    "run": _run,
    "seed": run_seed,
    "preflight": run_preflight,
    "recover": _recover,
    "gameday": _gameday,
    "ack": _ack,
}


def _pick(scenarios: dict, wanted: str):
    if wanted not in scenarios:
        raise DrillError(f"unknown scenario {wanted!r} (scenarios: {', '.join(scenarios)}, all)")
    return scenarios[wanted]


def _summary(outcomes: list, progress: Any) -> None:
    passed = sum(o.journal.passed for o in outcomes)
    progress.summary(passed, len(outcomes) - passed)
