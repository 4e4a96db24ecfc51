"""Undo what a fault journal records, newest first: used by a drill's own undo and by ``recover``."""

from __future__ import annotations

import time
from typing import Callable

from . import activities
from .action_undo import undo_for
from .context import DrillContext
from .fault_journal import UNDO_FAILED, UNDONE, Entry, JournalStoreError, JournalWriter
from .journal import STEP_FAILED, StepRecord, utc_now

KIND_FAULT, KIND_ACTION = "fault", "action"


def undo_entry(ctx: DrillContext, entry: Entry) -> str:
    """Undo one recorded change; raises if the target could not be brought back."""
    if entry.kind == KIND_FAULT:
        return activities.faults()[entry.ref].undo(ctx, entry.state)
    spec = undo_for(entry.ref)
    if spec is None or spec.undo is None:
        return f"nothing to undo: {spec.no_undo_because if spec else 'unknown action'}"
    return spec.undo(ctx, entry.state.get("arguments", {}), entry.state.get("captured", {}))


def undo_all(
    ctx: DrillContext, writer: JournalWriter, report: Callable[[StepRecord], None] = lambda record: None
) -> list[StepRecord]:
    """Undo every open entry, newest first; a failed undo stays in the journal (``undo-failed``)
    and the others still run. The journal is closed once nothing is left."""
    records = []
    for entry in writer.journal.open_entries():
        record = StepRecord(f"undo {entry.step}", "undo", "undo", entry.ref, utc_now())
        started = time.monotonic()
        try:
            record.detail, status = undo_entry(ctx, entry), UNDONE
        except Exception as error:  # every other entry must still be undone
            record.status, record.detail = STEP_FAILED, f"{type(error).__name__}: {error}"
            status = UNDO_FAILED
        try:
            writer.settle(entry, status, detail=record.detail)
        except JournalStoreError as error:  # the undo itself is done; say the record lags
            record.detail += f" (journal not updated: {error})"
        record.end, record.duration_s = utc_now(), round(time.monotonic() - started, 3)
        records.append(record)
        report(record)
    try:
        writer.close_if_done()
    except JournalStoreError as error:
        records.append(
            StepRecord(
                "close the fault journal",
                "undo",
                "undo",
                "fault-journal",
                utc_now(),
                end=utc_now(),
                status=STEP_FAILED,
                detail=str(error),
            )
        )
        report(records[-1])
    return records
