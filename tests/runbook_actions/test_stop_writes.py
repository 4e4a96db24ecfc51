"""stop-writes: records desired counts first, scales every service to 0 in parallel, reruns safely."""

from __future__ import annotations

import json
import threading

import pytest

from runbook_actions import cli, invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD

ARGS = {"cluster": CLUSTER, "incident_id": INCIDENT}


def test_seed_runs_every_service_at_its_stack_desired_count(clients, seeded) -> None:
    assert (
        desired_counts(clients)
        == SEEDED_COUNTS
        == {"fastify-nova": 4, "customer-panel": 2, "orion-backend": 2, "storefront": 3, "events-consumer": 2}
    )


def _record(clients, name: str = RECORD) -> dict:
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def _record_versions(clients, name: str = RECORD) -> int:
    return len(clients.ssm.get_parameter_history(Name=name)["Parameters"])


def test_records_counts_then_stops_every_service(clients, seeded) -> None:
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert (result.ok, result.changed, result.details["record"]) == (True, True, "created")
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS
    assert _record(clients)["incident_id"] == INCIDENT
    assert desired_counts(clients) == {name: 0 for name in SEEDED_COUNTS}
    assert {s["service"]: s["from"] for s in result.details["stopped"]} == SEEDED_COUNTS


def test_record_is_durable_before_the_first_service_is_scaled(clients, seeded, aws_hooks) -> None:
    seen_at_first_scale: list[dict] = []
    first = threading.Lock()  # services are scaled in parallel: only one thread may look first

    def check(params, **_):
        with first:
            if not seen_at_first_scale:
                seen_at_first_scale.append(_record(clients)["desired_counts"])

    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", check)
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert seen_at_first_scale == [SEEDED_COUNTS]


def test_services_are_scaled_in_parallel(clients, seeded, aws_hooks) -> None:
    probe = aws_hooks.probe_concurrency(clients.ecs, "UpdateService")
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert probe.peak > 1


def test_second_run_keeps_the_record_and_changes_nothing(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    again = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert (again.ok, again.changed, again.details["record"], again.details["stopped"]) == (
        True,
        False,
        "kept",
        [],
    )
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS  # not overwritten with zeros
    assert _record_versions(clients) == 1


def test_rerun_adds_only_services_missing_from_the_record(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    clients.ecs.create_service(
        cluster=CLUSTER,
        serviceName="late-worker",
        desiredCount=3,
        taskDefinition=seeded.services["storefront"].deployed,
        networkConfiguration=seeded.network.awsvpc(),
    )
    again = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert again.details["record"] == "kept; added late-worker"
    assert _record(clients)["desired_counts"] == {**SEEDED_COUNTS, "late-worker": 3}
    assert desired_counts(clients)["late-worker"] == 0


def test_partial_failure_stops_the_rest_reports_and_a_rerun_finishes(clients, seeded, aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "storefront")
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert result.ok is False and "rerun" in result.details["note"]
    assert [f["service"] for f in result.details["failed"]] == ["storefront"]
    assert "ThrottlingException" in result.details["failed"][0]["error"]
    assert desired_counts(clients) == {**{n: 0 for n in SEEDED_COUNTS}, "storefront": 3}
    undo()
    rerun = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert rerun.ok and [s["service"] for s in rerun.details["stopped"]] == ["storefront"]
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS


def test_cli_exits_non_zero_on_partial_failure(clients, seeded, capsys, monkeypatch, aws_hooks) -> None:
    monkeypatch.setattr(cli, "AwsClients", lambda **_: clients)  # so the injected fault applies
    aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] in ("storefront", "orion-backend"))
    code = cli.main(["stop-writes", "--cluster", CLUSTER, "--db-cluster", DB, "--incident-id", INCIDENT])
    printed = json.loads(capsys.readouterr().out)
    assert code == 1 and printed["ok"] is False
    assert [f["service"] for f in printed["details"]["failed"]] == ["orion-backend", "storefront"]


def test_dry_run_records_and_scales_nothing(clients, seeded) -> None:
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}, dry_run=True)
    assert (result.changed, result.details["would_change"]) == (False, True)
    assert result.details["would_record"] == SEEDED_COUNTS
    assert len(result.details["would_stop"]) == len(SEEDED_COUNTS)
    assert desired_counts(clients) == SEEDED_COUNTS
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=RECORD)


