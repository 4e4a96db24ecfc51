"""Fixtures: the real program's resources under Pulumi mocks, once per stack per process."""

from __future__ import annotations

import pytest

from stack_config import Platform, load_platform
from tests.support.program_harness import ProgramRun, program_run

STACKS = ("production", "staging")


@pytest.fixture(scope="module", params=STACKS)
def run(request) -> ProgramRun:
    return program_run(request.param)


@pytest.fixture(scope="module")
def stack_platform(run: ProgramRun) -> Platform:
    return load_platform(run.stack)
