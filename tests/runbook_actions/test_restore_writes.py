"""restore-writes: brings services back to the counts stop-writes recorded; idempotent."""

from __future__ import annotations

import json

import pytest

from runbook_actions import cli, invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, desired_counts
from tests.support.action_cases import DESIRED_COUNTS_RECORD as RECORD

ARGS = {"cluster": CLUSTER, "incident_id": INCIDENT}


@pytest.fixture
def stopped(clients, seeded):
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    assert set(desired_counts(clients).values()) == {0}


def test_restores_every_recorded_count(clients, stopped) -> None:
    result = invoke("restore-writes", clients, ARGS)
    assert (result.ok, result.changed, result.details["failed"]) == (True, True, [])
    assert desired_counts(clients) == SEEDED_COUNTS
    assert {r["service"]: (r["from"], r["to"]) for r in result.details["restored"]} == {
        name: (0, count) for name, count in SEEDED_COUNTS.items()
    }


def test_services_are_restored_in_parallel(clients, stopped, aws_hooks) -> None:
    probe = aws_hooks.probe_concurrency(clients.ecs, "UpdateService")
    invoke("restore-writes", clients, ARGS)
    assert probe.peak > 1


def test_second_run_changes_nothing(clients, stopped) -> None:
    invoke("restore-writes", clients, ARGS)
    again = invoke("restore-writes", clients, ARGS)
    assert (again.ok, again.changed, again.details["restored"]) == (True, False, [])
    assert again.details["already_restored"] == sorted(SEEDED_COUNTS)
    assert desired_counts(clients) == SEEDED_COUNTS


