"""Least privilege: each runbook Lambda's role grants exactly the API calls its action makes.

For every action, its valid runs (tests/support/action_cases.py: every variant, so that conditional
calls are reached) are made on the seeded emulator with clients that note each API call as an
IAM action. The union (dry runs included: the role serves them too) must equal the action's
IamGrant actions, no call missing and no grant unused; a dry run may only read. The role policy the Pulumi component builds from the grants
(components.runbook_iam.action_policy) must carry exactly those actions too, beside its fixed
logging and failure-queue statements.

Names are not enough: AWS authorises each call against the ARN of a resource type the action
supports, or against ``*`` (with condition keys) when it supports none. So every recorded call
is also evaluated against the role policy as AWS would: the resources and request context
tests/support/call_arns.py derives from AWS's Service Authorization Reference and the call's
parameters must be allowed by some statement (``ecs:UpdateService`` on the service's ARN,
``ecs:ListServices`` on ``*`` with ``ecs:cluster`` = the cluster's ARN).

Grants made for calls an AWS service makes on the action's behalf (``kms:ViaService``: RDS and
Secrets Manager using a customer-managed key) are no calls of the action's clients: they are
checked in tests/pulumi/test_runbook_kms.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.arns import AwsAccount
from components.iam_documents import allow
from components.resource_scope import resources_for
from components.runbook_iam import RunbookFunctionNames, action_policy
from runbook_actions import all_actions, get_action
from runbook_actions.exceptions import NotSupportedError, RefusedError
from runbook_actions.invoke import invoke
from stack_config import Platform
from tests.support.action_cases import CLUSTER, DB, INCIDENT, ActionCase, cases_of, fixed
from tests.support.call_arns import Authorisation, Where, authorisation
from tests.support.call_recording import RecordingClients, iam_actions, is_read
from tests.support.iam_reference import allow_statements_for, allowing_statements, arn_fits_format, as_list
from tests.support.platform_names import PRODUCTION

ACCOUNT = AwsAccount("123456789012", "ap-south-1")
# Statements every runbook role has whatever its action: its own logs, its failure queue.
FIXED_STATEMENTS = {"WriteOwnLogs", "ReportFailedInvocations", "EncryptForTopics"}


SECOND_INCIDENT = "INC-20261126-02"


def _invoke(clients, action: str, incident: str) -> None:
    fence = {"db_cluster": DB} if action == "stop-writes" else {}
    assert invoke(action, clients, {"cluster": CLUSTER, "incident_id": incident, **fence}).ok


def _reopen_and_add_a_service(clients) -> None:
    """After the default cases: the incident's record reopened (a version past 1), and a service
    it does not hold yet, so the rerun rewrites the record and keeps its place."""
    _invoke(clients, "restore-writes", INCIDENT)
    _invoke(clients, "stop-writes", INCIDENT)
    [arn] = clients.ecs.list_services(cluster=CLUSTER)["serviceArns"][:1]
    [service] = clients.ecs.describe_services(cluster=CLUSTER, services=[arn])["services"]
    clients.ecs.create_service(
        cluster=CLUSTER,
        serviceName="late-worker",
        desiredCount=1,
        taskDefinition=service["taskDefinition"],
        networkConfiguration=service["networkConfiguration"],  # in the application subnets
    )


def _reopen_then_stop_a_second_incident(clients) -> None:
    """After the default case (restored): the incident reopened, then a second one stopped, so
    restoring the second compares it with a record past version 1."""
    _invoke(clients, "stop-writes", INCIDENT)
    _invoke(clients, "stop-writes", SECOND_INCIDENT)


def _stopped_by_hand(clients) -> None:
    """Every service at 0 and no record explaining it: a fence-first run refuses after its fence
    is up, and takes it down (DeleteNetworkAclEntry) and its new record (DeleteParameter)."""
    clients.ssm.delete_parameter(Name=f"/incident-guardrails/{CLUSTER}/incidents/{INCIDENT}/desired-counts")
    for arn in clients.ecs.list_services(cluster=CLUSTER)["serviceArns"]:
        clients.ecs.update_service(cluster=CLUSTER, service=arn, desiredCount=0)


# Calls only a later run makes (SSM's history of a record rewritten or reopened: its place in
# the order of incidents), beside the shared valid runs of tests/support/action_cases.py.
CONDITIONAL_CASES = {
    "stop-writes": [
        ActionCase(
            "stop-writes",
            fixed({"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT}),
            prepare=_reopen_and_add_a_service,
            variant="rerun-adds-a-service",
        ),
        ActionCase(
            "stop-writes",
            fixed(
                {
                    "cluster": CLUSTER,
                    "db_cluster": DB,
                    "incident_id": "INC-20261126-03",
                    "app_cidr": list(
                        PRODUCTION.network.application_subnet_cidrs if PRODUCTION.network else ()
                    ),
                }
            ),
            prepare=_stopped_by_hand,
            variant="refused-after-its-fence",
        ),
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


class RequestRecordingClients(RecordingClients):
    """Also keeps each call's IAM action, operation and parameters, for the ARN check."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def _note(self, model: Any, params: dict[str, Any], **kwargs: Any) -> None:
        super()._note(model, params, **kwargs)
        self.requests += [(needed, model.name, dict(params)) for needed in iam_actions(model, params)]

    def take_requests(self) -> list[tuple[str, str, dict[str, Any]]]:
        requests, self.requests = self.requests, []
        return requests


