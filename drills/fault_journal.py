"""The write-ahead fault journal: what a drill is about to change on a target, and how to undo it.

Before a fault or a mutating remediation step touches a target, its entry is written to every
store of the run: a local state file (always) and, on long-lived targets, an SSM parameter in
the target itself, so another machine can see what a killed run left. An entry is ``pending``
until its change is known to be made (``applied``), then ``undone``, or ``undo-failed`` (kept,
never dropped, so ``python -m drills recover`` can try again). The journal is closed (its
records removed) only once every entry is undone.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol

from runbook_actions.constants import DEFAULT_STATE_PREFIX
from stack_config import STACK_NAME

from .exceptions import DrillError
from .files import write_atomically
from .journal import utc_now

PENDING, APPLIED, UNDONE, UNDO_FAILED = "pending", "applied", "undone", "undo-failed"
STATUSES = (PENDING, APPLIED, UNDONE, UNDO_FAILED)
RUN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}-\d{14}-[0-9a-f]{4}")
ENV_STATE_DIR = "INCIDENT_GUARDRAILS_STATE_DIR"
TARGET_JOURNAL_PATH = f"{DEFAULT_STATE_PREFIX}/drills/open-fault-journals"
# An SSM parameter of the advanced tier holds 8 KB; refuse before injecting rather than after.
MAX_TARGET_RECORD_BYTES = 8192
PRIVATE = 0o600  # names the account's resources: for the user who ran the drill


class JournalStoreError(DrillError):
    """A fault journal could not be written or read; nothing further is injected."""


def default_state_dir() -> Path:
    """``$INCIDENT_GUARDRAILS_STATE_DIR``, else the XDG state folder: per user, not per checkout,
    so ``recover`` finds what a run from any clone of the project left."""
    explicit = os.environ.get(ENV_STATE_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "incident-guardrails" / "fault-journals"


@dataclass
class Entry:
    """One change a run makes: a fault (``kind`` fault) or a mutating runbook action."""

    seq: int
    kind: str
    ref: str
    step: str
    state: dict[str, Any]
    status: str = PENDING
    detail: str = ""
    at: str = field(default_factory=utc_now)


@dataclass
class FaultJournal:
    """Every change of one drill run on one target, in the order they were made."""

    run_id: str
    incident_id: str
    scenario: str
    stack: str
    target: dict[str, Any]  # name, key (which target), endpoint_url, long_lived
    started: str = field(default_factory=utc_now)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    entries: list[Entry] = field(default_factory=list)

    @property
    def target_key(self) -> str:
        return self.target["key"]

    def open_entries(self) -> list[Entry]:
        """What still has to be undone, newest first (the reverse of injection)."""
        return [e for e in reversed(self.entries) if e.status != UNDONE]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FaultJournal":
        """A journal as stored; raises ValueError for anything a drill would not have written
        (a hand-edited run id must never name a file outside the journal folder)."""
        if not isinstance(data, dict) or not isinstance(data.get("entries", []), list):
            raise ValueError("not a fault journal")
        entries = [Entry(**entry) for entry in data.get("entries", [])]
        journal = cls(**{**data, "entries": entries})
        if (
            not RUN_ID.fullmatch(str(journal.run_id))
            or not isinstance(journal.target, dict)
            or not isinstance(journal.target.get("key"), str)
        ):
            raise ValueError(f"run id {str(journal.run_id)[:60]!r} or target is not one a drill writes")
        wrong = [name for name, kind in _FIELD_TYPES.items() if not _is(getattr(journal, name), kind)]
        if wrong or not STACK_NAME.fullmatch(journal.stack):
            raise ValueError(f"field {(wrong or ['stack'])[0]!r} is not one a drill writes")
        if any(
            e.status not in STATUSES
            or e.kind not in ("fault", "action")
            or not isinstance(e.state, dict)
            or not all(_is(getattr(e, name), kind) for name, kind in _ENTRY_TYPES.items())
            for e in entries
        ):
            raise ValueError("an entry has an unknown status or kind, or a field of the wrong type")
        return journal

    def describe(self) -> str:
        left = self.open_entries()
        steps = ", ".join(f"{e.ref} ({e.status})" for e in left) or "nothing"
        return (
            f"run {self.run_id} of {self.scenario} (incident {self.incident_id}, stack "
            f"{self.stack}, started {self.started} on {self.host}, pid {self.pid}) left: {steps}"
        )


class JournalStore(Protocol):
    where: str
    unreadable: list[str]  # what the last load_all could not read, each named

    def save(self, journal: FaultJournal) -> None: ...
    def remove(self, journal: FaultJournal) -> None: ...
    def load_all(self) -> list[FaultJournal]: ...


class LocalJournalStore:
    """One JSON file per run in a local folder, replaced atomically on every change."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_state_dir()
        self.where = f"local file in {self.directory}"
        self.unreadable: list[str] = []

    def path(self, run_id: str) -> Path:
        return self.directory / f"{run_id}.json"

    def save(self, journal: FaultJournal) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(
                self.path(journal.run_id), json.dumps(journal.to_dict(), indent=2, default=str), PRIVATE
            )
        except OSError as error:
            raise JournalStoreError(
                f"cannot write the fault journal in {self.directory}: "
                f"{error.strerror or error}; nothing further is injected"
            ) from None

    def remove(self, journal: FaultJournal) -> None:
        self.path(journal.run_id).unlink(missing_ok=True)

    def load_all(self) -> list[FaultJournal]:
        """Every readable journal; a file that cannot be trusted is named in ``unreadable``
        and left where it is, so one bad file never hides the others."""
        self.unreadable = []
        if not self.directory.is_dir():
            return []
        journals = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                journals.append(FaultJournal.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
                self.unreadable.append(f"{path} ({_short(error)})")
        return journals


class TargetJournalStore:
    """One SSM parameter per run in the target itself, under the project's state prefix."""

    def __init__(self, ssm: Any, path: str = TARGET_JOURNAL_PATH) -> None:
        self.ssm = ssm
        self.path = path.rstrip("/")
        self.where = f"SSM parameters under {self.path} in the target"
        self.unreadable: list[str] = []

    def name(self, run_id: str) -> str:
        return f"{self.path}/{run_id}"

    def save(self, journal: FaultJournal) -> None:
        value = json.dumps(journal.to_dict(), separators=(",", ":"), default=str)
        size = len(value.encode())
        if size > MAX_TARGET_RECORD_BYTES:
            raise JournalStoreError(
                f"the fault journal of run {journal.run_id} would be {size} bytes, "
                f"over the {MAX_TARGET_RECORD_BYTES} an SSM parameter holds; "
                "nothing further is injected"
            )
        try:
            self.ssm.put_parameter(
                Name=self.name(journal.run_id),
                Value=value,
                Type="String",
                Overwrite=True,
                Tier="Intelligent-Tiering",
                Description="open fault journal of a drill (incident-guardrails)",
            )
        except Exception as error:  # any failure to record must stop the injection
            raise JournalStoreError(
                f"cannot record the fault journal in the target ({self.name(journal.run_id)}): {error}"
            ) from None

    def remove(self, journal: FaultJournal) -> None:
        try:
            self.ssm.delete_parameter(Name=self.name(journal.run_id))
        except self.ssm.exceptions.ParameterNotFound:
            pass

    def load_all(self) -> list[FaultJournal]:
        """Every readable journal in the target; unreadable parameters are named in ``unreadable``."""
        self.unreadable = []
        journals = []
        for page in self.ssm.get_paginator("get_parameters_by_path").paginate(Path=self.path):
            for parameter in page["Parameters"]:
                try:
                    journals.append(FaultJournal.from_dict(json.loads(parameter["Value"])))
                except (ValueError, TypeError, KeyError, AttributeError) as error:
                    self.unreadable.append(f"SSM parameter {parameter['Name']} ({_short(error)})")
        return journals


class JournalWriter:
    """Writes one run's journal ahead of each change, to every store, in order."""

    def __init__(self, journal: FaultJournal, stores: Iterable[JournalStore]) -> None:
        self.journal = journal
        self.stores = list(stores)

    def open(self) -> None:
        """Record the run before its first step, so others see a drill is on this target."""
        self._save()

    def begin(self, kind: str, ref: str, step: str, state: dict[str, Any]) -> Entry:
        """Record a change about to be made; raises (so nothing is changed) if it cannot."""
        entry = Entry(len(self.journal.entries) + 1, kind, ref, step, dict(state))
        self.journal.entries.append(entry)
        self._save()
        return entry

    def settle(
        self, entry: Entry, status: str, state: dict[str, Any] | None = None, detail: str = ""
    ) -> None:
        entry.status, entry.detail = status, detail
        if state is not None:
            entry.state = dict(state)
        self._save()

    def close_if_done(self) -> bool:
        """Remove the journal's records once nothing is left to undo."""
        if self.journal.open_entries():
            self._save()
            return False
        for store in self.stores:
            store.remove(self.journal)
        return True

    def _save(self) -> None:
        for store in self.stores:
            store.save(self.journal)


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__


_FIELD_TYPES = {"incident_id": str, "scenario": str, "stack": str, "started": str, "host": str, "pid": int}
_ENTRY_TYPES = {"seq": int, "ref": str, "step": str, "detail": str, "at": str}


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)
