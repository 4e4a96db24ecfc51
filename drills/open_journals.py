"""Before a drill starts: find the fault journals earlier runs left open on the same target.

On a long-lived target (LocalStack, a staging account) a killed run's faults are still there,
so a new run is refused until ``python -m drills recover`` has undone them. The embedded
emulator is reset before every drill, which wipes what a killed run left: its journal then
only explains what that run was doing, is reported once, and is closed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from targets.session import TargetSession

from .exceptions import DrillError
from .fault_journal import FaultJournal, JournalStore, JournalWriter, LocalJournalStore, TargetJournalStore


class OpenJournalError(DrillError):
    """An earlier run's faults may still be in the target; nothing was injected."""


def journal_stores(session: TargetSession, state_dir: Path | None = None) -> list[JournalStore]:
    local = LocalJournalStore(state_dir)
    check_journal_dir(local.directory)
    stores: list[JournalStore] = [local]
    if session.long_lived:
        stores.append(TargetJournalStore(session.clients.ssm))
    return stores


def check_journal_dir(directory: Path) -> None:
    """Refused before anything is injected: a journal that cannot be written stops a drill."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DrillError(
            f"journal folder {directory} cannot be used ({error.strerror or error}); "
            "give --journal-dir a folder you can write to"
        ) from None


def open_journals(
    session: TargetSession,
    stores: list[JournalStore],
    say: Callable[[str], None] = lambda line: None,
    tidy: bool = True,
) -> list[FaultJournal]:
    """Every open journal of this target, one per run (the fullest copy where stores differ).

    On a long-lived target the target's own copy decides: a local copy the target no longer
    holds was recovered from another machine (or its first write never reached the target, so
    nothing was injected), and is closed here with a note."""
    found: dict[str, FaultJournal] = {}
    local_only: dict[str, tuple[JournalStore, FaultJournal]] = {}
    loaded = [(store, store.load_all()) for store in stores]  # each store read once
    in_target = session.long_lived and any(isinstance(s, TargetJournalStore) for s in stores)
    target_runs = {j.run_id for s, journals in loaded if isinstance(s, TargetJournalStore) for j in journals}
    for store, journals in loaded:
        for journal in journals:
            if not isinstance(store, TargetJournalStore):
                if journal.target_key != session.key:
                    continue
                if in_target and journal.run_id not in target_runs:
                    local_only[journal.run_id] = (store, journal)
                    continue
            known = found.get(journal.run_id)
            if known is None or len(journal.entries) > len(known.entries):
                found[journal.run_id] = journal
    for line in unreadable_journals(stores):
        say(f"warning: skipped unreadable fault journal {line}")
    for store, journal in local_only.values() if tidy else ():
        say(
            f"closed: {journal.describe()}; the target holds no journal of it any more "
            "(recovered from another machine)"
        )
        store.remove(journal)
    return sorted(found.values(), key=lambda j: j.started)


def unreadable_journals(stores: list[JournalStore]) -> list[str]:
    return [line for store in stores for line in store.unreadable]


def recover_command(session: TargetSession) -> str:
    target = session.target
    flags = f"--target {target.name}"
    if target.endpoint_url and target.name != "aws":
        flags += f" --endpoint-url {target.endpoint_url}"
    return f"python -m drills recover {flags}"


def check_before_run(session: TargetSession, stores: list[JournalStore], say: Callable[[str], None]) -> None:
    """Refuse to start while an earlier run's faults may be in a long-lived target."""
    journals = open_journals(session, stores, say)
    if session.long_lived:
        unreadable = [u for s in stores if isinstance(s, TargetJournalStore) for u in s.unreadable]
        if unreadable:
            raise OpenJournalError(
                f"refused: cannot read {len(unreadable)} fault journal(s) in the target: "
                f"{'; '.join(unreadable)}; what they recorded cannot be told: inspect "
                "them, undo by hand what they describe, then delete them"
            )
        if journals:
            raise OpenJournalError(
                f"refused: {journals[0].describe()} — on target {session.key}, recorded in "
                f"{', '.join(s.where for s in stores)}; undo it first with: {recover_command(session)}"
            )
        return
    for journal in journals:
        if alive_here(journal):
            raise OpenJournalError(
                f"refused: drill {journal.run_id} (pid {journal.pid}) is running on "
                f"this emulator now; a second drill would reset it under it"
            )
        say(
            f"note: {journal.describe()}; it was killed mid-way, and resetting the emulator "
            "removes what it left"
        )
        for store in stores:
            store.remove(journal)


def refuse_if_another_run(session: TargetSession, stores: list[JournalStore], writer: JournalWriter) -> None:
    """After this run's journal is in a long-lived target: if another run's journal appeared
    there meanwhile (a drill started from another machine), this run steps back."""
    if not session.long_lived:
        return
    own = writer.journal.run_id
    others = [j for s in stores if isinstance(s, TargetJournalStore) for j in s.load_all() if j.run_id != own]
    if others:
        for store in stores:
            store.remove(writer.journal)
        raise OpenJournalError(
            f"refused: {others[0].describe()} — another drill started on target "
            f"{session.key} at the same time; nothing was injected"
        )


def close_dead_embedded(stores: list[JournalStore], say: Callable[[str], None]) -> list[FaultJournal]:
    """Journals of embedded-emulator runs whose emulator is gone: nothing is left to undo."""
    closed = []
    for store in stores:
        for journal in store.load_all():
            endpoint = journal.target.get("endpoint_url")
            if journal.target.get("name") != "local" or alive_here(journal) or emulator_answers(endpoint):
                continue
            say(
                f"closed: {journal.describe()}; the emulator it ran on ({endpoint}) is gone, and "
                "what it injected went with it"
            )
            store.remove(journal)
            closed.append(journal)
    return closed


def alive_here(journal: FaultJournal) -> bool:
    if journal.host != socket.gethostname() or journal.pid == os.getpid():
        return False
    try:
        os.kill(journal.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(journal.pid)


def _zombie(pid: int) -> bool:
    """A killed run whose parent has not reaped it yet still answers signal 0."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def emulator_answers(endpoint: str | None) -> bool:
    """Whether anything listens at the endpoint: a refused connection is definite, unlike a
    slow answer from a busy emulator, which must never get its journal closed."""
    parts = urlsplit(endpoint or "")
    if not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=5).close()
    except ConnectionRefusedError:
        return False
    except OSError:
        return True  # unreachable for another reason: not proof that it is gone
    return True
