"""Nothing is half-done without being reported, and a rerun finishes the job.

For every mutating action, each write call its valid run makes is failed in turn, persistently
(throttled on every attempt, so retries run out). The run must report it (a one-line error, or
ok=false), a rerun once AWS answers again must succeed, a third run must find nothing left to do,
and the end state must be the one a run without failures leaves.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from runbook_actions.exceptions import RunbookError
from runbook_actions.invoke import invoke
from tests.support.action_cases import default_case, emulator_state, mutating_actions
from tests.support.call_recording import RecordingClients, is_read_operation

# Values that differ between two correct runs on two seeds: times, generated ids, random
# endpoint names, digests of secret version ids (random per seed). Not the status record's
# digest: it covers the post's "Started" minute, which pinned_minute keeps the same in every run.
VOLATILE_KEYS = ("updated_at", "posted_at", "message_id", "started", "nacl_id")
VOLATILE_TAG_SUFFIXES = ("-at", "-deployment", "-for")


@pytest.fixture(scope="module")
def recording() -> RecordingClients:
    return RecordingClients("ap-south-1")


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The state without what legitimately differs between two correct runs."""
    services = {
        name: {
            **service,
            "deployments": len(service["deployments"]) > 0,
            "tags": [
                (key, "*" if key.endswith(VOLATILE_TAG_SUFFIXES) else value) for key, value in service["tags"]
            ],
        }
        for name, service in state["ecs"]["services"].items()
    }
    return {
        "ecs": {**state["ecs"], "services": services},
        # moto names a restored cluster's automated snapshot after the minute of the restore.
        "rds": {
            **state["rds"],
            "snapshots": [
                re.sub(r"-\d{4}(-\d{2}){4}$", "-<minute>", name) for name in state["rds"]["snapshots"]
            ],
        },
        # Version ids derive from the secret's ARN, which is random per emulator seed.
        "secrets": {
            name: sorted(stages for _, stages in versions) for name, versions in state["secrets"].items()
        },
        "ssm": {name: (version, _stable(value)) for name, (version, value) in state["ssm"].items()},
        "iam": {user: [status for _, status in keys] for user, keys in state["iam"].items()},
        # Network ACL ids are random per emulator seed: their entries are what counts.
        "ec2": sorted(state["ec2"].values()),
    }


def _stable(value: str) -> Any:
    try:
        data = json.loads(value)
    except ValueError:
        return re.sub(r"\.cluster-[a-z0-9]+\.", ".cluster-*.", value)
    return _without_volatile(data)


def _without_volatile(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_volatile(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [_without_volatile(v) for v in data]
    return data


def clean_run(emulator, recording: RecordingClients, case) -> tuple[dict, list[tuple[str, str]]]:
    """The end state of a run without failures, and the write calls it made."""
    emulator.fresh()
    case.prepare(recording)
    recording.take()
    assert invoke(case.action, recording, case.arguments(recording)).ok
    writes = sorted(op for op in recording.operations if not is_read_operation(op[1]))
    return comparable(emulator_state(recording)), writes


@pytest.mark.parametrize("name", mutating_actions())
def test_a_failed_write_is_reported_and_a_rerun_finishes_the_job(
    name, emulator, recording, flaky, pinned_minute
) -> None:
    case = default_case(name)
    expected, writes = clean_run(emulator, recording, case)
    assert writes, f"{name} made no write call"
    clients = emulator.clients
    for service, operation in writes:
        where = f"{name} with {service} {operation} failing"
        emulator.fresh()
        case.prepare(clients)
        arguments = case.arguments(clients)
        failing = flaky.fail(clients.get(service), operation, "throttled")
        try:
            first = invoke(name, clients, arguments)
            assert first.ok is False, f"{where}: reported ok"
        except RunbookError as error:
            assert "\n" not in str(error) and "gave up after 5 attempts" in str(error), (where, str(error))
        assert failing.attempts >= 5, where
        flaky.heal()
        rerun = invoke(name, clients, arguments)
        assert rerun.ok, (where, rerun.details)
        again = invoke(name, clients, arguments)
        assert again.ok and again.changed is False, (where, again.details)
        assert comparable(emulator_state(clients)) == expected, where
