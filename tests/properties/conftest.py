"""Property tests: bad input to every action and drill, with the number of cases tried reported.

Each property calls the ``tried`` fixture once per generated case; at the end of the session the
totals are printed and written to reports/hypothesis-cases.json.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

CASES: Counter[str] = Counter()


@pytest.fixture
def tried(request):
    """``tried()`` counts one generated case for the running property."""
    name = request.node.nodeid.split("::", 1)[1]
    return lambda: CASES.update([name])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not CASES:
        return
    total = sum(CASES.values())
    terminalreporter.write_line(
        f"hypothesis: {total} bad-input cases tried in {len(CASES)} properties "
        "(reports/hypothesis-cases.json)"
    )
    reports = Path(config.rootpath) / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "hypothesis-cases.json").write_text(
        json.dumps({"total": total, "properties": dict(sorted(CASES.items()))}, indent=2) + "\n"
    )
