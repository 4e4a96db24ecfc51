"""Reading the simple commands of a block without a shell."""

from __future__ import annotations

import pytest

from runbook_check.commands import SUBSTITUTION, simple_commands
from tests.support.platform_names import CLUSTER


def test_continuations_pipelines_loops_and_redirections_split_into_commands():
    commands = simple_commands(
        "for s in $ZELLY_SERVICES; do\n"
        '  aws ecs describe-services --cluster "$ZELLY_CLUSTER" \\\n'
        '    --services "$s" 2>/dev/null | tail -n 5  # last lines\n'
        "done\n"
    )
    assert [(c.words, c.line) for c in commands] == [
        (("aws", "ecs", "describe-services", "--cluster", "$ZELLY_CLUSTER", "--services", "$s"), 2),
        (("tail", "-n", "5"), 2),
    ]


def test_substitutions_are_one_word_and_their_commands_are_read_too():
    commands = simple_commands(
        f"CURRENT=$(aws ecs describe-services --cluster {CLUSTER} --query 'length(services)')\n"
        "aws logs filter-log-events --start-time $(( ($(date +%s) - 900) * 1000 ))\n"
        "echo 'not $(run)' \"INC-$(date -u +%Y)\"\n"
    )
    words = [c.words for c in commands]
    assert commands[0].assignments == (("CURRENT", SUBSTITUTION),)
    assert ("aws", "ecs", "describe-services", "--cluster", CLUSTER, "--query", "length(services)") in words
    assert ("aws", "logs", "filter-log-events", "--start-time", SUBSTITUTION) in words
    assert ("echo", "not $(run)", f"INC-{SUBSTITUTION}") in words
    assert ("date", "-u", "+%Y") in words


def test_exports_and_runbook_actions_calls_are_recognised():
    export, action = simple_commands(
        'export AWS_REGION=ap-south-1 ZELLY_SERVICES="a b"\n'
        "python -m runbook_actions rollback-service --service a --dry-run\n"
    )
    assert export.assignments == (("AWS_REGION", "ap-south-1"), ("ZELLY_SERVICES", "a b"))
    assert action.runbook_action_args == ["rollback-service", "--service", "a", "--dry-run"]
    assert not action.is_aws


@pytest.mark.parametrize("text", ["echo 'unclosed\n", "X=$(aws ecs list-clusters\n"])
def test_unreadable_lines_name_the_line(text):
    with pytest.raises(ValueError, match="line 1"):
        simple_commands(text)
