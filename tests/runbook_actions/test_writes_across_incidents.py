"""stop-writes and restore-writes of different incidents, interleaved.

Each interleaving is injected at a botocore event of the running action (the other action runs
inside the hook, or a thread is held at one until the other has finished), so the order is
exact and the same on every run: no sleeps.
"""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from drills.restorers import restore_recorded_counts
from runbook_actions import cli, invoke
from runbook_actions.exceptions import RefusedError
from tests.support.action_cases import CLUSTER, DB, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD
from tests.support.action_cases import INCIDENT as INC1

INC2, INC3 = "INC-20261126-02", "INC-20261126-03"
ALL_STOPPED = {name: 0 for name in SEEDED_COUNTS}


def args(incident: str) -> dict:
    return {"cluster": CLUSTER, "incident_id": incident}


def record(clients, incident: str) -> dict:
    name = RECORD.replace(INC1, incident)
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


class Once:
    """A hook that runs ``action`` the first time its event fires (not again from inside it)."""

    def __init__(self, action) -> None:
        self.action, self.armed, self.result = action, True, None

    def __call__(self, **_) -> None:
        if self.armed:
            self.armed = False
            self.result = self.action()


# --- 1. stop-writes reads the other records before the counts, and re-checks -----------------


def test_a_restore_finishing_after_the_counts_were_read_is_seen(clients, seeded, aws_hooks) -> None:
    """The red team's sequence: INC-2 read the counts (all 0, INC-1 held them), then INC-1's
    restore completed, then INC-2 read the records (INC-1 restored, so explaining nothing)."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    restore = Once(lambda: invoke("restore-writes", clients, args(INC1)))
    aws_hooks.on(clients.ecs, "after-call.ecs.DescribeServices", restore)
    second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    assert restore.result is not None and restore.result.ok  # it did run in between
    assert second.ok and record(clients, INC2)["desired_counts"] == SEEDED_COUNTS  # no zeros
    assert sorted(s["service"] for s in second.details["stopped"]) == sorted(SEEDED_COUNTS)
    assert second.details["already_stopped"] == []
    assert desired_counts(clients) == ALL_STOPPED
    again = invoke("restore-writes", clients, args(INC2))
    assert again.ok and desired_counts(clients) == SEEDED_COUNTS


def test_a_restore_finishing_between_the_records_and_the_counts_is_seen(clients, seeded, aws_hooks) -> None:
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    restore = Once(lambda: invoke("restore-writes", clients, args(INC1)))
    aws_hooks.on(clients.ecs, "before-call.ecs.ListServices", restore)
    second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    assert restore.result.ok and second.ok
    assert record(clients, INC2)["desired_counts"] == SEEDED_COUNTS
    assert desired_counts(clients) == ALL_STOPPED


def test_a_stop_recorded_between_the_records_and_the_counts_explains_its_zeros(
    clients, seeded, aws_hooks
) -> None:
    stop = Once(lambda: invoke("stop-writes", clients, {**args(INC3), "db_cluster": DB}))
    aws_hooks.on(clients.ecs, "before-call.ecs.ListServices", stop)
    second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    assert stop.result.ok and second.ok
    assert record(clients, INC2)["desired_counts"] == SEEDED_COUNTS  # from INC-3's record
    assert second.details["originals_from"] == {INC3: sorted(SEEDED_COUNTS)}


def test_services_a_restore_in_flight_brings_back_after_the_counts_were_read_are_stopped_again(
    clients, seeded, aws_hooks
) -> None:
    """INC-1's restore read the records before INC-2 recorded, and its scale-up lands after
    INC-2 read the counts (all 0): INC-2 must not report success with the services running."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok

    def restore_lands():
        for name, count in SEEDED_COUNTS.items():
            clients.ecs.update_service(cluster=CLUSTER, service=name, desiredCount=count)

    aws_hooks.on(clients.ssm, "after-call.ssm.PutParameter", Once(restore_lands))
    second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    assert second.ok and second.details["not_stopped"] == []
    assert sorted(s["service"] for s in second.details["stopped"]) == sorted(SEEDED_COUNTS)
    assert desired_counts(clients) == ALL_STOPPED
    assert record(clients, INC2)["desired_counts"] == SEEDED_COUNTS


def test_a_service_that_keeps_coming_back_is_reported_not_stopped(clients, seeded, aws_hooks) -> None:
    def lost_update(params, **_):  # e.g. a scaling policy that sets it back at once
        if params.get("service") == "storefront":
            params["desiredCount"] = SEEDED_COUNTS["storefront"]

    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", lost_update)
    result = invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB})
    assert result.ok is False and "rerun" in result.details["note"]
    assert result.details["not_stopped"] == [
        {"service": "storefront", "desired": SEEDED_COUNTS["storefront"]}
    ]


