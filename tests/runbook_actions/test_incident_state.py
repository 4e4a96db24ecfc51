"""The desired-count record: created once, never overwritten by a later run's zeros."""
from __future__ import annotations

import json

from runbook_actions.incident_state import (desired_counts_parameter, read_desired_counts,
                                            save_desired_counts)

PARAMETER = desired_counts_parameter("/incident-guardrails/", "zelly-production", "INC-1")


def _save(clients, counts: dict[str, int], replace: bool = False) -> dict[str, int]:
    return save_desired_counts(clients.ssm, PARAMETER, cluster="zelly-production",
                               incident_id="INC-1", counts=counts, replace=replace)


def test_parameter_name_is_per_cluster_and_incident() -> None:
    assert PARAMETER == "/incident-guardrails/zelly-production/incidents/INC-1/desired-counts"


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
        "version": 1, "cluster": "zelly-production", "incident_id": "INC-1",
        "desired_counts": {"storefront": 3}}
    assert stored["updated_at"].endswith("Z")
