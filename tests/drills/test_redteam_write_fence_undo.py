"""The drill's undo of stop-writes (drills/restorers.restore_recorded_counts) after a run killed
at its journal, between its creates, after its counts and in its scale-down: the network ACLs
exactly as DescribeNetworkAcls listed them before the drill, every service back, the record
removed (issue 13)."""

from __future__ import annotations

import pytest

from drills.context import DrillContext
from drills.redaction import Redactor
from drills.restorers import restore_recorded_counts
from runbook_actions import RunbookError, invoke
from stack_config.runbook_env import runbook_environment
from targets.target import local_target
from tests.runbook_actions.test_redteam_write_fence import Killed, _acls, _die_at_call, _record
from tests.support.action_cases import INCIDENT, SEEDED_COUNTS, desired_counts


@pytest.mark.parametrize("nth", [1, 7, 8, 9, 10, 18, 19, 21, 24])
def test_the_drills_undo_after_a_killed_stop_writes_leaves_the_acls_as_before(
    clients, seeded, platform, aws_hooks, nth
) -> None:
    ctx = DrillContext(
        platform=platform,
        clients=clients,
        target=local_target("in-process"),
        stack="production",
        run_id="p0-b-redteam",
        incident_id=INCIDENT,
        redactor=Redactor(seeded.secret_values),
    )
    before = _acls(clients)
    calls = _die_at_call(clients, aws_hooks, nth, "kill")
    try:  # as the drill runs it: the stack's environment, the configured CIDRs first
        invoke("stop-writes", clients, {}, environ=runbook_environment(platform, INCIDENT))
    except (Killed, RunbookError):
        pass
    assert len(calls) >= nth
    aws_hooks.remove_all()
    restore_recorded_counts(ctx, INCIDENT)
    assert _acls(clients) == before and desired_counts(clients) == SEEDED_COUNTS
    assert _record(clients) is None
