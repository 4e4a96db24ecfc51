"""One bash session per procedure: state flows between blocks, a failure names its command."""

from __future__ import annotations

import os

import pytest

from runbook_check.shell import ShellSession


@pytest.fixture
def shell(tmp_path):
    session = ShellSession({"PATH": os.environ["PATH"]}, tmp_path, tmp_path)
    yield session
    session.close()


def test_variables_set_by_one_block_are_there_for_the_next(shell):
    first = shell.run('INCIDENT=INC-1\necho "set $INCIDENT"\n', timeout_s=5)
    second = shell.run('echo "still $INCIDENT"\n', timeout_s=5)
    assert (first.ok, first.stdout, second.stdout) == (True, "set INC-1\n", "still INC-1\n")
    assert shell.variables({"INCIDENT", "NEVER_SET"}) == {"INCIDENT": "INC-1"}


def test_a_failing_command_ends_the_block_and_is_named_by_its_line(shell):
    run = shell.run("echo before\nls /no/such/dir | cat\necho after\n", timeout_s=5)
    assert run.exit_code == 2 and run.stdout == "before\n"
    assert run.failed_line.startswith("line 2: ls /no/such/dir")
    assert not shell.alive


def test_an_unset_variable_is_an_error_not_an_empty_string(shell):
    run = shell.run('aws ecs describe-services --cluster "$ZELLY_CLUSTR"\n', timeout_s=5)
    assert run.exit_code == 1 and "ZELLY_CLUSTR: unbound variable" in run.stderr


def test_a_block_that_hangs_is_stopped_at_its_timeout(shell):
    run = shell.run("sleep 30\n", timeout_s=0.5)
    assert run.exit_code is None
    assert not shell.alive


def test_a_block_cannot_read_the_sessions_instructions(shell):
    assert shell.run("cat\n", timeout_s=5).ok  # stdin is /dev/null, not the control channel
    assert shell.run("echo next\n", timeout_s=5).stdout == "next\n"
