"""The desired-count record: created once, never overwritten by a later run's zeros."""

from __future__ import annotations

import json

from runbook_actions.incident_state import (
    desired_counts_parameter,
    open_records,
    placed,
    read_desired_counts,
    read_record,
    save_desired_counts,
)
from tests.support.platform_names import CLUSTER, STAGING

PARAMETER = desired_counts_parameter("/incident-guardrails/", CLUSTER, "INC-1")


def _save(clients, counts: dict[str, int], replace: bool = False, opened=None) -> dict[str, int]:
    return save_desired_counts(
        clients.ssm,
        PARAMETER,
        cluster=CLUSTER,
        incident_id="INC-1",
        counts=counts,
        replace=replace,
        opened=opened,
    )


def test_parameter_name_is_per_cluster_and_incident() -> None:
    assert PARAMETER == f"/incident-guardrails/{CLUSTER}/incidents/INC-1/desired-counts"


def test_missing_record_reads_as_none(clients) -> None:
    assert read_desired_counts(clients.ssm, PARAMETER) is None


def test_a_concurrent_runs_record_wins_over_zeros(clients) -> None:
    # Run A recorded the real counts; run B read "no record" earlier, then saw A's zeros.
    assert _save(clients, {"storefront": 3, "fastify-nova": 4}) == {"storefront": 3, "fastify-nova": 4}
    merged = _save(clients, {"storefront": 0, "fastify-nova": 0, "late-worker": 1})
    assert merged == {"storefront": 3, "fastify-nova": 4, "late-worker": 1}
    assert read_desired_counts(clients.ssm, PARAMETER) == merged


def test_record_is_json_with_its_context(clients) -> None:
    _save(clients, {"storefront": 3})
    stored = json.loads(clients.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])
    assert {k: stored[k] for k in ("version", "cluster", "incident_id", "desired_counts")} == {
        "version": 1,
        "cluster": CLUSTER,
        "incident_id": "INC-1",
        "desired_counts": {"storefront": 3},
    }
    assert stored["updated_at"].endswith("Z")


def test_open_records_are_this_clusters_other_unrestored_desired_count_records(clients) -> None:
    def put(name: str, value: dict) -> None:
        clients.ssm.put_parameter(Name=name, Value=json.dumps(value), Type="String")

    counts = {"desired_counts": {"storefront": 3}}
    put(desired_counts_parameter("/incident-guardrails", CLUSTER, "INC-OLD"), counts)
    put(
        desired_counts_parameter("/incident-guardrails", CLUSTER, "INC-OPEN"),
        {**counts, "status": "writes-stopped"},
    )
    put(
        desired_counts_parameter("/incident-guardrails", CLUSTER, "INC-DONE"),
        {**counts, "status": "restored"},
    )
    put(desired_counts_parameter("/incident-guardrails", STAGING.cluster, "INC-ELSEWHERE"), counts)
    put(f"/incident-guardrails/{CLUSTER}/incidents/INC-OPEN/status-post", {"posted": 1})
    _save(clients, {"storefront": 0})  # INC-1, the caller's own record
    records, warnings = open_records(clients.ssm, "/incident-guardrails/", CLUSTER, but=PARAMETER)
    assert sorted(r.incident_id for r in records) == ["INC-OLD", "INC-OPEN"] and warnings == []
    assert read_record(clients.ssm, PARAMETER).open


def _history(clients, name: str) -> list[dict]:
    pages = clients.ssm.get_paginator("get_parameter_history").paginate(Name=name)
    return [version for page in pages for version in page["Parameters"]]


def test_a_record_keeps_its_place_when_rewritten_past_the_100_versions_ssm_keeps(clients) -> None:
    """SSM keeps a parameter's last 100 versions: once the opening one is gone, the opening
    time every rewrite copied into the record (SSM's, not the writer's) keeps the place."""
    later = desired_counts_parameter("/incident-guardrails/", CLUSTER, "INC-2")
    _save(clients, {"storefront": 3})
    opening = _history(clients, PARAMETER)[0]["LastModifiedDate"]
    save_desired_counts(
        clients.ssm, later, cluster=CLUSTER, incident_id="INC-2", counts={"storefront": 3}, replace=False
    )
    for i in range(100):  # a service appearing at every rerun of INC-1's stop-writes
        [own], _ = placed(clients.ssm, [read_record(clients.ssm, PARAMETER)])
        _save(clients, {**own.counts, f"worker-{i}": 0}, replace=True, opened=own.opened)
    assert min(v["Version"] for v in _history(clients, PARAMETER)) > 1  # version 1 is gone
    first, second = placed(
        clients.ssm, [read_record(clients.ssm, PARAMETER), read_record(clients.ssm, later)]
    )[0]
    assert second.newer(first) and not first.newer(second)
    assert first.opened == opening  # SSM's time of version 1, to the microsecond


def test_placing_reads_the_history_only_past_version_1(clients, aws_hooks) -> None:
    _save(clients, {"storefront": 3})
    calls = []
    aws_hooks.on(clients.ssm, "before-call.ssm.GetParameterHistory", lambda **_: calls.append(1))
    [record], _ = placed(clients.ssm, [read_record(clients.ssm, PARAMETER)])
    assert calls == [] and record.opened == record.modified
