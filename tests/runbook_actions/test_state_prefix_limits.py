"""--state-prefix within SSM's parameter-name limits, checked before any AWS call.

SSM allows at most 15 levels of hierarchy in a parameter name and 1011 characters counting the
ARN before it; names may not begin with aws or ssm. moto enforces none of the first two, so a
prefix that AWS would refuse at the first PutParameter passed every emulator run.
"""

from __future__ import annotations

import json

import pytest

from runbook_actions import cli, invoke
from runbook_actions.exceptions import InvalidArgumentError
from runbook_actions.incident_state import desired_counts_parameter
from tests.support.action_cases import CLUSTER, DB, INCIDENT, SEEDED_COUNTS, STATUS_POST, desired_counts

RECORD_LEVELS = 4  # <cluster>/incidents/<incident-id>/<record>
# 1011 counting the ARN before the name, taken at its longest (partition and region).
SSM_MAX_NAME = 1011 - len("arn:aws-us-gov:ssm:") - 20 - len(":123456789012:parameter")
DEEPEST = "/" + "/".join(f"l{n}" for n in range(15 - RECORD_LEVELS))  # 11 levels: 15 in all
TOO_DEEP = DEEPEST + "/l11"


def _longest_prefix(record: str = "desired-counts") -> str:
    tail = len(f"/{CLUSTER}/incidents/{INCIDENT}/{record}")
    return "/" + "p" * (SSM_MAX_NAME - tail - 1)


ACTIONS = {
    "stop-writes": {"cluster": CLUSTER, "db_cluster": DB, "incident_id": INCIDENT},
    "restore-writes": {"cluster": CLUSTER, "incident_id": INCIDENT},
    "post-status": STATUS_POST,
}


def test_the_deepest_and_the_longest_prefix_ssm_takes_are_accepted() -> None:
    assert len(desired_counts_parameter(DEEPEST, CLUSTER, INCIDENT).strip("/").split("/")) == 15
    assert len(desired_counts_parameter(_longest_prefix(), CLUSTER, INCIDENT)) == SSM_MAX_NAME


@pytest.mark.parametrize(
    "prefix, words",
    [
        (TOO_DEEP, "12 levels.* 16; SSM allows at most 15 levels.*prefix at most 11"),
        (TOO_DEEP + "/", "12 levels"),
        (_longest_prefix() + "p", f"would be {SSM_MAX_NAME + 1} characters long.*1011.*shorten"),
        ("/aws/incidents", "reserves names beginning with aws or ssm"),
        ("/SSM-state", "reserves names beginning with aws or ssm"),
    ],
)
def test_a_prefix_ssm_would_refuse_is_refused_naming_the_flag(prefix, words) -> None:
    with pytest.raises(InvalidArgumentError, match=f"--state-prefix: .*{words}"):
        desired_counts_parameter(prefix, CLUSTER, INCIDENT)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "prefix", [TOO_DEEP, _longest_prefix("status-post") + "p"], ids=["too-deep", "too-long"]
)
def test_every_action_with_a_record_refuses_it_before_any_aws_call(
    clients, seeded, aws_hooks, action, prefix
) -> None:
    calls = aws_hooks.record_calls(clients.ecs, clients.ssm, clients.sns, clients.sts)
    with pytest.raises(InvalidArgumentError, match="--state-prefix"):
        invoke(action, clients, {**ACTIONS[action], "state_prefix": prefix})
    assert calls == set()
    assert desired_counts(clients) == SEEDED_COUNTS


@pytest.mark.parametrize("prefix", [DEEPEST, _longest_prefix()], ids=["deepest", "longest"])
def test_stop_and_restore_writes_work_at_the_limits(clients, seeded, prefix) -> None:
    arguments = {"cluster": CLUSTER, "incident_id": INCIDENT, "state_prefix": prefix}
    assert invoke("stop-writes", clients, {**arguments, "db_cluster": DB}).ok
    assert set(desired_counts(clients).values()) == {0}
    assert invoke("restore-writes", clients, arguments).ok
    assert desired_counts(clients) == SEEDED_COUNTS


def test_cli_refuses_a_too_deep_prefix_as_bad_input(clients, seeded, capsys) -> None:
    code = cli.main(
        [
            "stop-writes",
            "--cluster",
            CLUSTER,
            "--db-cluster",
            DB,
            "--incident-id",
            INCIDENT,
            "--state-prefix",
            TOO_DEEP,
        ]
    )
    captured = capsys.readouterr()
    assert code == 2 and json.loads(captured.out)["ok"] is False
    assert captured.err.count("\n") == 1 and "at most 15 levels" in captured.err
    assert desired_counts(clients) == SEEDED_COUNTS
