"""Red-team cases for the write fence (issue 13): a run stopped at every AWS call, reruns with a
changed configuration, AWS's own rules for network ACL entries, odd configurations."""

from __future__ import annotations

import ipaddress
import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from runbook_actions import RunbookError, invoke
from runbook_actions.common_params import APP_CIDR
from runbook_actions.constants import ENV_APP_CIDRS
from runbook_actions.exceptions import InvalidArgumentError, RefusedError
from runbook_actions.params import resolve
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD
from tests.support.platform_names import PRODUCTION

APPS = list(PRODUCTION.network.application_subnet_cidrs) if PRODUCTION.network else []
BASTION = f"{ipaddress.IPv4Network(APPS[0]).network_address + 10}/32"  # inside the first
STOP = {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT, "app_cidr": APPS}
RESTORE = {"cluster": CLUSTER, "incident_id": INCIDENT}
ALL_STOPPED = {name: 0 for name in SEEDED_COUNTS}


class Killed(BaseException):
    """The process died at this call (kill -9): nothing after it runs, no handler sees it."""


def _acls(clients) -> list[dict[str, Any]]:
    """Every network ACL's entries, as DescribeNetworkAcls lists them."""
    acls = clients.ec2.describe_network_acls()["NetworkAcls"]
    return sorted(
        (
            acl["NetworkAclId"],
            sorted(json.dumps(e, sort_keys=True, default=str) for e in acl["Entries"]),
        )
        for acl in acls
    )


def _record(clients) -> dict[str, Any] | None:
    try:
        return json.loads(clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    except clients.ssm.exceptions.ParameterNotFound:
        return None


def _unrecorded_entries(clients, before) -> list[tuple]:
    """Entries in the ACLs now that were not there before and that the record does not name."""
    record = _record(clients) or {}
    named = {
        (e["nacl_id"], e["rule_number"], e.get("action", "deny"), e["cidr"]) for e in record.get("fence", [])
    }
    old = {(acl_id, entry) for acl_id, entries in before for entry in entries}
    new = []
    for acl_id, entries in _acls(clients):
        for text in entries:
            if (acl_id, text) in old:
                continue
            entry = json.loads(text)
            key = (acl_id, entry["RuleNumber"], entry["RuleAction"], entry.get("CidrBlock"))
            if key not in named:
                new.append(key)
    return new


def _die_at_call(clients, aws_hooks, nth: int, kind: str) -> list[str]:
    """Make the ``nth`` AWS call (any client) fail: with an AWS error, or by killing the run."""
    calls: list[str] = []
    lock = threading.Lock()

    def hook(model, **_):
        with lock:
            calls.append(model.name)
            hit = len(calls) == nth
        if hit:
            if kind == "kill":
                raise Killed(model.name)
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, model.name)

    for client in (clients.ec2, clients.rds, clients.ssm, clients.ecs):
        aws_hooks.on(client, "before-call", hook)
    return calls


STOP_WITH_RESPONDER = {**STOP, "responder_cidr": [BASTION]}


# A kill and an AWS error at alternate calls (each call is hit by one of them in the two sweeps):
# the whole cross product doubles the suite's cost for little.
CALLS = [(nth, "kill" if nth % 2 else "error") for nth in range(1, 25)]
SWAPPED = [(nth, "error" if kind == "kill" else "kill") for nth, kind in CALLS]


@pytest.mark.parametrize(("nth", "kind"), CALLS)
def test_stop_writes_dying_at_any_call_leaves_every_entry_named_and_restore_undoes_it(
    clients, seeded, aws_hooks, nth, kind
) -> None:
    before = _acls(clients)
    calls = _die_at_call(clients, aws_hooks, nth, kind)
    try:
        invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    except (Killed, RunbookError):
        pass
    if len(calls) < nth:
        pytest.skip(f"stop-writes made only {len(calls)} calls")
    aws_hooks.remove_all()
    assert _unrecorded_entries(clients, before) == [], f"died at call {nth} ({calls[nth - 1]})"
    if _record(clients) is not None:  # the drill's undo: restore-writes, then the record removed
        result = invoke("restore-writes", clients, RESTORE)
        assert result.ok, result.details
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize(("nth", "kind"), SWAPPED)
def test_a_rerun_after_stop_writes_died_at_any_call_finishes(clients, seeded, aws_hooks, nth, kind) -> None:
    before = _acls(clients)
    calls = _die_at_call(clients, aws_hooks, nth, kind)
    try:
        invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    except (Killed, RunbookError):
        pass
    if len(calls) < nth:
        pytest.skip(f"stop-writes made only {len(calls)} calls")
    aws_hooks.remove_all()
    rerun = invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    assert rerun.ok and not rerun.details["fence"]["problems"], rerun.details
    assert desired_counts(clients) == ALL_STOPPED
    assert (_record(clients) or {})["desired_counts"] == SEEDED_COUNTS
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize(("nth", "kind"), CALLS[:15])
def test_restore_writes_dying_at_any_call_is_finished_by_a_rerun(
    clients, seeded, aws_hooks, nth, kind
) -> None:
    before = _acls(clients)
    assert invoke("stop-writes", clients, STOP_WITH_RESPONDER).ok
    calls = _die_at_call(clients, aws_hooks, nth, kind)
    try:
        invoke("restore-writes", clients, RESTORE)
    except (Killed, RunbookError):
        pass
    if len(calls) < nth:
        pytest.skip(f"restore-writes made only {len(calls)} calls")
    aws_hooks.remove_all()
    rerun = invoke("restore-writes", clients, RESTORE)
    assert rerun.ok, rerun.details
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


