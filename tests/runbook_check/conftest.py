"""Fixtures: checker runs on the session's shared emulator (``moto_server``, tests/conftest.py)."""

from __future__ import annotations

from typing import Callable

import pytest

from tests.support.runbook_harness import CheckerRun, run_checker


@pytest.fixture(scope="module")
def check_on_emulator(moto_server, tmp_path_factory) -> Callable[[str], CheckerRun]:
    """``check_on_emulator(markdown, *options)`` checks that runbook text against the shared
    emulator; the checker resets and seeds it before each section, as a drill does."""

    def check(text: str, *options: str) -> CheckerRun:
        directory = tmp_path_factory.mktemp("runbook")
        path = directory / "runbook.md"
        path.write_text(text, encoding="utf-8")
        return run_checker(path, directory, "--endpoint-url", moto_server.endpoint_url, *options)

    return check
