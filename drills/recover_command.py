"""``python -m drills recover``: list and undo what earlier drill runs left on a target.

Reads the fault journals (local state files, and on LocalStack or AWS the SSM parameters in
the target itself), undoes every open entry newest first, idempotently, and closes each journal
once nothing is left. A journal whose run is still alive on this machine is left alone. An
undo that fails stays in its journal; run the command again once the cause is fixed.
"""

from __future__ import annotations

import argparse
from typing import Any

from runbook_actions.exceptions import RunbookError
from stack_config import StackConfigError, load_platform
from targets.exceptions import TargetError
from targets.identity import endpoint_identity, target_lock
from targets.safety import check_emulator_endpoint
from targets.session import TARGETS, TargetSession, emulator_clients, open_target
from targets.target import local_target

from .cli_options import add_journal_dir_argument
from .context import DrillContext
from .exceptions import DrillError
from .fault_journal import FaultJournal, JournalStore, JournalWriter, LocalJournalStore
from .journal import STEP_FAILED, StepRecord
from .open_journals import (
    alive_here,
    check_journal_dir,
    close_dead_embedded,
    emulator_answers,
    journal_stores,
    open_journals,
    unreadable_journals,
)
from .undo import undo_all

EXIT_LEFT_OPEN = 1


def add_recover_parser(commands: Any) -> None:
    recover = commands.add_parser(
        "recover", help="undo what an earlier, killed or failed drill left on a target"
    )
    recover.add_argument(
        "--target",
        choices=TARGETS,
        default="local",
        help="local: the embedded emulator or a moto server (--endpoint-url); "
        "localstack; aws (with the same checks as drills run)",
    )
    recover.add_argument("--endpoint-url", help="the emulator the earlier run used")
    recover.add_argument(
        "--stack",
        default="staging",
        help="with --target aws/localstack: the stack whose safety checks apply "
        "(default staging); each journal is undone with its own stack config",
    )
    recover.add_argument("--confirm-account", metavar="ACCOUNT_ID", help="with --target aws")
    recover.add_argument("--list", action="store_true", help="only list the open journals; change nothing")
    add_journal_dir_argument(recover)


def run_recover(args: argparse.Namespace) -> int:
    local = LocalJournalStore(args.journal_dir)
    if args.target == "local":
        return _recover_local(args, local)
    platform = load_platform(args.stack)
    with open_target(
        args.target, platform, args.endpoint_url, stack=args.stack, confirm_account=args.confirm_account
    ) as session:
        stores = journal_stores(session, args.journal_dir)
        with target_lock(session.key, "drills recover"):
            journals = open_journals(session, stores, print, tidy=not args.list)
            left = _recover_all(journals, session, stores, args.list)
        unreadable = unreadable_journals(stores)
        return EXIT_LEFT_OPEN if (left and not args.list) or unreadable else 0


def _recover_local(args: argparse.Namespace, local: LocalJournalStore) -> int:
    """Journals of local runs: a gone embedded emulator took its faults with it (closed); a
    moto server that still answers is recovered like any target, under its lock."""
    check_journal_dir(local.directory)
    if args.endpoint_url:
        check_emulator_endpoint("local", args.endpoint_url)
    wanted = f"local:{endpoint_identity(args.endpoint_url)}" if args.endpoint_url else None
    if not args.list:
        close_dead_embedded([local], print)
    journals = [
        j for j in local.load_all() if j.target.get("name") == "local" and wanted in (None, j.target_key)
    ]
    for line in local.unreadable:
        print(f"warning: skipped unreadable fault journal {line}")
    if not journals:
        print(f"no open fault journals for target {wanted or 'local'}")
    left = sum(_recover_local_journal(journal, local, args.list) for journal in journals)
    return EXIT_LEFT_OPEN if (left and not args.list) or local.unreadable else 0


def _recover_local_journal(journal: FaultJournal, local: LocalJournalStore, only_list: bool) -> int:
    endpoint = journal.target["endpoint_url"]
    answers = emulator_answers(endpoint)
    if only_list or not answers:
        print(f"open: {journal.describe()} (emulator {endpoint}{'' if answers else ', not answering'})")
        return 1
    try:
        region = load_platform(journal.stack).region
    except StackConfigError as error:
        print(f"FAILED: run {journal.run_id} was not recovered: {error}")
        return 1
    session = TargetSession(
        local_target(endpoint),
        emulator_clients(endpoint, region),
        prepare=lambda _platform: None,
        key=journal.target_key,
    )
    with target_lock(session.key, "drills recover"):
        return _recover_all([journal], session, [local], False)


def _recover_all(
    journals: list[FaultJournal], session: TargetSession, stores: list[JournalStore], only_list: bool
) -> int:
    """Undo every journal, newest run first; how many were left open."""
    if not journals:
        print(f"no open fault journals for target {session.key}")
        return 0
    left = 0
    for journal in sorted(journals, key=lambda j: j.started, reverse=True):
        if only_list or alive_here(journal):
            suffix = "" if only_list else f" — still running (pid {journal.pid}); stop it first"
            print(f"open: {journal.describe()}{suffix}")
            left += 0 if only_list else 1
            continue
        try:
            recovered = _recover_one(journal, session, stores)
        except (
            DrillError,
            TargetError,
            StackConfigError,
            RunbookError,
        ) as error:  # the other journals still count
            print(f"FAILED: run {journal.run_id} was not recovered: {error}")
            recovered = False
        left += 0 if recovered else 1
    return left


def _recover_one(journal: FaultJournal, session: TargetSession, stores: list[JournalStore]) -> bool:
    print(f"recovering: {journal.describe()}")
    platform = load_platform(journal.stack)
    ctx = DrillContext(
        platform=platform,
        clients=session.clients,
        target=session.target,
        stack=journal.stack,
        run_id=journal.run_id,
        incident_id=journal.incident_id,
    )
    records = undo_all(ctx, JournalWriter(journal, stores), _say)
    failed = [r for r in records if r.status == STEP_FAILED]
    print(
        f"{'left open' if failed else 'closed'}: run {journal.run_id} "
        f"({len(records) - len(failed)} undone, {len(failed)} failed)"
    )
    return not failed


def _say(record: StepRecord) -> None:
    mark = "FAILED" if record.status == STEP_FAILED else "undone"
    print(f"  {mark}: {record.name} ({record.ref}) — {record.detail}")