# --- reruns with a changed configuration -------------------------------------------------------


def test_a_rerun_with_a_responder_cidr_added_does_not_take_a_recorded_entrys_number(
    clients, seeded, aws_hooks
) -> None:
    """The first run journalled its denies, and their creation failed (throttled); the rerun,
    with the responders' CIDR now exported, planned the allow at the lowest free number: the
    number of a recorded deny not yet made. The allow was created and left out of the record
    (the record keeps the stored entry for that number), the deny then failed to be created, and
    restore-writes left the allow in the ACL ('changed by someone else')."""
    before = _acls(clients)
    undo = aws_hooks.fail(clients.ec2, "CreateNetworkAclEntry")
    first = invoke("stop-writes", clients, STOP)
    undo()
    assert not first.ok and first.details["fence"]["failed"], first.details
    rerun = invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    assert _unrecorded_entries(clients, before) == []
    assert rerun.ok, rerun.details
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before


def test_an_application_cidr_added_on_a_rerun_does_not_take_a_recorded_entrys_number(
    clients, seeded, aws_hooks
) -> None:
    before = _acls(clients)
    undo = aws_hooks.fail(clients.ec2, "CreateNetworkAclEntry")
    first = invoke("stop-writes", clients, {**STOP, "app_cidr": APPS[1:]})
    undo()
    assert not first.ok, first.details
    rerun = invoke("stop-writes", clients, STOP)  # APPS[0] sorts before APPS[1]
    assert _unrecorded_entries(clients, before) == []
    assert rerun.ok, rerun.details
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before


# --- the responders' allow on a rerun and under another incident --------------------------------


def test_a_plain_rerun_with_a_responder_allow_reports_no_problem(clients, seeded) -> None:
    """The responders' allow (a /32 inside an application CIDR) is up after the first run; the
    rerun read it as an allow 'of the same traffic' numbered before the denies and reported every
    deny 'not effective' (ok=false, exit 1 on every rerun of the same command)."""
    assert invoke("stop-writes", clients, STOP_WITH_RESPONDER).ok
    rerun = invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    assert rerun.ok and rerun.details["fence"]["problems"] == [], rerun.details["fence"]


def test_a_second_incident_with_the_responders_allow_fences_too_and_both_restore(clients, seeded) -> None:
    """Incident A's responders' allow (rule 1) made incident B's denies unplaceable: 'no free
    inbound rule number below the first rule allowing tcp from ... (rule 1)': B was not fenced."""
    other = "INC-20261126-02"
    before = _acls(clients)
    assert invoke("stop-writes", clients, STOP_WITH_RESPONDER).ok
    second = invoke("stop-writes", clients, {**STOP_WITH_RESPONDER, "incident_id": other})
    assert not second.details["fence"]["problems"], second.details["fence"]
    assert {e["action"] for e in second.details["fence"]["created"]} == {"allow", "deny"}
    assert second.ok, second.details
    with pytest.raises(RefusedError, match="nothing was changed"):  # B stopped writes after A
        invoke("restore-writes", clients, RESTORE)
    assert invoke("restore-writes", clients, {**RESTORE, "incident_id": other}).ok
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


# --- the same incident twice at once -------------------------------------------------------------