def test_state_prefix_comes_from_the_environment(clients, seeded, monkeypatch) -> None:
    result = invoke(
        "stop-writes", clients, {**ARGS, "db_cluster": DB}, environ={"ZELLY_STATE_PREFIX": "/drills/state/"}
    )
    expected = f"/drills/state/{CLUSTER}/incidents/{INCIDENT}/desired-counts"
    assert result.details["record_parameter"] == expected
    assert _record(clients, expected)["desired_counts"] == SEEDED_COUNTS


def test_damaged_record_is_refused_before_anything_is_scaled(clients, seeded) -> None:
    clients.ssm.put_parameter(Name=RECORD, Value="{not json", Type="String")
    with pytest.raises(RefusedError, match="is not valid"):
        invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"cluster": "no-such-cluster", "incident_id": INCIDENT}, NotFoundError, "no-such-cluster"),
        ({"cluster": CLUSTER, "incident_id": "INC/../x"}, InvalidArgumentError, "--incident-id"),
        ({"cluster": CLUSTER}, InvalidArgumentError, "--incident-id is required"),
    ],
)
def test_bad_arguments(clients, seeded, arguments, error, message) -> None:
    with pytest.raises(error, match=message):
        invoke("stop-writes", clients, {**arguments, "db_cluster": DB})
    assert desired_counts(clients) == SEEDED_COUNTS


# --- a second incident id while the first still holds the services at 0 ----------------------

OTHER = "INC-20261126-02"
OTHER_ARGS = {"cluster": CLUSTER, "incident_id": OTHER}
OTHER_RECORD = RECORD.replace(INCIDENT, OTHER)


def _put_record(clients, incident: str, counts: dict, updated_at: str, status: str | None = None) -> None:
    value = {
        "version": 1,
        "cluster": CLUSTER,
        "incident_id": incident,
        "updated_at": updated_at,
        "desired_counts": counts,
        **({"status": status} if status else {}),
    }
    clients.ssm.put_parameter(
        Name=RECORD.replace(INCIDENT, incident), Value=json.dumps(value), Type="String", Overwrite=True
    )


def test_a_second_incident_records_the_originals_the_open_incident_holds(clients, seeded) -> None:
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    second = invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB})
    assert second.ok and second.details["stopped"] == []
    assert _record(clients, OTHER_RECORD)["desired_counts"] == SEEDED_COUNTS  # never zeros
    assert second.details["originals_from"] == {INCIDENT: sorted(SEEDED_COUNTS)}


def test_restore_writes_for_the_second_incident_brings_the_platform_back(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB})
    restored = invoke("restore-writes", clients, OTHER_ARGS)
    assert restored.ok and desired_counts(clients) == SEEDED_COUNTS


def test_only_the_zeros_an_open_record_explains_are_taken_from_it(clients, seeded, aws_hooks) -> None:
    # storefront could not be stopped under the first incident: its own count is still current.
    undo = aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "storefront")
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    undo()
    clients.ecs.update_service(cluster=CLUSTER, service="storefront", desiredCount=5)
    second = invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB})
    assert _record(clients, OTHER_RECORD)["desired_counts"] == {**SEEDED_COUNTS, "storefront": 5}
    assert second.details["originals_from"] == {INCIDENT: sorted(set(SEEDED_COUNTS) - {"storefront"})}


def test_a_service_at_zero_on_purpose_is_recorded_at_zero(clients, seeded) -> None:
    clients.ecs.update_service(cluster=CLUSTER, service="events-consumer", desiredCount=0)
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert result.ok and result.details["originals_from"] == {}
    assert _record(clients)["desired_counts"] == {**SEEDED_COUNTS, "events-consumer": 0}


def test_a_restored_incident_explains_no_zeros(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert invoke("restore-writes", clients, ARGS).ok
    clients.ecs.update_service(cluster=CLUSTER, service="events-consumer", desiredCount=0)
    second = invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB})
    assert second.details["originals_from"] == {}
    assert _record(clients, OTHER_RECORD)["desired_counts"] == {**SEEDED_COUNTS, "events-consumer": 0}