@pytest.fixture(scope="module")
def recording() -> RequestRecordingClients:
    return RequestRecordingClients("ap-south-1")


def granted(name: str) -> set[str]:
    """What the action's own clients call; on-behalf grants (kms:ViaService) are AWS's calls."""
    return {api for grant in get_action(name).iam if not grant.on_behalf for api in grant.actions}


def role_policy(name: str, platform: Platform) -> dict[str, Any]:
    return json.loads(
        action_policy(get_action(name), platform, ACCOUNT, RunbookFunctionNames.of(platform, name))
    )


def not_allowed(policy: dict[str, Any], request: Authorisation) -> list[str]:
    """What of ``request`` no Allow statement of ``policy`` covers, as AWS would evaluate it."""
    missing = [
        f"{request} on {arn}" + (f" with {dict(request.context)}" if arn == "*" else "")
        for arn in request.resources
        if not allowing_statements(policy, request.action, arn, request.context)
    ]
    # A required type no parameter names (the option group a restore copies from its source):
    # some statement allowing the action must reach resources of that type.
    reachable = [
        str(arn)
        for statement in allow_statements_for(policy, request.action)
        for arn in as_list(statement.get("Resource", []))
    ]
    missing += [
        f"{request} on any {resource_type.name} ({resource_type.arn_format})"
        for resource_type in request.required_types_unnamed
        if not any(arn == "*" or arn_fits_format(arn, resource_type.arn_format) for arn in reachable)
    ]
    return missing


def run_recorded(recording: RecordingClients, case, dry_run: bool) -> set[str]:
    recording.take()
    try:
        result = invoke(case.action, recording, case.arguments(recording), dry_run=dry_run)
        assert result.ok, (case.id, result.details)
    except NotSupportedError:
        assert case.emulator_gap, f"{case.id}: not supported on the emulator, and no gap declared"
    except RefusedError:
        assert case.variant.startswith("refused"), f"{case.id}: refused"
    return recording.take()


@pytest.mark.parametrize("name", sorted(all_actions()))
def test_role_grants_exactly_the_calls_the_action_makes(name, seeded, recording, platform) -> None:
    made: set[str] = set()
    requests: list[tuple[str, str, dict[str, Any]]] = []
    for case in cases_of(name) + CONDITIONAL_CASES.get(name, []):
        case.prepare(recording)
        recording.take_requests()
        dry = run_recorded(recording, case, dry_run=True)
        assert dry <= granted(name), (case.id, "dry run", sorted(dry - granted(name)))
        assert all(is_read(call) for call in dry), (case.id, "dry run wrote", sorted(dry))
        made |= dry | run_recorded(recording, case, dry_run=False)
        requests += recording.take_requests()
    assert sorted(made - granted(name)) == [], "calls the role does not grant"
    assert sorted(granted(name) - made) == [], "grants no valid run needs"
    policy = role_policy(name, platform)
    where = Where(ACCOUNT.account_id, ACCOUNT.region)
    denied = {
        problem
        for iam_action, operation, params in requests
        for problem in not_allowed(policy, authorisation(iam_action, operation, params, where))
    }
    assert not denied, f"{name}: the role policy does not allow, as AWS authorises them: " + "; ".join(
        sorted(denied)
    )


@pytest.mark.parametrize("name", sorted(all_actions()))
def test_role_policy_carries_exactly_the_grants(name, platform) -> None:
    policy = role_policy(name, platform)
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


# -- CloudWatch Logs: the form of a log group's ARN that IAM evaluates each action against ------

GROUP = "/zelly/ecs/fastify-nova"
LOGS = f"arn:aws:logs:{ACCOUNT.region}:{ACCOUNT.account_id}"
BARE, ANY_STREAM = f"{LOGS}:log-group:{GROUP}", f"{LOGS}:log-group:{GROUP}:*"
STREAM = f"{LOGS}:log-group:{GROUP}:log-stream:ecs/web/1"
WHERE = Where(ACCOUNT.account_id, ACCOUNT.region)


