"""Fixtures: the real program's resources under Pulumi mocks, once per stack per process."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The harness is shared with tests/policy; test folders here are not packages.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from program_harness import ProgramRun, program_run  # noqa: E402
from stack_config import Platform, load_platform  # noqa: E402

STACKS = ("production", "staging")


@pytest.fixture(scope="module", params=STACKS)
def run(request) -> ProgramRun:
    return program_run(request.param)


@pytest.fixture(scope="module")
def stack_platform(run: ProgramRun) -> Platform:
    return load_platform(run.stack)