def test_open_records_that_disagree_the_newest_wins_and_the_conflict_is_named(clients, seeded) -> None:
    for name in SEEDED_COUNTS:
        clients.ecs.update_service(cluster=CLUSTER, service=name, desiredCount=0)
    _put_record(clients, "INC-OLD", {"fastify-nova": 2}, "2026-11-20T10:00:00Z")
    _put_record(clients, "INC-NEW", SEEDED_COUNTS, "2026-11-26T03:00:00Z", status="writes-stopped")
    _put_record(clients, "INC-DONE", {"fastify-nova": 9}, "2026-11-26T04:00:00Z", status="restored")
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS
    assert result.details["originals_from"] == {"INC-NEW": sorted(SEEDED_COUNTS)}
    assert any("fastify-nova" in w and "INC-OLD" in w for w in result.details["warnings"])


def test_a_damaged_other_record_is_named_and_not_consulted(clients, seeded) -> None:
    clients.ssm.put_parameter(Name=OTHER_RECORD, Value="{not json", Type="String")
    result = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert result.ok and _record(clients)["desired_counts"] == SEEDED_COUNTS
    assert any(OTHER_RECORD in w for w in result.details["warnings"])


def test_dry_run_of_a_second_incident_shows_the_originals_it_would_record(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    dry = invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB}, dry_run=True)
    assert dry.details["would_record"] == SEEDED_COUNTS
    assert dry.details["originals_from"] == {INCIDENT: sorted(SEEDED_COUNTS)}
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=OTHER_RECORD)


def test_stopping_again_after_a_restore_reopens_the_record(clients, seeded) -> None:
    invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    invoke("restore-writes", clients, ARGS)
    clients.ecs.update_service(cluster=CLUSTER, service="storefront", desiredCount=6)
    again = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert again.ok and again.details["record"] == "reopened"
    assert _record(clients)["desired_counts"] == {**SEEDED_COUNTS, "storefront": 6}
    assert _record(clients)["status"] == "writes-stopped"
    # ... so that it again explains the zeros to a stop-writes under another incident id
    invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB})
    assert _record(clients, OTHER_RECORD)["desired_counts"] == {**SEEDED_COUNTS, "storefront": 6}


# --- never a fleet of zeros as originals --------------------------------------------------------

OTHER_PREFIX = "/Incident-Guardrails"  # SSM names are case-sensitive: another prefix altogether


def test_a_fleet_already_at_0_that_no_open_record_explains_is_refused(clients, seeded, capsys) -> None:
    """The red team's sequence: C stops writes; D, under another --state-prefix, cannot see C's
    record and saw every service at 0. It must not record zeros as D's originals."""
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    elsewhere = {**OTHER_ARGS, "state_prefix": OTHER_PREFIX}
    message = (
        r"writes are already stopped: every service of .* is at 0 and no open incident "
        r"record under /Incident-Guardrails explains it \(another incident under another "
        r"--state-prefix, or by hand\?\); nothing to record.*find that incident's record"
    )
    for dry_run in (True, False):
        with pytest.raises(RefusedError, match=message):
            invoke("stop-writes", clients, {**elsewhere, "db_cluster": DB}, dry_run=dry_run)
    code = cli.main(
        [
            "stop-writes",
            "--cluster",
            CLUSTER,
            "--db-cluster",
            DB,
            "--incident-id",
            OTHER,
            "--state-prefix",
            OTHER_PREFIX,
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["ok"] is False  # valid input: not exit 2
    assert captured.err.count("\n") == 1 and "writes are already stopped" in captured.err
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=f"{OTHER_PREFIX}/{CLUSTER}/incidents/{OTHER}/desired-counts")
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS  # C's record is untouched
    assert invoke("restore-writes", clients, ARGS).ok
    assert desired_counts(clients) == SEEDED_COUNTS


def test_a_restored_record_is_not_reopened_with_a_fleet_of_zeros(clients, seeded) -> None:
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    assert invoke("restore-writes", clients, ARGS).ok
    for name in SEEDED_COUNTS:  # stopped by hand, or by an incident under another prefix
        clients.ecs.update_service(cluster=CLUSTER, service=name, desiredCount=0)
    with pytest.raises(RefusedError, match="writes are already stopped"):
        invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert _record(clients) | {"updated_at": None} == {
        **_record(clients),
        "updated_at": None,
        "status": "restored",
        "desired_counts": SEEDED_COUNTS,
    }


def test_a_rerun_of_the_incident_that_stopped_the_fleet_is_not_refused(clients, seeded) -> None:
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    again = invoke("stop-writes", clients, {**ARGS, "db_cluster": DB})
    assert again.ok and again.details["record"] == "kept"
