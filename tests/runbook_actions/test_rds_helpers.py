"""The bounded wait and the restore-time parser shared by the P0-B actions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from runbook_actions.exceptions import AwsCallError, InvalidArgumentError
from runbook_actions.rds_helpers import iso, parse_iso_time, wait_for_status


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _wait(statuses: list[str], timeout: int, clock: FakeTime):
    replies = iter(statuses)
    return wait_for_status(
        lambda: next(replies),
        what="cluster x",
        timeout_seconds=timeout,
        poll_seconds=15,
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )


def test_polls_until_available() -> None:
    clock = FakeTime()
    outcome = _wait(["creating", "backing-up", "available"], timeout=600, clock=clock)
    assert (outcome.ready, outcome.status, outcome.waited_seconds) == (True, "available", 30)
    assert clock.sleeps == [15, 15]


def test_gives_up_at_the_timeout_without_raising() -> None:
    clock = FakeTime()
    outcome = _wait(["creating"] * 10, timeout=40, clock=clock)
    assert (outcome.ready, outcome.status) == (False, "creating")
    assert clock.sleeps == [15, 15, 10] and clock.now == 40


def test_zero_timeout_looks_once() -> None:
    clock = FakeTime()
    assert _wait(["creating"], timeout=0, clock=clock).ready is False and clock.sleeps == []


@pytest.mark.parametrize("status", ["failed", "incompatible-restore", "deleting"])
def test_failed_states_raise(status: str) -> None:
    with pytest.raises(AwsCallError, match=f"cluster x is '{status}'"):
        _wait(["creating", status], timeout=600, clock=FakeTime())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-26T03:00:00Z", "2026-11-26T03:00:00Z"),
        ("2026-11-26T08:30:00+05:30", "2026-11-26T03:00:00Z"),
        ("2026-11-26 03:00:00+00:00", "2026-11-26T03:00:00Z"),
    ],
)
def test_parses_times_with_a_timezone_to_utc(text: str, expected: str) -> None:
    parsed = parse_iso_time("--restore-time", text)
    assert parsed.tzinfo == timezone.utc and iso(parsed) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("2026-11-26T03:00:00", "has no timezone"),
        ("26/11/2026 03:00", "not an ISO-8601 time"),
        ("", "not an ISO-8601 time"),
    ],
)
def test_rejects_ambiguous_or_malformed_times(text: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        parse_iso_time("--restore-time", text)


def test_iso_of_none_is_none() -> None:
    assert iso(None) is None
    assert iso(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "2026-01-01T00:00:00Z"
