"""The fault journal's stores and writer: what survives, what is refused, what is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drills import activities
from drills.context import DrillContext
from drills.fault_journal import (
    APPLIED,
    UNDO_FAILED,
    UNDONE,
    FaultJournal,
    JournalStoreError,
    JournalWriter,
    LocalJournalStore,
    TargetJournalStore,
)
from drills.undo import KIND_FAULT, undo_all
from stack_config import StackNotFoundError, load_platform
from targets.target import local_target

RUN_ID = "p0-b-20261129120000-ab12"


def _journal(run_id: str = RUN_ID) -> FaultJournal:
    return FaultJournal(
        run_id,
        "DRILL-P0-B-20261129120000-ab12",
        "p0-b",
        "production",
        {"name": "localstack", "key": "localstack:http://127.0.0.1:4566"},
    )


def test_the_local_store_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = LocalJournalStore(tmp_path)
    writer = JournalWriter(_journal(), [store])
    entry = writer.begin(KIND_FAULT, "data-corruption", "corrupt", {"incident_id": "X"})
    writer.settle(entry, APPLIED, {"incident_id": "X", "restore_target": "t"})
    [loaded] = store.load_all()
    assert loaded.entries[0].status == APPLIED and loaded.entries[0].state["restore_target"] == "t"
    assert [p.name for p in tmp_path.iterdir()] == [f"{RUN_ID}.json"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(run_id="../../../etc/passwd"),
        lambda d: d.update(run_id="p0-b-x/../../y"),
        lambda d: d["entries"].append({"seq": 9, "kind": "rm -rf", "ref": "x", "step": "x", "state": {}}),
        lambda d: d["entries"].append(
            {"seq": 9, "kind": "fault", "ref": "x", "step": "x", "state": {}, "status": "gone"}
        ),
        lambda d: d.update(unexpected=1),
        lambda d: d.clear(),
    ],
    ids=["path-run-id", "dotted-run-id", "unknown-kind", "unknown-status", "unknown-key", "empty"],
)
def test_a_hand_edited_journal_is_named_and_never_trusted(tmp_path: Path, edit) -> None:
    store = LocalJournalStore(tmp_path)
    store.save(_journal())
    store.save(_journal("p0-a-20261129120000-cd34"))
    path = tmp_path / f"{RUN_ID}.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    assert [j.run_id for j in store.load_all()] == ["p0-a-20261129120000-cd34"]  # the others still count
    assert [u.split(" (")[0] for u in store.unreadable] == [str(path)]
    assert path.exists()  # nothing is deleted on the strength of a file it cannot trust


def test_a_journal_that_cannot_be_written_stops_the_change(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    writer = JournalWriter(_journal(), [LocalJournalStore(blocker / "journals")])
    with pytest.raises(JournalStoreError, match="nothing further is injected"):
        writer.begin(KIND_FAULT, "bad-deploy", "bad deploy", {})


def test_the_target_store_refuses_a_journal_over_the_ssm_limit(clients) -> None:
    journal = _journal()
    journal.entries = []
    writer = JournalWriter(journal, [TargetJournalStore(clients.ssm)])
    writer.begin(KIND_FAULT, "bad-deploy", "small", {"services": {}})
    with pytest.raises(JournalStoreError, match="over the 8192 an SSM parameter holds"):
        writer.begin(KIND_FAULT, "bad-deploy", "big", {"blob": "x" * 9000})
    [stored] = TargetJournalStore(clients.ssm).load_all()
    assert [e.step for e in stored.entries] == ["small"]  # the refused entry never reached the target


def test_a_failed_undo_is_kept_and_the_others_still_run(clients, tmp_path: Path, monkeypatch) -> None:
    platform = load_platform("production")
    ctx = DrillContext(
        platform=platform,
        clients=clients,
        target=local_target("http://in-process"),
        stack="production",
        run_id=RUN_ID,
        incident_id="DRILL-1",
    )
    undone: list[str] = []

    def undo(ctx, state):
        if state["name"] == "breaks":
            raise RuntimeError("the target said no")
        undone.append(state["name"])
        return "undone"

    fault = activities.faults()["leaked-db-password"]
    monkeypatch.setitem(
        activities._FAULTS,
        fault.name,
        activities.Fault(
            fault.name, fault.plan, fault.inject, undo, fault.services, fault.params, fault.outputs
        ),
    )
    store = LocalJournalStore(tmp_path)
    writer = JournalWriter(_journal(), [store])
    for name in ("first", "breaks", "last"):
        writer.settle(writer.begin(KIND_FAULT, fault.name, name, {"name": name}), APPLIED)
    records = undo_all(ctx, writer)
    assert [r.name for r in records] == ["undo last", "undo breaks", "undo first"]  # newest first
    assert undone == ["last", "first"]
    [kept] = store.load_all()
    assert [(e.step, e.status) for e in kept.entries] == [
        ("first", UNDONE),
        ("breaks", UNDO_FAILED),
        ("last", UNDONE),
    ]
    assert "the target said no" in kept.entries[1].detail


@pytest.mark.parametrize("stack", ["../Pulumi", "a/b", "", "x" * 101, "prod\nuction"])
def test_a_stack_name_that_is_not_pulumis_is_refused(stack: str) -> None:
    with pytest.raises(StackNotFoundError, match="is not a Pulumi stack name"):
        load_platform(stack)