def test_records_that_keep_changing_are_all_consulted(clients, seeded, aws_hooks) -> None:
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    first_record = RECORD
    value = clients.ssm.get_parameter(Name=first_record)["Parameter"]["Value"]

    def rewrite(**_):  # another writer touches INC-1's record between every two reads
        clients.ssm.put_parameter(Name=first_record, Value=value, Type="String", Overwrite=True)

    aws_hooks.on(clients.ssm, "after-call.ssm.GetParametersByPath", rewrite)
    second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    assert second.ok and record(clients, INC2)["desired_counts"] == SEEDED_COUNTS
    assert any("changed while the counts were read" in w for w in second.details["warnings"])


# --- 2. restore-writes never restarts what a newer open incident stopped ---------------------


def test_restore_writes_refuses_while_a_newer_open_incident_holds_the_services(clients, seeded) -> None:
    """The red team's sequence: stop 1, stop 2, restore 1, stop 3, restore 2."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    with pytest.raises(
        RefusedError,
        match=rf"incident\(s\) {INC2} stopped writes after it and "
        rf"are still open.*restore-writes --incident-id {INC2}",
    ):
        invoke("restore-writes", clients, args(INC1))
    assert desired_counts(clients) == ALL_STOPPED
    assert invoke("stop-writes", clients, {**args(INC3), "db_cluster": DB}).ok
    with pytest.raises(
        RefusedError,
        match=rf"{INC3} stopped writes after it.*holds "
        rf"{', '.join(sorted(SEEDED_COUNTS))} at 0 \(its record "
        rf".*/{INC3}/desired-counts keeps their counts\)",
    ):
        invoke("restore-writes", clients, args(INC2))
    assert desired_counts(clients) == ALL_STOPPED
    assert record(clients, INC2)["status"] == "writes-stopped"
    # Newest first, as the refusal says: each brings back or marks, none undoes a newer stop.
    assert invoke("restore-writes", clients, args(INC3)).ok
    assert desired_counts(clients) == SEEDED_COUNTS
    for incident in (INC2, INC1):
        result = invoke("restore-writes", clients, args(incident))
        assert (result.ok, result.details["restored"], result.details["record"]) == (
            True,
            [],
            "marked restored",
        )
    assert desired_counts(clients) == SEEDED_COUNTS


def test_the_refusal_is_one_line_exit_1_and_dry_run_refuses_too(clients, seeded, capsys) -> None:
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    with pytest.raises(RefusedError, match=INC2):
        invoke("restore-writes", clients, args(INC1), dry_run=True)
    code = cli.main(["restore-writes", "--cluster", CLUSTER, "--incident-id", INC1])
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["ok"] is False  # valid input: not exit 2
    assert captured.err.count("\n") == 1 and f"restore-writes --incident-id {INC2}" in captured.err
    assert desired_counts(clients) == ALL_STOPPED


def test_an_older_open_incident_does_not_block_the_newer_ones_restore(clients, seeded) -> None:
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    assert invoke("restore-writes", clients, args(INC2)).ok
    assert desired_counts(clients) == SEEDED_COUNTS


def test_a_restore_overtaken_by_a_newer_stop_puts_the_services_back_to_0(clients, seeded, aws_hooks) -> None:
    """INC-1's restore read the records before INC-2 recorded; INC-2 then stopped (nothing to
    scale: all at 0) and returned; INC-1's scale-up lands after. INC-1 must give way."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    reached, go = threading.Event(), threading.Event()

    def hold_scale_up(params, **_):
        if params.get("desiredCount", 0) > 0:
            reached.set()
            go.wait(timeout=60)

    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", hold_scale_up)
    results: dict = {}
    restoring = threading.Thread(
        target=lambda: results.update(first=invoke("restore-writes", clients, args(INC1)))
    )
    restoring.start()
    try:
        assert reached.wait(timeout=60)
        second = invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB})
    finally:
        go.set()
        restoring.join(timeout=120)
    first = results["first"]
    assert second.ok and record(clients, INC2)["desired_counts"] == SEEDED_COUNTS
    assert first.ok is False and f"restore-writes --incident-id {INC2}" in first.details["note"]
    assert first.details["held_by_newer_incident"] == {INC2: sorted(SEEDED_COUNTS)}
    assert desired_counts(clients) == ALL_STOPPED
    assert record(clients, INC1)["status"] == "writes-stopped"
    assert invoke("restore-writes", clients, args(INC2)).ok
    assert invoke("restore-writes", clients, args(INC1)).ok
    assert desired_counts(clients) == SEEDED_COUNTS