@pytest.mark.parametrize(
    "iam_action, params, expected",
    [
        # CloudWatch Logs User Guide, "CloudWatch Logs resources and operations": log-group:NAME:*
        # for every action on a group but the three tagging ones, which take log-group:NAME.
        ("logs:FilterLogEvents", {"logGroupName": GROUP}, [ANY_STREAM]),
        ("logs:FilterLogEvents", {"logGroupIdentifier": BARE}, [ANY_STREAM]),
        ("logs:DescribeLogStreams", {"logGroupName": GROUP}, [ANY_STREAM]),
        ("logs:StartQuery", {"logGroupNames": [GROUP, "/other"]}, [ANY_STREAM, f"{LOGS}:log-group:/other:*"]),
        ("logs:StartQuery", {"logGroupIdentifiers": [BARE]}, [ANY_STREAM]),
        ("logs:TagResource", {"resourceArn": BARE}, [BARE]),
        ("logs:UntagResource", {"resourceArn": BARE}, [BARE]),
        ("logs:ListTagsForResource", {"resourceArn": ANY_STREAM}, [BARE]),
        # Actions on a stream: the stream's own ARN, which log-group:NAME:* covers.
        ("logs:GetLogEvents", {"logGroupName": GROUP, "logStreamName": "ecs/web/1"}, [STREAM]),
        ("logs:CreateLogStream", {"logGroupName": GROUP, "logStreamName": "ecs/web/1"}, [STREAM]),
        ("logs:PutLogEvents", {"logGroupName": GROUP, "logStreamName": "ecs/web/1"}, [STREAM]),
        ("logs:DeleteLogStream", {"logGroupName": GROUP, "logStreamName": "ecs/web/1"}, [STREAM]),
        # No resource type in the reference: "*".
        ("logs:DescribeLogGroups", {"logGroupNamePrefix": "/zelly"}, ["*"]),
        ("logs:StopQuery", {"queryId": "q"}, ["*"]),
    ],
)
def test_each_logs_call_is_evaluated_against_the_arn_aws_uses(iam_action, params, expected) -> None:
    request = authorisation(iam_action, iam_action.split(":")[1], params, WHERE)
    assert list(request.resources) == expected


def test_a_logs_call_naming_no_group_still_needs_a_grant_on_one() -> None:
    request = authorisation("logs:GetQueryResults", "GetQueryResults", {"queryId": "q"}, WHERE)
    assert request.resources == () and [t.name for t in request.required_types_unnamed] == ["log-group"]


def _filter_policy(*resources: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [allow(["logs:FilterLogEvents"], list(resources))]}


def test_a_grant_on_the_bare_log_group_arn_does_not_allow_filter_log_events() -> None:
    """The mutation that passed before: the group's ARN without ":*" is not what AWS evaluates."""
    request = authorisation("logs:FilterLogEvents", "FilterLogEvents", {"logGroupName": GROUP}, WHERE)
    assert not_allowed(_filter_policy(BARE), request) == [f"{request} on {ANY_STREAM}"]
    assert not_allowed(_filter_policy(ANY_STREAM), request) == []


def test_a_grant_on_the_log_streams_form_does_not_allow_tagging_the_group() -> None:
    request = authorisation("logs:TagResource", "TagResource", {"resourceArn": BARE}, WHERE)
    policy = {"Version": "2012-10-17", "Statement": [allow(["logs:TagResource"], [ANY_STREAM])]}
    assert not_allowed(policy, request) == [f"{request} on {BARE}"]


@pytest.mark.parametrize("name", ["triage", "audit-log-search"])
def test_log_group_grants_name_only_the_form_the_actions_are_authorised_against(name, platform) -> None:
    """FilterLogEvents needs log-group:NAME:*; the bare ARN serves only the tagging actions."""
    [statement] = [
        s for s in role_policy(name, platform)["Statement"] if "logs:FilterLogEvents" in s["Action"]
    ]
    assert statement["Resource"] and all(arn.endswith(":*") for arn in statement["Resource"])
    assert f"{LOGS}:log-group:{platform.aurora.audit_log_group}:*" in statement["Resource"]


def test_a_tagging_grant_on_log_groups_gets_the_bare_arn_only(platform) -> None:
    both = resources_for("log-group", ("logs:FilterLogEvents", "logs:ListTagsForResource"), platform, ACCOUNT)
    tagging = resources_for("log-group", ("logs:ListTagsForResource",), platform, ACCOUNT)
    assert all(not arn.endswith(":*") for arn in tagging) and set(tagging) < set(both)
