"""Least privilege: each runbook Lambda's role grants exactly the API calls its action makes.

For every action, its valid runs (tests/support/action_cases.py: every variant, so that conditional
calls are reached) are made on the seeded emulator with clients that note each API call as an
IAM action. The union (dry runs included: the role serves them too) must equal the action's
IamGrant actions, no call missing and no grant unused; a dry run may only read. The role policy the Pulumi component builds from the grants
(components.runbook_iam.action_policy) must carry exactly those actions too, beside its fixed
logging and failure-queue statements.
"""

from __future__ import annotations

import json

import pytest

from components.arns import AwsAccount
from components.runbook_iam import RunbookFunctionNames, action_policy
from runbook_actions import all_actions, get_action
from runbook_actions.exceptions import NotSupportedError
from runbook_actions.invoke import invoke
from tests.support.action_cases import CLUSTER, INCIDENT, ActionCase, cases_of, fixed
from tests.support.call_recording import RecordingClients, is_read

ACCOUNT = AwsAccount("123456789012", "ap-south-1")
# Statements every runbook role has whatever its action: its own logs, its failure queue.
FIXED_STATEMENTS = {"WriteOwnLogs", "ReportFailedInvocations", "EncryptForTopics"}


SECOND_INCIDENT = "INC-20261126-02"


def _invoke(clients, action: str, incident: str) -> None:
    assert invoke(action, clients, {"cluster": CLUSTER, "incident_id": incident}).ok


def _reopen_and_add_a_service(clients) -> None:
    """After the default cases: the incident's record reopened (a version past 1), and a service
    it does not hold yet, so the rerun rewrites the record and keeps its place."""
    _invoke(clients, "restore-writes", INCIDENT)
    _invoke(clients, "stop-writes", INCIDENT)
    [arn] = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"][:1]
    [service] = clients.ecs.describe_services(cluster=CLUSTER, services=[arn])["services"]
    clients.ecs.create_service(
        cluster=CLUSTER, serviceName="late-worker", desiredCount=1, taskDefinition=service["taskDefinition"]
    )


def _reopen_then_stop_a_second_incident(clients) -> None:
    """After the default case (restored): the incident reopened, then a second one stopped, so
    restoring the second compares it with a record past version 1."""
    _invoke(clients, "stop-writes", INCIDENT)
    _invoke(clients, "stop-writes", SECOND_INCIDENT)


# Calls only a later run makes (SSM's history of a record rewritten or reopened: its place in
# the order of incidents), beside the shared valid runs of tests/support/action_cases.py.
CONDITIONAL_CASES = {
    "stop-writes": [
        ActionCase(
            "stop-writes",
            fixed({"cluster": CLUSTER, "incident_id": INCIDENT}),
            prepare=_reopen_and_add_a_service,
            variant="rerun-adds-a-service",
        )
    ],
    "restore-writes": [
        ActionCase(
            "restore-writes",
            fixed({"cluster": CLUSTER, "incident_id": SECOND_INCIDENT}),
            prepare=_reopen_then_stop_a_second_incident,
            variant="another-incident-open",
        )
    ],
}


@pytest.fixture(scope="module")
def recording() -> RecordingClients:
    return RecordingClients("ap-south-1")


def granted(name: str) -> set[str]:
    return {api for grant in get_action(name).iam for api in grant.actions}


def run_recorded(recording: RecordingClients, case, dry_run: bool) -> set[str]:
    recording.take()
    try:
        result = invoke(case.action, recording, case.arguments(recording), dry_run=dry_run)
        assert result.ok, (case.id, result.details)
    except NotSupportedError:
        assert case.emulator_gap, f"{case.id}: not supported on the emulator, and no gap declared"
    return recording.take()


@pytest.mark.parametrize("name", sorted(all_actions()))
def test_role_grants_exactly_the_calls_the_action_makes(name, seeded, recording) -> None:
    made: set[str] = set()
    for case in cases_of(name) + CONDITIONAL_CASES.get(name, []):
        case.prepare(recording)
        dry = run_recorded(recording, case, dry_run=True)
        assert dry <= granted(name), (case.id, "dry run", sorted(dry - granted(name)))
        assert all(is_read(call) for call in dry), (case.id, "dry run wrote", sorted(dry))
        made |= dry | run_recorded(recording, case, dry_run=False)
    assert sorted(made - granted(name)) == [], "calls the role does not grant"
    assert sorted(granted(name) - made) == [], "grants no valid run needs"


@pytest.mark.parametrize("name", sorted(all_actions()))
def test_role_policy_carries_exactly_the_grants(name, platform) -> None:
    action = get_action(name)
    policy = json.loads(action_policy(action, platform, ACCOUNT, RunbookFunctionNames.of(platform, name)))
    in_policy = {
        api
        for statement in policy["Statement"]
        if statement.get("Sid") not in FIXED_STATEMENTS
        for api in statement["Action"]
    }
    assert in_policy == granted(name)
    assert all(
        statement["Effect"] == "Allow" and "*" not in statement["Action"] for statement in policy["Statement"]
    )
