"""stop-writes: records desired counts first, scales every service to 0 in parallel, reruns safely."""
from __future__ import annotations

import json
import threading

import pytest

from runbook_actions import cli, invoke
from runbook_actions.exceptions import InvalidArgumentError, NotFoundError, RefusedError

from action_cases import CLUSTER, INCIDENT, SEEDED_COUNTS, desired_counts
from action_cases import DESIRED_COUNTS_RECORD as RECORD

ARGS = {"cluster": CLUSTER, "incident_id": INCIDENT}


def test_seed_runs_every_service_at_its_stack_desired_count(clients, seeded) -> None:
    assert desired_counts(clients) == SEEDED_COUNTS == {"fastify-nova": 4, "customer-panel": 2,
                                                        "orion-backend": 2, "storefront": 3,
                                                        "events-consumer": 2}


def _record(clients, name: str = RECORD) -> dict:
    return json.loads(clients.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def _record_versions(clients, name: str = RECORD) -> int:
    return len(clients.ssm.get_parameter_history(Name=name)["Parameters"])


def test_records_counts_then_stops_every_service(clients, seeded) -> None:
    result = invoke("stop-writes", clients, ARGS)
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
    invoke("stop-writes", clients, ARGS)
    assert seen_at_first_scale == [SEEDED_COUNTS]


def test_services_are_scaled_in_parallel(clients, seeded, aws_hooks) -> None:
    probe = aws_hooks.probe_concurrency(clients.ecs, "UpdateService")
    invoke("stop-writes", clients, ARGS)
    assert probe.peak > 1


def test_second_run_keeps_the_record_and_changes_nothing(clients, seeded) -> None:
    invoke("stop-writes", clients, ARGS)
    again = invoke("stop-writes", clients, ARGS)
    assert (again.ok, again.changed, again.details["record"], again.details["stopped"]) == (
        True, False, "kept", [])
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS  # not overwritten with zeros
    assert _record_versions(clients) == 1


def test_rerun_adds_only_services_missing_from_the_record(clients, seeded) -> None:
    invoke("stop-writes", clients, ARGS)
    clients.ecs.create_service(cluster=CLUSTER, serviceName="late-worker", desiredCount=3,
                               taskDefinition=seeded.services["storefront"].deployed)
    again = invoke("stop-writes", clients, ARGS)
    assert again.details["record"] == "kept; added late-worker"
    assert _record(clients)["desired_counts"] == {**SEEDED_COUNTS, "late-worker": 3}
    assert desired_counts(clients)["late-worker"] == 0


def test_partial_failure_stops_the_rest_reports_and_a_rerun_finishes(clients, seeded,
                                                                      aws_hooks) -> None:
    undo = aws_hooks.fail(clients.ecs, "UpdateService", lambda p: p["service"] == "storefront")
    result = invoke("stop-writes", clients, ARGS)
    assert result.ok is False and "rerun" in result.details["note"]
    assert [f["service"] for f in result.details["failed"]] == ["storefront"]
    assert "ThrottlingException" in result.details["failed"][0]["error"]
    assert desired_counts(clients) == {**{n: 0 for n in SEEDED_COUNTS}, "storefront": 3}
    undo()
    rerun = invoke("stop-writes", clients, ARGS)
    assert rerun.ok and [s["service"] for s in rerun.details["stopped"]] == ["storefront"]
    assert _record(clients)["desired_counts"] == SEEDED_COUNTS


def test_cli_exits_non_zero_on_partial_failure(clients, seeded, capsys, monkeypatch, aws_hooks) -> None:
    monkeypatch.setattr(cli, "AwsClients", lambda **_: clients)  # so the injected fault applies
    aws_hooks.fail(clients.ecs, "UpdateService",
                   lambda p: p["service"] in ("storefront", "orion-backend"))
    code = cli.main(["stop-writes", "--cluster", CLUSTER, "--incident-id", INCIDENT])
    printed = json.loads(capsys.readouterr().out)
    assert code == 1 and printed["ok"] is False
    assert [f["service"] for f in printed["details"]["failed"]] == ["orion-backend", "storefront"]


def test_dry_run_records_and_scales_nothing(clients, seeded) -> None:
    result = invoke("stop-writes", clients, ARGS, dry_run=True)
    assert (result.changed, result.details["would_change"]) == (False, True)
    assert result.details["would_record"] == SEEDED_COUNTS
    assert len(result.details["would_stop"]) == len(SEEDED_COUNTS)
    assert desired_counts(clients) == SEEDED_COUNTS
    with pytest.raises(clients.ssm.exceptions.ParameterNotFound):
        clients.ssm.get_parameter(Name=RECORD)


def test_state_prefix_comes_from_the_environment(clients, seeded, monkeypatch) -> None:
    monkeypatch.setenv("ZELLY_STATE_PREFIX", "/drills/state/")
    result = invoke("stop-writes", clients, ARGS)
    expected = f"/drills/state/{CLUSTER}/incidents/{INCIDENT}/desired-counts"
    assert result.details["record_parameter"] == expected
    assert _record(clients, expected)["desired_counts"] == SEEDED_COUNTS


def test_damaged_record_is_refused_before_anything_is_scaled(clients, seeded) -> None:
    clients.ssm.put_parameter(Name=RECORD, Value="{not json", Type="String")
    with pytest.raises(RefusedError, match="is not valid"):
        invoke("stop-writes", clients, ARGS)
    assert desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize("arguments, error, message", [
    ({"cluster": "no-such-cluster", "incident_id": INCIDENT}, NotFoundError, "no-such-cluster"),
    ({"cluster": CLUSTER, "incident_id": "INC/../x"}, InvalidArgumentError, "--incident-id"),
    ({"cluster": CLUSTER}, InvalidArgumentError, "--incident-id is required"),
])
def test_bad_arguments(clients, seeded, arguments, error, message) -> None:
    with pytest.raises(error, match=message):
        invoke("stop-writes", clients, arguments)
    assert desired_counts(clients) == SEEDED_COUNTS
