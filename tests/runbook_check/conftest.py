"""Fixtures: one emulator for the checker runs that do not start their own."""
from __future__ import annotations

from typing import Callable

import pytest

from drills.emulator import MotoServer
from tests.support.runbook_harness import CheckerRun, run_checker


@pytest.fixture(scope="session")
def runbook_emulator():
    """One moto server for the checker runs that do not start their own."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def check_on_emulator(runbook_emulator, tmp_path_factory) -> Callable[[str], CheckerRun]:
    """``check_on_emulator(markdown, *options)`` checks that runbook text against the shared emulator."""

    def check(text: str, *options: str) -> CheckerRun:
        directory = tmp_path_factory.mktemp("runbook")
        path = directory / "runbook.md"
        path.write_text(text, encoding="utf-8")
        return run_checker(path, directory, "--endpoint-url", runbook_emulator.endpoint_url, *options)

    return check
