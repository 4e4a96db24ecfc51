from __future__ import annotations

import pytest

from drills.expectations import Expectation, evaluate

RESULT = {
    "ok": True,
    "details": {
        "services": [{"n": 3, "lines": ["a"]}, {"n": 5, "lines": []}],
        "summary": {"names": ["x", "y"]},
    },
}


@pytest.mark.parametrize(
    "path, op, value, passed",
    [
        ("ok", "eq", True, True),
        ("details.services.*.n", "gte", 3, True),
        ("details.services.*.n", "gt", 3, False),
        ("details.services.*.lines", "non_empty", None, False),
        ("details.services.0.lines", "non_empty", None, True),
        ("details.summary.names", "length_eq", 2, True),
        ("details.summary.names", "contains", "y", True),
        ("details.missing", "eq", 1, False),
        ("details.missing", "exists", None, False),
        ("details.summary", "exists", None, True),
        ("details.summary.names", "gt", 1, False),  # type mismatch fails, it does not raise
    ],
)
def test_evaluate(path, op, value, passed) -> None:
    assert evaluate(Expectation(path, op, value), RESULT)[0] is passed


def test_failure_detail_shows_the_value() -> None:
    ok, detail = evaluate(Expectation("details.services.*.n", "gt", 3), RESULT)
    assert not ok and detail == "details.services.*.n gt 3: got 3"