def test_two_runs_of_one_incident_with_different_responders_create_only_recorded_entries(
    clients, seeded, aws_hooks
) -> None:
    """Two responders stop writes for one incident at once, one with the responders' CIDR
    exported (A: allow 1, deny 2, deny 3), one without (B: deny 1, deny 2). Both read no record;
    A journals first, B's create-only write finds A's record and merges, A's entries winning
    every shared rule number; B then created its own denies at 1 and 2 anyway: entries no record
    names, in the numbers of A's allow and deny. restore-writes then found rule 1 and 2 'changed
    by someone else' and left them: the services came back behind a deny."""
    before = _acls(clients)
    state = {"nested": False}

    def run_a_first(model, **_):
        if model.name != "PutParameter" or state["nested"]:
            return
        state["nested"] = True  # A runs now, inside B's first PutParameter, and dies after its journal
        kill = _die_at_create(clients, aws_hooks)
        try:
            invoke("stop-writes", clients, STOP_WITH_RESPONDER)
        except Killed:
            pass
        kill()

    aws_hooks.on(clients.ssm, "before-call", run_a_first)
    b = invoke("stop-writes", clients, STOP)
    aws_hooks.remove_all()
    assert state["nested"]
    assert _unrecorded_entries(clients, before) == [], b.details["fence"]
    finished = invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    assert finished.ok, finished.details["fence"]
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


def _die_at_create(clients, aws_hooks):
    def hook(**_):
        raise Killed("CreateNetworkAclEntry")

    event = "before-call.ec2.CreateNetworkAclEntry"
    aws_hooks.on(clients.ec2, event, hook)
    return lambda: aws_hooks._remove(clients.ec2, event, hook)


def test_restoring_the_newer_incident_says_the_older_ones_fence_still_holds_writes(clients, seeded) -> None:
    """stop A, stop B, restore B: B's record holds the counts (taken from A's), so every service
    comes back and B reports ok; but A's denies are still up, so no service can write. The result
    said nothing of it: the responder reads 'writes restored' while they are not."""
    other = "INC-20261126-02"
    assert invoke("stop-writes", clients, STOP).ok
    assert invoke("stop-writes", clients, {**STOP, "incident_id": other}).ok
    result = invoke("restore-writes", clients, {**RESTORE, "incident_id": other})
    assert result.ok and desired_counts(clients) == SEEDED_COUNTS, result.details
    assert any(INCIDENT in w and "fence" in w for w in result.details["warnings"]), result.details["warnings"]
    assert invoke("restore-writes", clients, RESTORE).ok


def test_a_fence_that_fails_to_build_and_to_be_checked_does_not_hold_up_the_scale_down(
    clients, seeded, aws_hooks
) -> None:
    """CreateNetworkAclEntry throttled, and the look that follows (is the entry there anyway?)
    throttled too, as both are in an account-wide API storm: the look's error escaped build(),
    stop-writes stopped with exit 1 before reading a single service, and writes went on. The
    module says a fence that cannot be built never holds up the scale-down."""
    aws_hooks.fail(clients.ec2, "CreateNetworkAclEntry")
    aws_hooks.fail(clients.ec2, "DescribeNetworkAcls", when=lambda p: "NetworkAclIds" in p)
    result = invoke("stop-writes", clients, STOP)
    aws_hooks.remove_all()
    assert desired_counts(clients) == ALL_STOPPED
    assert not result.ok and len(result.details["fence"]["failed"]) == len(APPS), result.details["fence"]
    assert invoke("restore-writes", clients, RESTORE).ok
    assert desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize("attempt", range(3))
def test_one_incident_stopped_twice_at_once_leaves_one_fence_and_restores_clean(
    clients, seeded, attempt
) -> None:
    before = _acls(clients)
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(invoke("stop-writes", clients, STOP_WITH_RESPONDER))
        except RunbookError as error:
            results.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _unrecorded_entries(clients, before) == []
    assert (
        desired_counts(clients) == ALL_STOPPED and (_record(clients) or {})["desired_counts"] == SEEDED_COUNTS
    )
    rerun = invoke("stop-writes", clients, STOP_WITH_RESPONDER)
    assert rerun.ok and rerun.details["fence"]["created"] == [], (results, rerun.details["fence"])
    assert invoke("restore-writes", clients, RESTORE).ok
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS


# --- the CIDRs from the environment --------------------------------------------------------------


@pytest.mark.parametrize("value", [" 10.0.1.0/24 ,,10.0.2.0/24", "10.0.1.0/24,", "10.0.1.5/24"])
def test_a_bad_cidr_in_the_environment_is_refused_naming_the_variable(value) -> None:
    """Refused with exit 2 as before, but the message named only --app-cidr, a flag the
    responder never typed: at 3 am nothing said the value came from ZELLY_APP_CIDRS."""
    with pytest.raises(InvalidArgumentError, match="--app-cidr: .*read from ZELLY_APP_CIDRS") as error:
        resolve((APP_CIDR,), {}, {ENV_APP_CIDRS: value})
    assert error.value.exit_code == 2
    with pytest.raises(InvalidArgumentError) as given:  # a typed flag is named as before
        resolve((APP_CIDR,), {"app_cidr": ["10.0.1.5/24"]}, {})
    assert "read from" not in str(given.value)