def test_drill_recover_reports_the_undo_failed_naming_the_newer_incident(clients, seeded) -> None:
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    ctx = SimpleNamespace(clients=clients, platform=SimpleNamespace(cluster=CLUSTER))
    with pytest.raises(RefusedError, match=f"restore-writes --incident-id {INC2}"):
        restore_recorded_counts(ctx, INC1)
    assert record(clients, INC1)["status"] == "writes-stopped"  # the record is kept
    assert desired_counts(clients) == ALL_STOPPED


def test_with_two_newer_open_incidents_the_newest_is_named_to_restore_first(clients, seeded) -> None:
    for incident in (INC1, INC3, INC2):  # INC-2 stops last: it is the newest, whatever its id
        assert invoke("stop-writes", clients, {**args(incident), "db_cluster": DB}).ok
    with pytest.raises(
        RefusedError,
        match=rf"incident\(s\) {INC2}, {INC3} stopped writes after "
        rf"it.*When {INC2} is over, run restore-writes "
        rf"--incident-id {INC2},",
    ):
        invoke("restore-writes", clients, args(INC1))
    with pytest.raises(RefusedError, match=rf"When {INC2} is over"):
        invoke("restore-writes", clients, args(INC3))
    for incident in (INC2, INC3, INC1):
        assert invoke("restore-writes", clients, args(incident)).ok
    assert desired_counts(clients) == SEEDED_COUNTS


# --- 3. an incident's place in the order is when its record was opened, not last written -----


def test_a_rerun_that_adds_a_service_keeps_the_incidents_place(clients, seeded) -> None:
    """The red team's sequence: stop E, stop F, restore E (refused); a service appears and stop
    E is rerun ("kept; added"), which rewrites E's record: E must not become newer than F."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    with pytest.raises(RefusedError, match=rf"incident\(s\) {INC2} stopped writes after it"):
        invoke("restore-writes", clients, args(INC1))
    clients.ecs.create_service(
        cluster=CLUSTER,
        serviceName="zz-new-worker",
        desiredCount=0,
        taskDefinition=seeded.services["storefront"].deployed,
        networkConfiguration=seeded.network.awsvpc(),
    )
    rerun = invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB})
    assert rerun.ok and rerun.details["record"] == "kept; added zz-new-worker"
    assert record(clients, INC1)["desired_counts"] == {**SEEDED_COUNTS, "zz-new-worker": 0}
    with pytest.raises(RefusedError, match=rf"incident\(s\) {INC2} stopped writes after it"):
        invoke("restore-writes", clients, args(INC1))
    with pytest.raises(RefusedError, match=INC2):
        invoke("restore-writes", clients, args(INC1), dry_run=True)
    assert desired_counts(clients) == {**ALL_STOPPED, "zz-new-worker": 0}
    assert invoke("restore-writes", clients, args(INC2)).ok
    assert invoke("restore-writes", clients, args(INC1)).ok
    assert desired_counts(clients) == {**SEEDED_COUNTS, "zz-new-worker": 0}


def test_any_rewrite_of_an_open_record_keeps_its_place(clients, seeded) -> None:
    """A hand repair, or a rerun by the code before records kept their place, rewrites E's
    record without anything in it saying when E began: SSM's history still does."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    value = json.loads(clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    value.pop("opened_at", None)
    clients.ssm.put_parameter(Name=RECORD, Value=json.dumps(value), Type="String", Overwrite=True)
    with pytest.raises(RefusedError, match=rf"incident\(s\) {INC2} stopped writes after it"):
        invoke("restore-writes", clients, args(INC1))
    assert desired_counts(clients) == ALL_STOPPED


def test_an_incident_stopped_again_after_its_restore_takes_its_place_when_reopened(clients, seeded) -> None:
    """Reopening is a new stop: it is newer than an incident opened between the two."""
    assert invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB}).ok
    assert invoke("restore-writes", clients, args(INC1)).ok
    assert invoke("stop-writes", clients, {**args(INC2), "db_cluster": DB}).ok
    reopened = invoke("stop-writes", clients, {**args(INC1), "db_cluster": DB})
    assert reopened.ok and reopened.details["record"] == "reopened"
    with pytest.raises(RefusedError, match=rf"incident\(s\) {INC1} stopped writes after it"):
        invoke("restore-writes", clients, args(INC2))
    assert invoke("restore-writes", clients, args(INC1)).ok
    assert invoke("restore-writes", clients, args(INC2)).ok
    assert desired_counts(clients) == SEEDED_COUNTS