def test_record_is_kept_after_restoring(clients, stopped) -> None:
    invoke("restore-writes", clients, ARGS)
    value = json.loads(clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    assert value["desired_counts"] == SEEDED_COUNTS


def test_partial_failure_restores_the_rest_and_a_rerun_finishes(clients, stopped, aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "fastify-nova")
    result = invoke("restore-writes", clients, ARGS)
    assert result.ok is False and [f["service"] for f in result.details["failed"]] == ["fastify-nova"]
    assert desired_counts(clients) == {**SEEDED_COUNTS, "fastify-nova": 0}
    undo()
    rerun = invoke("restore-writes", clients, ARGS)
    assert rerun.ok and [r["service"] for r in rerun.details["restored"]] == ["fastify-nova"]
    assert desired_counts(clients) == SEEDED_COUNTS


def test_dry_run_scales_nothing(clients, stopped) -> None:
    result = invoke("restore-writes", clients, ARGS, dry_run=True)
    assert (result.changed, result.details["would_change"]) == (False, True)
    assert {r["service"]: r["to"] for r in result.details["would_restore"]} == SEEDED_COUNTS
    assert set(desired_counts(clients).values()) == {0}


def test_services_outside_the_record_are_left_alone_and_reported(clients, stopped, seeded) -> None:
    clients.ecs.create_service(
        cluster=CLUSTER,
        serviceName="late-worker",
        desiredCount=1,
        taskDefinition=seeded.services["storefront"].deployed,
        networkConfiguration=seeded.network.awsvpc(),
    )
    value = json.loads(clients.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"])
    value["desired_counts"]["legacy-worker"] = 2  # recorded, but no longer in the cluster
    clients.ssm.put_parameter(Name=RECORD, Value=json.dumps(value), Type="String", Overwrite=True)
    result = invoke("restore-writes", clients, ARGS)
    assert result.ok and result.details["not_in_record"] == ["late-worker"]
    assert result.details["warnings"] == [
        f"service legacy-worker is in the record but no longer exists in {CLUSTER}"
    ]
    assert desired_counts(clients) == {**SEEDED_COUNTS, "late-worker": 1}


def test_no_record_for_the_incident_is_a_clear_error(clients, seeded) -> None:
    with pytest.raises(
        NotFoundError, match=f"no desired counts recorded for incident INC-OTHER on cluster {CLUSTER}"
    ):
        invoke("restore-writes", clients, {"cluster": CLUSTER, "incident_id": "INC-OTHER"})
    assert desired_counts(clients) == SEEDED_COUNTS


def test_cli_reports_a_missing_record_on_one_line(clients, seeded, capsys) -> None:
    code = cli.main(["restore-writes", "--cluster", CLUSTER, "--incident-id", "INC-OTHER"])
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["ok"] is False
    assert captured.err.count("\n") == 1 and "stop-writes" in captured.err


def test_damaged_record_is_refused(clients, stopped) -> None:
    clients.ssm.put_parameter(
        Name=RECORD, Value=json.dumps({"desired_counts": {"storefront": -3}}), Type="String", Overwrite=True
    )
    with pytest.raises(RefusedError, match="is not valid"):
        invoke("restore-writes", clients, ARGS)
    assert set(desired_counts(clients).values()) == {0}


# --- never success while a service it manages sits at 0 ----------------------------------------

OTHER = "INC-20261126-02"
OTHER_ARGS = {"cluster": CLUSTER, "incident_id": OTHER}
OTHER_RECORD = RECORD.replace(INCIDENT, OTHER)


def _value(clients, name: str = RECORD) -> dict:
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def test_restoring_marks_the_record_restored(clients, stopped) -> None:
    assert _value(clients)["status"] == "writes-stopped"
    invoke("restore-writes", clients, ARGS)
    assert _value(clients)["status"] == "restored"


def test_a_record_of_zeros_does_not_report_success_while_another_incident_holds_services_at_0(
    clients, stopped
) -> None:
    # Written the way stop-writes wrote a second incident's record before it knew better.
    zeros = {**_value(clients), "incident_id": OTHER, "desired_counts": {name: 0 for name in SEEDED_COUNTS}}
    clients.ssm.put_parameter(Name=OTHER_RECORD, Value=json.dumps(zeros), Type="String")
    result = invoke("restore-writes", clients, OTHER_ARGS)
    assert result.ok is False
    assert result.details["held_at_zero"] == {INCIDENT: sorted(SEEDED_COUNTS)}
    assert f"restore-writes --incident-id {INCIDENT}" in result.details["note"]
    assert set(desired_counts(clients).values()) == {0}  # zeros were not applied, nor guessed
    assert _value(clients, OTHER_RECORD).get("status", "writes-stopped") == "writes-stopped"
    dry = invoke("restore-writes", clients, OTHER_ARGS, dry_run=True)
    assert dry.ok is False and dry.details["held_at_zero"] == {INCIDENT: sorted(SEEDED_COUNTS)}
    # Once the first incident restores, the second one's record is done too.
    assert invoke("restore-writes", clients, ARGS).ok
    after = invoke("restore-writes", clients, OTHER_ARGS)
    assert after.ok and desired_counts(clients) == SEEDED_COUNTS  # its zeros never stop a service


def test_a_service_that_does_not_stay_at_its_count_is_not_success(clients, stopped, aws_hooks) -> None:
    def lost_update(params, **_):  # e.g. a scaling policy or another tool setting it back to 0
        if params.get("service") == "storefront":
            params["desiredCount"] = 0

    aws_hooks.on(clients.ecs, "before-parameter-build.ecs.UpdateService", lost_update)
    result = invoke("restore-writes", clients, ARGS)
    assert result.ok is False
    assert result.details["not_at_recorded_count"] == [
        {"service": "storefront", "desired": 0, "recorded": SEEDED_COUNTS["storefront"]}
    ]
    assert _value(clients)["status"] == "writes-stopped"


def test_restoring_an_already_restored_incident_never_undoes_a_newer_stop(clients, stopped) -> None:
    assert invoke("restore-writes", clients, ARGS).ok
    assert invoke("stop-writes", clients, {**OTHER_ARGS, "db_cluster": DB}).ok
    with pytest.raises(RefusedError, match=f"already restored.*open incident {OTHER}"):
        invoke("restore-writes", clients, ARGS)
    assert set(desired_counts(clients).values()) == {0}


def test_a_failure_to_mark_the_record_is_reported_and_a_rerun_marks_it(clients, stopped, aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ssm, "PutParameter")
    result = invoke("restore-writes", clients, ARGS)
    assert result.ok is False and "rerun" in result.details["note"]
    assert desired_counts(clients) == SEEDED_COUNTS
    undo()
    rerun = invoke("restore-writes", clients, ARGS)
    assert (rerun.ok, rerun.changed, rerun.details["restored"]) == (True, True, [])
    assert _value(clients)["status"] == "restored"


# --- a record of zeros restores nothing: it is never reported as restored ---------------------

OTHER_PREFIX = "/Incident-Guardrails"
ELSEWHERE = {**OTHER_ARGS, "state_prefix": OTHER_PREFIX}
ELSEWHERE_RECORD = f"{OTHER_PREFIX}/{CLUSTER}/incidents/{OTHER}/desired-counts"
ALL_ZERO = {name: 0 for name in SEEDED_COUNTS}


def _zeros_recorded_elsewhere(clients) -> None:
    """What stop-writes --state-prefix /Incident-Guardrails recorded before it refused to: D
    cannot see C's record under the default prefix, so it took C's zeros for originals."""
    zeros = {**_value(clients), "incident_id": OTHER, "desired_counts": ALL_ZERO}
    clients.ssm.put_parameter(Name=ELSEWHERE_RECORD, Value=json.dumps(zeros), Type="String")


def test_a_record_of_zeros_nothing_explains_is_not_success(clients, stopped, capsys) -> None:
    _zeros_recorded_elsewhere(clients)
    result = invoke("restore-writes", clients, ELSEWHERE)
    assert result.ok is False
    assert result.details["left_at_zero"] == sorted(SEEDED_COUNTS)
    note = result.details["note"]
    assert "every service" in note and "zeros" in note and "--allow-zero" in note
    assert all(name in note for name in SEEDED_COUNTS)
    assert _value(clients, ELSEWHERE_RECORD)["status"] == "writes-stopped"  # not marked
    dry = invoke("restore-writes", clients, ELSEWHERE, dry_run=True)
    assert dry.ok is False and dry.details["left_at_zero"] == sorted(SEEDED_COUNTS)
    code = cli.main(
        ["restore-writes", "--cluster", CLUSTER, "--incident-id", OTHER, "--state-prefix", OTHER_PREFIX]
    )
    assert code == 1 and json.loads(capsys.readouterr().out)["ok"] is False
    assert set(desired_counts(clients).values()) == {0}


def test_allow_zero_is_the_responders_word_that_those_services_stay_at_0(clients, stopped, capsys) -> None:
    _zeros_recorded_elsewhere(clients)
    some = sorted(SEEDED_COUNTS)[:2]
    partly = invoke("restore-writes", clients, {**ELSEWHERE, "allow_zero": some})
    assert partly.ok is False
    assert partly.details["left_at_zero"] == sorted(set(SEEDED_COUNTS) - set(some))
    code = cli.main(
        [
            "restore-writes",
            "--cluster",
            CLUSTER,
            "--incident-id",
            OTHER,
            "--state-prefix",
            OTHER_PREFIX,
            "--allow-zero",
            *sorted(SEEDED_COUNTS),
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["ok"] is True and printed["details"]["record"] == "marked restored"
    assert printed["details"]["left_at_zero"] == []
    assert any("--allow-zero" in w for w in printed["details"]["warnings"])
    assert _value(clients, ELSEWHERE_RECORD)["status"] == "restored"


@pytest.mark.parametrize(
    "allow_zero, message",
    [
        (["fastify-nova"], r"--allow-zero: fastify-nova is recorded at 4"),
        (["no-such-service"], r"--allow-zero: no-such-service is not in the record"),
    ],
)
def test_allow_zero_names_only_services_the_record_holds_at_0(clients, stopped, allow_zero, message) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        invoke("restore-writes", clients, {**ARGS, "allow_zero": allow_zero})
    assert set(desired_counts(clients).values()) == {0}


def test_a_service_at_0_before_the_incident_stays_at_0_with_a_warning(clients, seeded) -> None:
    clients.ecs.update_service(cluster=CLUSTER, service="events-consumer", desiredCount=0)
    assert invoke("stop-writes", clients, {**ARGS, "db_cluster": DB}).ok
    result = invoke("restore-writes", clients, ARGS)
    assert result.ok and result.details["record"] == "marked restored"
    assert result.details["left_at_zero"] == []
    assert [w for w in result.details["warnings"] if "events-consumer" in w] == [
        "service events-consumer was recorded at 0 while other services ran (scaled to 0 before "
        "the incident?) and is left at 0"
    ]
    assert desired_counts(clients) == {**SEEDED_COUNTS, "events-consumer": 0}
